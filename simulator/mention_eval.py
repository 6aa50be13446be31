"""Scoring a mention linker against a labelled set of sentences (tests/data/mentions.yaml).

The gold file is a YAML list; each entry is a sentence as a person writes it and the titles,
series and people it names::

    - text: my kid tore through the percy jackson books
      mentions:
        - {text: percy jackson books, kind: series, value: Percy Jackson and the Olympians}
    - text: just finished gone girl, couldn't put it down
      mentions: [{text: gone girl, kind: title, id: "30"}]
    - text: what should I read next?     # "Next" is a Michael Crichton title, not meant here
      mentions: []                       # a trap: nothing may link

A title is named by its catalog ``id``; a series by its name as in the catalog's series field; a
person by the name as in the catalog's people field (``value``). A predicted link is right when
its kind and value match a gold mention whose words overlap it; each gold mention is matched at
most once, so a duplicate link counts as a false positive. Precision and recall are over all
entries; an entry with ``mentions: []`` is a trap, violated when anything links in it.

``predict(text)`` returns objects (or dicts) with ``kind``, ``start``, ``end`` (character offsets
into ``text``, end exclusive) and ``value``, like ``recpilot.agent.mentions.MentionLink``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from recpilot.errors import UserError

Kind = Literal["title", "series", "person"]
KINDS: tuple[Kind, ...] = ("title", "series", "person")


class MentionGoldError(UserError):
    """A gold file that cannot be read or does not follow the format."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GoldMention(_Strict):
    """One mention as written; a title carries ``id``, a series or a person ``value``."""

    text: str = Field(min_length=1, description="the words as written in the sentence")
    kind: Kind
    id: str | None = Field(None, description="the catalog item id (titles)")
    value: str | None = Field(None, description="the series or person name as in the catalog")

    @model_validator(mode="before")
    @classmethod
    def _id_as_text(cls, data: Any) -> Any:
        # YAML reads `id: 30` as an int; ids are strings in the catalog
        if isinstance(data, dict) and isinstance(data.get("id"), int):
            data = {**data, "id": str(data["id"])}
        return data

    @model_validator(mode="after")
    def _one_target(self) -> GoldMention:
        if self.kind == "title" and (self.id is None or self.value is not None):
            raise ValueError(f"title {self.text!r}: give its catalog `id` (and no `value`)")
        if self.kind != "title" and (self.value is None or self.id is not None):
            raise ValueError(f"{self.kind} {self.text!r}: give its name as `value` (and no `id`)")
        return self

    @property
    def target(self) -> str:
        return self.id if self.kind == "title" else self.value  # type: ignore[return-value]


class GoldEntry(_Strict):
    text: str = Field(min_length=1)
    mentions: list[GoldMention]

    @model_validator(mode="after")
    def _mentions_are_in_the_text(self) -> GoldEntry:
        for m in self.mentions:
            if not self.spans(m):
                raise ValueError(f"mention {m.text!r} is not in the text (as whole words)")
        return self

    @property
    def is_trap(self) -> bool:
        return not self.mentions

    def spans(self, mention: GoldMention) -> list[tuple[int, int]]:
        """Where the mention's words stand, as whole words: a link overlapping one of them counts.

        The places written in the same case when there are any ("loved It, it was scary": only
        the capitalised "It" is the title), else every place in any case.
        """
        words = mention.text
        pattern = (r"(?<!\w)" if words[0].isalnum() else "") + re.escape(words)
        pattern += r"(?!\w)" if words[-1].isalnum() else ""
        exact = [(m.start(), m.end()) for m in re.finditer(pattern, self.text)]
        return exact or [(m.start(), m.end()) for m in re.finditer(pattern, self.text, re.I)]


_GOLD = TypeAdapter(list[GoldEntry])


def load_gold(path: Path) -> list[GoldEntry]:
    """The entries of a gold file; raises ``MentionGoldError`` naming the entry and the reason."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError) as exc:
        raise MentionGoldError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise MentionGoldError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(raw, list) or not raw:
        raise MentionGoldError(f"{path}: expected a non-empty list of {{text, mentions}} entries")
    try:
        return _GOLD.validate_python(raw)
    except ValidationError as exc:
        problems = []
        for e in exc.errors()[:5]:
            index = e["loc"][0] if e["loc"] and isinstance(e["loc"][0], int) else None
            where = f"entry {index + 1}" if index is not None else "file"
            if index is not None and isinstance(raw[index], dict):
                where += f" ({str(raw[index].get('text', ''))[:60]!r})"
            loc = ".".join(str(p) for p in e["loc"][1:])
            problems.append(f"{where}{': ' + loc if loc else ''}: {e['msg']}")
        raise MentionGoldError(f"{path}: " + "; ".join(problems)) from None


def check_gold(gold: Iterable[GoldEntry], catalog) -> list[str]:
    """What in the gold does not exist in ``catalog`` (a ``recpilot.catalog.Catalog``).

    Titles must be item ids, people must be written as in one of the catalog's people fields
    (same case), series as in its ``series`` field; series go unchecked when it has none.
    """
    people = {v for f in catalog.schema.people for v in catalog.vocabulary(f).values()}
    has_series = "series" in catalog.schema.categorical
    series = set(catalog.vocabulary("series").values()) if has_series else set()
    problems = []
    for entry in gold:
        for m in entry.mentions:
            if m.kind == "title" and not catalog.has(m.id):
                problems.append(f"{entry.text!r}: no item with id {m.id!r} ({m.text!r})")
            elif m.kind == "person" and m.value not in people:
                problems.append(f"{entry.text!r}: no person written {m.value!r} in the catalog")
            elif m.kind == "series" and has_series and m.value not in series:
                problems.append(f"{entry.text!r}: no series named {m.value!r} in the catalog")
    return problems


# --- scoring ----------------------------------------------------------------------------------
class Link(BaseModel):
    kind: str
    start: int
    end: int
    value: str

    def __str__(self) -> str:
        return f"{self.kind} {self.value!r} at {self.start}:{self.end}"


class Mistake(BaseModel):
    text: str
    error: Literal["fp", "fn"]
    what: str = Field(description="the wrong link (fp) or the missed gold mention (fn)")
    trap: bool = False


class KindScore(BaseModel):
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def summary(self) -> dict[str, float]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


class MentionScore(KindScore):
    """Overall counts, per kind, traps, and every mistake (for printing)."""

    per_kind: dict[str, KindScore] = Field(default_factory=lambda: {k: KindScore() for k in KINDS})
    traps: int = 0
    traps_violated: int = 0
    mistakes: list[Mistake] = Field(default_factory=list)

    def report(self) -> str:
        lines = [f"precision {self.precision:.3f}  recall {self.recall:.3f}  f1 {self.f1:.3f}  "
                 f"(tp {self.tp}, fp {self.fp}, fn {self.fn}); traps violated {self.traps_violated}/{self.traps}"]
        lines += [f"  {k:7} " + "  ".join(f"{n} {v}" for n, v in s.summary().items()) for k, s in self.per_kind.items()]
        lines += [f"  {m.error.upper()}{' (trap)' if m.trap else ''}: {m.what}  <- {m.text!r}" for m in self.mistakes]
        return "\n".join(lines)


def _link(obj: Any) -> Link:
    get = obj.get if isinstance(obj, dict) else lambda name: getattr(obj, name)
    return Link(kind=str(get("kind")), start=int(get("start")), end=int(get("end")), value=str(get("value")))


def _same(kind: str, a: str, b: str) -> bool:
    # ids are exact; names compare as written, ignoring case and runs of spaces
    if kind == "title":
        return a == b
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def score(gold: Iterable[GoldEntry], predict: Callable[[str], Iterable[Any]]) -> MentionScore:
    """Precision, recall and F1 of ``predict`` over the gold entries, per kind, with traps."""
    out = MentionScore()
    for entry in gold:
        links = [_link(x) for x in predict(entry.text)]
        open_gold = list(entry.mentions)
        out.traps += entry.is_trap
        if entry.is_trap and links:
            out.traps_violated += 1
        for link in links:
            hit = next((m for m in open_gold if m.kind == link.kind and _same(m.kind, m.target, link.value)
                        and any(link.start < e and s < link.end for s, e in entry.spans(m))), None)
            kind = out.per_kind.setdefault(link.kind, KindScore())
            if hit is None:
                out.fp += 1
                kind.fp += 1
                words = entry.text[max(link.start, 0):link.end]
                out.mistakes.append(Mistake(text=entry.text, error="fp", what=f"{link} ({words!r})", trap=entry.is_trap))
            else:
                open_gold.remove(hit)
                out.tp += 1
                kind.tp += 1
        for m in open_gold:
            out.fn += 1
            out.per_kind[m.kind].fn += 1
            out.mistakes.append(Mistake(text=entry.text, error="fn", what=f"{m.kind} {m.target!r} ({m.text!r})"))
    return out
