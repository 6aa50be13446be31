"""How a user feels about each item they name: liked, disliked or neutral.

``StanceModel.read(text, spans)`` reads one message: one ``StanceReading`` per mention span
(char offsets into ``text``), or, with no spans, one reading of the whole message (a reply
about the items just shown: "haven't seen it but it sounds good").

The model is a multinomial logistic regression over the masked context of each mention
(``stance_text``): how close its sentence embedding (the shipped MiniLM) is to prototype
reactions of each stance, VADER's sentiment scores of the same words (and of the words
before and after a "but", and of the whole message), and a few cue flags
(``stance_lexicon``). It is trained and
calibrated on human seekers' messages from ReDial, plus a capped share of the simulator's
book phrasings (``recpilot train stance``; ``training/stance.py``).

A reading's label comes from thresholds, not the most probable class, because disliked is
rare (about one labelled movie in twenty) and the thresholds were chosen by cross-validation
for macro-F1. Two rules are stored: ``product`` (disliked, else neutral when neutral is likely
enough, else liked) and ``redial`` (disliked or liked: ReDial scores only those two, so a
neutral reading of a labelled movie can only cost). The probabilities come with every
reading for callers that decide otherwise.

Weights: ``recpilot/data/models/stance/stance.npz`` beside ``stance.json`` (feature list,
classes, thresholds, training data digest, cross-validated scores). No torch at run time.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from recpilot.agent.stance_lexicon import CUES, cue_flags, plain, split_contrast
from recpilot.agent.stance_text import REACH, Span, context, mask
from recpilot.errors import ModelFileError

CLASSES: tuple[str, ...] = ("liked", "disliked", "neutral")
Stance = Literal["liked", "disliked", "neutral"]
Rule = Literal["product", "redial"]
SHIPPED = Path(str(files("recpilot"))) / "data" / "models" / "stance" / "stance.npz"
_ARRAYS = ("weights", "bias", "mean", "scale", "prototypes")


class StanceReading(BaseModel):
    label: Stance
    probs: dict[str, float] = Field(description="class -> probability; they sum to 1")


class Decision(BaseModel):
    """Disliked when P(disliked) >= ``disliked``; else neutral when P(neutral) >= ``neutral``;
    else liked. ``neutral`` above 1 means never neutral."""

    model_config = ConfigDict(extra="forbid")
    disliked: float = Field(ge=0.0, le=1.0)
    neutral: float = Field(ge=0.0, le=1.01)


class FeatureSet(BaseModel):
    """Which inputs the model reads (fixed when it is trained)."""

    model_config = ConfigDict(extra="forbid")
    follow: bool = Field(False, description="a mention's context includes the next sentence when it names nothing")
    prototypes: bool = Field(True, description="cosine of the context to each stance's prototypes (mean and max)")
    embedding: bool = Field(False, description="the context's 384-d embedding itself (overfits the rare class)")


class StanceMeta(BaseModel):
    """``stance.json``: what the weights mean and where they come from."""

    classes: list[str]
    features: list[str]
    feature_set: FeatureSet
    decision: dict[str, Decision]
    weights_sha1: str
    data_digest: str = ""
    report: dict = Field(default_factory=dict, description="training data counts and cross-validated scores")


# --- features -------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def sentiment_analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()  # reads the lexicon shipped in the package


class Featurizer:
    """Feature rows for (text, all mention spans, index of the mention read or None for the
    whole message). ``prototypes`` (m, 384): embeddings of the lexicon's prototype sentences,
    ``prototype_class`` (m,): their class index; both are saved with the weights, so a later
    change of the lexicon cannot silently change what a trained model reads."""

    def __init__(self, fs: FeatureSet, prototypes: np.ndarray, prototype_class: np.ndarray):
        self.fs = fs
        self.prototypes = np.asarray(prototypes, np.float32)
        self.prototype_class = np.asarray(prototype_class, np.int64)
        self._centroids = np.stack([_unit(self.prototypes[self.prototype_class == c].mean(axis=0))
                                    for c in range(len(CLASSES))])

    @classmethod
    def build(cls, fs: FeatureSet, texts: dict[str, list[str]], embedder=None) -> Featurizer:
        """``texts``, prototype sentences by class, embedded (training time)."""
        embedder = embedder or _embedder()
        # stored as float16: train on the same rounded values that will be loaded
        vectors = embedder.embed([t for c in CLASSES for t in texts[c]]).astype(np.float16).astype(np.float32)
        labels = np.asarray([i for i, c in enumerate(CLASSES) for _ in texts[c]], np.int64)
        return cls(fs, vectors, labels)

    def names(self) -> list[str]:
        from recpilot.embeddings import DIM

        names = [f"{kind}_{c}" for c in CLASSES for kind in ("proto_mean", "proto_max")] if self.fs.prototypes else []
        names += [f"emb{i}" for i in range(DIM)] if self.fs.embedding else []
        return names + ["vader_neg", "vader_neu", "vader_pos", "vader_compound", "vader_before_contrast",
                        "vader_after_contrast", "vader_message", *(f"cue_{name}" for name in CUES), "is_reply"]

    def __call__(self, rows: list[tuple[str, list[Span], int | None]], embedder=None) -> np.ndarray:
        ctx = [plain(context(text, spans, i, self.fs.follow)) for text, spans, i in rows]
        emb = (embedder or _embedder()).embed(ctx)
        blocks = []
        if self.fs.prototypes:
            sims = emb @ self.prototypes.T
            for c in range(len(CLASSES)):
                blocks += [emb @ self._centroids[c][:, None], sims[:, self.prototype_class == c].max(axis=1, keepdims=True)]
        if self.fs.embedding:
            blocks.append(emb)
        vader = sentiment_analyzer()

        def compound(words: str) -> float:
            return vader.polarity_scores(words)["compound"] if words else 0.0

        extra = []
        for c, (text, spans, i) in zip(ctx, rows, strict=True):
            s = vader.polarity_scores(c)
            before, after = split_contrast(c)
            whole = c if i is None else plain(" ".join(mask(text, spans, i, 0, 2 * REACH).split()))
            extra.append([s["neg"], s["neu"], s["pos"], s["compound"], compound(before), compound(after),
                          compound(whole), *cue_flags(c), float(i is None)])
        blocks.append(np.asarray(extra, np.float32))
        return np.hstack(blocks).astype(np.float32)


def _embedder():
    from recpilot.embeddings import get_embedder

    return get_embedder()


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def decide(probs: np.ndarray, decision: Decision) -> list[str]:
    """A label per row of ``probs`` (columns in ``CLASSES`` order); liked is what is left
    when neither threshold is met."""
    codes = np.where(probs[:, 1] >= decision.disliked, 1, np.where(probs[:, 2] >= decision.neutral, 2, 0))
    return [CLASSES[int(c)] for c in codes]


# --- the model ------------------------------------------------------------------------------------
class StanceModel:
    """Logistic regression on standardised features: ``softmax(((x - mean) / scale) @ weights + bias)``.

    ``weights``: (features, 3); ``bias``: (3,); ``mean``, ``scale``: (features,). Read-only
    after construction, so one instance serves many threads (the embedder locks its tokenizer).
    """

    def __init__(self, weights: np.ndarray, bias: np.ndarray, mean: np.ndarray, scale: np.ndarray,
                 featurizer: Featurizer, meta: StanceMeta):
        self.weights, self.bias, self.mean, self.scale, self.meta = weights, bias, mean, scale, meta
        self.featurizer = featurizer

    def probs(self, x: np.ndarray) -> np.ndarray:
        return softmax(((x - self.mean) / self.scale) @ self.weights + self.bias)

    def read(self, text: str, spans: list[Span], rule: Rule = "product", embedder=None) -> list[StanceReading]:
        """One reading per span, in order; ``spans == []``: one reading of the whole message."""
        text = str(text)
        for start, end in spans:
            if not 0 <= start < end <= len(text):
                raise ValueError(f"mention span ({start}, {end}) is not inside the text ({len(text)} chars)")
        rows = [(text, list(spans), i) for i in range(len(spans))] or [(text, [], None)]
        p = self.probs(self.featurizer(rows, embedder))
        labels = decide(p, self.meta.decision[rule])
        return [StanceReading(label=label, probs={c: round(float(v), 4) for c, v in zip(CLASSES, row, strict=True)})
                for label, row in zip(labels, p, strict=True)]

    # --- files --------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | str | None = None) -> StanceModel:
        """The weights at ``path`` (``.npz``, with its ``.json`` beside it); None: the shipped ones."""
        path = Path(path) if path is not None else SHIPPED
        meta_path = path.with_suffix(".json")
        for p in (path, meta_path):
            if not p.is_file():
                raise ModelFileError(f"stance model file not found: {p} (rebuild it with `recpilot train stance`)")
        try:
            raw = path.read_bytes()
            meta = StanceMeta.model_validate_json(meta_path.read_text(encoding="utf-8"))
            with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
                arrays = {k: np.asarray(npz[k], np.float32) for k in _ARRAYS}
                prototype_class = np.asarray(npz["prototype_class"], np.int64)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, ValidationError) as exc:
            raise ModelFileError(f"cannot read the stance model at {path}: {exc}") from exc
        if hashlib.sha1(raw).hexdigest() != meta.weights_sha1:
            raise ModelFileError(f"{path} is not the file {meta_path.name} describes (checksum differs); "
                                 "rebuild it with `recpilot train stance`")
        prototypes = arrays.pop("prototypes")
        try:
            featurizer = Featurizer(meta.feature_set, prototypes, prototype_class)
        except (ValueError, IndexError) as exc:  # no prototype of some class, or mismatched arrays
            raise ModelFileError(f"the stance model at {path} has unusable prototypes: {exc}") from exc
        n = len(featurizer.names())
        shapes = {"weights": (n, len(CLASSES)), "bias": (len(CLASSES),), "mean": (n,), "scale": (n,)}
        if meta.features != featurizer.names() or tuple(meta.classes) != CLASSES \
                or any(arrays[k].shape != s for k, s in shapes.items()) or not {"product", "redial"} <= set(meta.decision):
            raise ModelFileError(f"the stance model at {path} does not fit this version of RecPilot "
                                 "(other features, classes or rules); rebuild it with `recpilot train stance`")
        return cls(featurizer=featurizer, meta=meta, **arrays)

    def save(self, path: Path) -> Path:
        """Writes ``path`` (.npz) then its .json, each atomically; the json names the npz's
        checksum, so a pair from two different runs is refused at load."""
        from recpilot.weights import atomic_write

        buf = io.BytesIO()
        np.savez_compressed(buf, weights=self.weights, bias=self.bias, mean=self.mean, scale=self.scale,
                            prototypes=self.featurizer.prototypes.astype(np.float16),
                            prototype_class=self.featurizer.prototype_class.astype(np.int8))
        raw = buf.getvalue()
        self.meta.weights_sha1 = hashlib.sha1(raw).hexdigest()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, raw)
        atomic_write(path.with_suffix(".json"), json.dumps(self.meta.model_dump(), indent=2) + "\n")
        return path


_shared: dict[str, StanceModel] = {}


def load_stance(settings) -> StanceModel | None:
    """The stance model the settings ask for (the shipped one by default; one per process and
    file), or None when switched off (``learned.stance``): items named without a cue word are
    then read as plain mentions."""
    if not settings.learned.stance:
        return None
    path = str(settings.learned.stance_model or SHIPPED)
    if path not in _shared:
        _shared[path] = StanceModel.load(path)
    return _shared[path]
