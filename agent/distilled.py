"""The distilled parser: a small model between the rules and the LLM (trained in torch by
``recpilot.training.distillation``, run here in numpy).

It reads a message the rules could not fully explain (``RuleParse.needs_llm``) and predicts,
in the label space of ``training.corpus.ParseLabel``: the intent, the kind values wanted and
not wanted, a popularity sort, and what the leftover words do (``noise`` to drop, ``wanted``
to search for, ``unwanted`` to avoid). Inputs are the shipped sentence embeddings of the
whole message and of its leftover words, plus two flags; heads are one hidden layer wide.

It is trained on simulated dialogues (``distillation.py``, ``recpilot train parser``) and is
*used* only when every head is at least ``threshold`` sure and it agrees with what the rules
already read; otherwise the turn goes on to the LLM as before. So it can only skip LLM calls
and drop or negate free words; it never overrides a rule's reading.

Checkpoint: ``HOME/models/<catalog>/<version>/parser.npz`` (weights and label space; a legacy
``parser.pt`` is read too) beside ``parser.json`` (the training report). Without one, the parser shipped for the bundled demo
catalog (``recpilot/data/models/demo/``) is used when the catalog's content is the demo's.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recpilot.agent.parse_labels import (
    INTENTS,
    MENTION_CLASSES,
    RESIDUALS,
    SORTS,
    ParseLabel,
    leftover,
    mention_window,
    rule_label,
)
from recpilot.agent.rules import RuleParse
from recpilot.catalog import Catalog, kind_field
from recpilot.errors import UserError
from recpilot.preferences import Preference, StateUpdate
from recpilot.weights import SUFFIX, WeightsError, load_weights, save_weights, weights_path

CHECKPOINT = "parser"
EMBED_DIM = 384
HIDDEN = 256
# intents the model may give a message the rules read as a request with leftover words
_TAKE_OVER = {"chitchat", "out_of_domain"}


#: the model's weights by torch's parameter names: ``body.0`` (the shared hidden layer), then
#: one linear head each: ``intent``, ``sort``, ``residual``, ``kinds`` (per kind value: not
#: said / wanted / not wanted); the mention head is ``0`` (hidden) and ``3`` (its classes)
Weights = dict[str, np.ndarray]


def _linear(w: Weights, name: str, x: np.ndarray) -> np.ndarray:
    return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def head_logits(w: Weights, x: np.ndarray) -> dict[str, np.ndarray]:
    """Logits of each head for ``x`` (n, n_in); ``kinds`` is (n, n_kinds, 3)."""
    h = np.maximum(_linear(w, "body.0", x), 0.0)
    out = {name: _linear(w, name, h) for name in ("intent", "sort", "residual", "kinds")}
    out["kinds"] = out["kinds"].reshape(len(x), -1, 3)
    return out


def mention_logits(w: Weights, x: np.ndarray) -> np.ndarray:
    return _linear(w, "3", np.maximum(_linear(w, "0", x), 0.0))


def featurize(catalog: Catalog, texts: list[str], leftovers: list[list[str]], shown: list[bool]) -> np.ndarray:
    """(n, 2 × 384 + 2): message vector, leftover-words vector (zeros when none), flags."""
    whole = catalog.embed(texts) if texts else np.zeros((0, EMBED_DIM), np.float32)
    rest_texts = [" ".join(words) for words in leftovers]
    todo = [i for i, t in enumerate(rest_texts) if t]
    rest = np.zeros((len(texts), EMBED_DIM), np.float32)
    if todo:
        rest[todo] = catalog.embed([rest_texts[i] for i in todo])
    flags = np.asarray([[float(s), float(bool(words))] for s, words in zip(shown, leftovers, strict=True)],
                       np.float32).reshape(len(texts), 2)
    return np.concatenate([whole, rest, flags], axis=1).astype(np.float32)


@dataclass
class Reading:
    """The model's reading of one message and how sure it is (the least sure single-choice
    head; kind values it is unsure of are not in the label at all)."""

    label: ParseLabel
    confidence: float
    heads: dict[str, float] = field(default_factory=dict)


class DistilledParser:
    def __init__(self, model: Weights, kinds: list[str], kind_field_name: str | None, threshold: float = 0.9,
                 meta: dict | None = None, mentions: Weights | None = None, mention_threshold: float = 0.6):
        self.model, self.kinds, self.kind_field = model, kinds, kind_field_name
        self.threshold, self.meta = threshold, meta or {}
        self.mentions = mentions  # the mention head, when trained
        self.mention_threshold = mention_threshold

    # --- prediction ----------------------------------------------------------------------------
    def read(self, catalog: Catalog, texts: list[str], rules: list[RuleParse], shown: list[bool]) -> list[Reading]:
        x = featurize(catalog, texts, [leftover(r) for r in rules], shown)
        probs = {k: _softmax(v) for k, v in head_logits(self.model, x).items()}
        readings = []
        for i in range(len(texts)):
            intent = INTENTS[int(probs["intent"][i].argmax())]
            sort = SORTS[int(probs["sort"][i].argmax())]
            residual = RESIDUALS[int(probs["residual"][i].argmax())]
            kind_p = probs["kinds"][i][: len(self.kinds)]
            # a value counts as said only when the model is sure of it; unsure ones are left out
            cls = np.where(kind_p.max(axis=1) >= self.threshold, kind_p.argmax(axis=1), 0)
            likes = [self.kinds[j] for j in np.flatnonzero(cls == 1)]
            dislikes = [self.kinds[j] for j in np.flatnonzero(cls == 2)]
            heads = {"intent": float(probs["intent"][i].max()), "sort": float(probs["sort"][i].max()),
                     "residual": float(probs["residual"][i].max())}
            label = ParseLabel(intent=intent, likes=likes, dislikes=dislikes, sort=sort, residual=residual)
            readings.append(Reading(label, min(heads.values()), heads))
        return readings

    def read_one(self, catalog: Catalog, text: str, rule: RuleParse, shown: bool) -> Reading:
        return self.read(catalog, [text], [rule], [shown])[0]

    def read_mentions(self, catalog: Catalog, rule: RuleParse) -> list[tuple[int, str, float]]:
        """(mention index, class, probability) for every item the rules named without a cue."""
        todo = [i for i, m in enumerate(rule.mentions) if m.label is None]
        if self.mentions is None or not todo:
            return []
        x = catalog.embed([mention_window(rule, i) for i in todo]).astype(np.float32)
        probs = _softmax(mention_logits(self.mentions, x))
        return [(i, MENTION_CLASSES[int(p.argmax())], float(p.max())) for i, p in zip(todo, probs, strict=True)]

    def apply_mentions(self, readings: list[tuple[int, str, float]], rule: RuleParse) -> list[str]:
        """A sure reading of an item the rules left without a cue: liked, or turned down."""
        up, notes = rule.update, []
        for index, cls, prob in readings:
            if prob < self.mention_threshold or cls == "neutral":
                continue
            mention = rule.mentions[index]
            ref = mention.ref
            if cls == "liked" and ref.id not in {r.id for r in up.liked_items}:
                up.liked_items.append(ref)
            elif cls == "disliked":
                up.anchors[:] = [r for r in up.anchors if r.id != ref.id]
                up.liked_items[:] = [r for r in up.liked_items if r.id != ref.id]
                if ref.id not in {r.id for r in up.rejected_items}:
                    up.rejected_items.append(ref)
            mention.label = "liked" if cls == "liked" else "rejected"
            notes.append(f"{ref.title}: {cls}")
        return notes

    # --- use ------------------------------------------------------------------------------------
    def agrees(self, reading: Reading, rule: RuleParse) -> bool:
        """Confident, and consistent with the rules: no kind value the rules read is read the
        other way round, the intent is the rules' (or takes a leftover-only message elsewhere)."""
        if reading.confidence < self.threshold:
            return False
        ruled = rule_label(rule.update, rule, self.kind_field)
        label = reading.label
        if set(ruled.likes) & set(label.dislikes) or set(ruled.dislikes) & set(label.likes):
            return False
        if label.intent != ruled.intent:
            took_over = label.intent in _TAKE_OVER and not _has_structure(rule.update)
            if not took_over:
                return False
        return True

    def apply(self, reading: Reading, rule: RuleParse) -> list[str]:
        """Writes an agreed reading into the rules' update; returns notes on what changed."""
        up, label, notes = rule.update, reading.label, []
        if label.intent != up.intent:
            notes.append(f"read as {label.intent}")
            up.intent = label.intent
            if label.intent in ("chitchat", "out_of_domain"):
                up.keywords.clear()
                up.dislikes[:] = [p for p in up.dislikes if p.field is not None]
        known = {p.key for p in up.likes + up.dislikes}
        known |= {f"{self.kind_field}:{str(c.value).lower()}" for c in up.add_constraints}
        for values, weight in ((label.likes, 1.0), (label.dislikes, -1.0)):
            for value in values:
                pref = Preference(field=self.kind_field, value=value, weight=weight, source="distilled")
                if pref.key not in known and f"{self.kind_field}:{value.lower()}" not in known:
                    (up.likes if weight > 0 else up.dislikes).append(pref)
                    known.add(pref.key)
                    notes.append(f"{'wants' if weight > 0 else 'avoids'} {value}")
        if label.sort != "none" and up.sort is None:
            up.sort = label.sort
            notes.append(f"sorted by {label.sort}")
        words = leftover(rule)
        if words and label.residual == "noise":
            up.keywords.clear()
            up.dislikes[:] = [p for p in up.dislikes if p.field is not None]
            notes.append(f"ignored '{' '.join(words)}' (context, not a preference)")
        elif rule.residual and label.residual == "unwanted":
            up.keywords.clear()
            for word in rule.residual:
                up.dislikes.append(Preference(field=None, value=word, weight=-1.0, source="distilled"))
            notes.append(f"avoids '{' '.join(rule.residual)}'")
        return notes

    # --- persistence ------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """One ``.npz`` (``recpilot.weights``), written beside ``path`` and moved over it."""
        header = {"format": 2, "kinds": self.kinds, "kind_field": self.kind_field,
                  "mentions": self.mentions is not None}
        arrays = {f"state/{k}": v for k, v in self.model.items()}
        arrays.update({f"mentions/{k}": v for k, v in (self.mentions or {}).items()})
        save_weights(path, header, arrays)

    @classmethod
    def load(cls, path: Path, threshold: float = 0.9, meta: dict | None = None,
             mention_threshold: float = 0.6) -> DistilledParser:
        """From ``save``'s ``.npz``, or a legacy ``.pt`` (``torch.save`` of the same content)."""
        header, arrays = load_weights(path)

        def part(prefix: str) -> Weights:
            return {k.removeprefix(prefix).lstrip("/"): v.astype(np.float32) for k, v in arrays.items()
                    if k.startswith(prefix + "/")}

        model, mentions = part("state"), part("mentions")
        if "body.0.weight" not in model:
            raise WeightsError(f"{path} holds no distilled parser")
        return cls(model, list(header["kinds"]), header["kind_field"], threshold, meta, mentions or None,
                   mention_threshold)


def _has_structure(update: StateUpdate) -> bool:
    return bool(update.add_constraints or any(p.field for p in update.likes + update.dislikes) or update.anchors
                or update.liked_items or update.asked_item or update.accepted_item or update.sort
                or update.remove_keys or update.remove_fields)


def kinds_of(catalog: Catalog) -> tuple[str | None, list[str]]:
    """The kind field and its values (lower case), the model's kind label space."""
    kf = kind_field(catalog)
    if kf is None:
        return None, []
    return kf, sorted(v.lower() for v in catalog.vocabulary(kf))


def checkpoint_paths(settings, catalog: Catalog) -> tuple[Path, Path]:
    from recpilot.tools.rankers.checkpoint import checkpoint_dir

    folder = checkpoint_dir(settings, catalog)
    return folder / f"{CHECKPOINT}{SUFFIX}", folder / f"{CHECKPOINT}.json"


def resolve_parser(settings, catalog: Catalog) -> tuple[Path, Path, str] | None:
    """(weights, report, source) of the parser to use: the one trained in HOME for this catalog
    version (source ``"home"``), else the shipped one when it was built from exactly this
    catalog's content (``"shipped"``), else None."""
    from recpilot.tools.rankers.checkpoint import shipped_dir

    _, meta_path = checkpoint_paths(settings, catalog)
    path = weights_path(meta_path.parent, CHECKPOINT)
    if path is not None and meta_path.exists():
        return path, meta_path, "home"
    folder = shipped_dir(settings, catalog)
    if folder is not None:
        path, meta_path = weights_path(folder, CHECKPOINT), folder / f"{CHECKPOINT}.json"
        if path is not None and meta_path.exists():
            return path, meta_path, "shipped"
    return None


def load_distilled(settings, catalog: Catalog) -> DistilledParser | None:
    """The trained parser for this catalog version (see ``resolve_parser``) when there is one
    and it is switched on, else None (the parser goes from the rules straight to the LLM). An
    unreadable checkpoint, or one trained on other catalog content, is ignored with a warning."""
    if not settings.learned.parser:
        return None
    found = resolve_parser(settings, catalog)
    if found is None:
        return None
    path, meta_path, source = found
    try:
        parser = _load(settings, catalog, path, meta_path)
        parser.meta = {**parser.meta, "source": source}
        return parser
    except UserError as exc:
        warnings.warn(f"ignoring the distilled parser: {exc}", stacklevel=2)
        return None


def _load(settings, catalog: Catalog, path: Path, meta_path: Path) -> DistilledParser:
    from recpilot.tools.rankers.checkpoint import catalog_hash

    try:
        meta = json.loads(meta_path.read_text())
        learned = settings.learned
        parser = DistilledParser.load(path, learned.parser_confidence, meta, learned.mention_confidence)
    except Exception as exc:  # a truncated or foreign file fails in json, zip or numpy
        raise UserError(f"cannot read the distilled parser at {path}: {exc}") from exc
    if meta.get("content_hash") != catalog_hash(settings, catalog) or parser.kinds != kinds_of(catalog)[1]:
        raise UserError(f"the distilled parser at {path} was trained on other catalog content; "
                        "run `recpilot train parser` again")
    return parser
