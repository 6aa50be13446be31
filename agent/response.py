"""The response: k grounded items with reasons, one optional question, one lead-in sentence.

The final check refuses any item that is not in the catalog, was rejected in this session,
or breaks a hard constraint, and backfills from the catalog. Reasons are built from the
item's own fields and the stated preferences, so they cannot be invented. The LLM writes
only the lead-in sentence, which is refused if it names anything.
"""

from __future__ import annotations

import re

import numpy as np

from recpilot.agent.series import known_series
from recpilot.agent.steps import RecommendedItem
from recpilot.catalog import Catalog
from recpilot.errors import LLMUnavailable
from recpilot.llm.base import ChatModel, LLMCall
from recpilot.preferences import Constraint, PreferenceState
from recpilot.prompts import render
from recpilot.schema import Item


def select_items(catalog: Catalog, state: PreferenceState, ranked: list[int], reasons: dict[int, list[str]],
                 scores: dict[int, float], k: int, shown: set[str]) -> tuple[list[RecommendedItem], list[str]]:
    """Top-k after the final check, backfilled; returns the items and what was dropped."""
    rejected = {r.id for r in state.rejected_items}
    known = state.seen_ids() - rejected  # liked or read: the user has them already
    series = known_series(catalog, state, shown)
    series_field = catalog.schema.series
    picked: list[RecommendedItem] = []
    dropped: list[str] = []
    taken: set[str] = set()
    spread = _Spread(catalog, state)
    deferred: list[tuple[int, float, list[str]]] = []

    def try_add(row: int, score: float, extra: list[str], diverse: bool = True) -> None:
        if row < 0 or row >= len(catalog.items):
            dropped.append(f"row {row}: not in catalog")
            return
        item = catalog.items[row]
        if not catalog.has(item.id) or item.id in taken:
            return
        if item.id in rejected:
            dropped.append(f"{item.id}: rejected earlier")
            return
        if item.id in known:
            dropped.append(f"{item.id}: already read or liked")
            return
        if series and {v.lower() for v in item.categorical.get(series_field, [])} & series:
            dropped.append(f"{item.id}: another volume of a series the user knows")
            return
        broken = [c for c in state.constraints if not c.satisfied_by(item)]
        if broken:
            dropped.append(f"{item.id}: breaks {broken[0].describe()}")
            return
        if diverse and not spread.admits(item):
            deferred.append((row, score, extra))
            return
        spread.add(item)
        taken.add(item.id)
        picked.append(RecommendedItem(id=item.id, title=item.title, score=round(score, 4),
                                      reason=reason_for(catalog, item, state, extra)))

    for row in ranked:
        if len(picked) >= k:
            break
        try_add(row, scores.get(row, 0.0), reasons.get(row, []))
    for row, score, extra in deferred:  # a list of one series or one author only when nothing else fits
        if len(picked) >= k:
            break
        try_add(row, score, extra, diverse=False)
    if len(picked) < k:  # backfill: popular items that fit, first unseen, then seen but not rejected
        mask = catalog.mask(state.constraints)
        rows = np.flatnonzero(mask)
        rows = rows[np.argsort(-catalog.popularity[rows], kind="stable")]
        for pool in ([r for r in rows[:2000].tolist() if catalog.items[r].id not in shown], rows[:2000].tolist()):
            for row in pool:
                if len(picked) >= k:
                    break
                try_add(int(row), 0.0, ["popular pick that fits"])
    return picked, dropped


class _Spread:
    """One list shows at most one volume of a series and two books of an author, unless the
    user asked for that series or author: five Wheel of Time volumes are one suggestion."""

    PER_SERIES, PER_PERSON = 1, 2

    def __init__(self, catalog: Catalog, state: PreferenceState):
        schema = catalog.schema
        self.series_field, self.people = schema.series, schema.people[:1]
        wanted = {(c.field, str(c.value).lower()) for c in state.constraints if c.op == "include"}
        self.wanted = wanted
        if any(field == self.series_field or field in schema.people for field, _ in wanted):
            self.people = []  # asked for a series or an author: its author may fill the list
        self.counts: dict[tuple[str, str], int] = {}

    def _keys(self, item: Item) -> list[tuple[tuple[str, str], int]]:
        keys = []
        if self.series_field:
            keys += [((self.series_field, v.lower()), self.PER_SERIES)
                     for v in item.categorical.get(self.series_field, [])[:1]]
        for name in self.people:
            keys += [((name, v.lower()), self.PER_PERSON) for v in item.categorical.get(name, [])[:1]]
        return [(key, limit) for key, limit in keys if key not in self.wanted]

    def admits(self, item: Item) -> bool:
        return all(self.counts.get(key, 0) < limit for key, limit in self._keys(item))

    def add(self, item: Item) -> None:
        for key, _ in self._keys(item):
            self.counts[key] = self.counts.get(key, 0) + 1


def reason_for(catalog: Catalog, item: Item, state: PreferenceState, extra: list[str]) -> str:
    schema = catalog.schema
    parts: list[str] = []
    for c in state.constraints:
        if c.op == "include":
            parts.append(str(c.value))
    if any(c.field == schema.year for c in state.constraints) and schema.year in item.numeric:
        parts.append(f"from {int(item.numeric[schema.year])}")
    for c in state.constraints:
        if c.op == "exclude" and c.field in schema.people:
            parts.append(f"not by {c.value}")
    parts += extra
    if schema.rating and schema.rating in item.numeric and (
        any(c.field == schema.rating for c in state.constraints) or len(parts) < 2
    ):
        parts.append(f"rated {item.numeric[schema.rating]:g}")
    if not parts:
        parts.append("a popular pick")
    people = [v for f in schema.people for v in item.categorical.get(f, [])[:1]]
    lead = f"by {people[0]}: " if people else ""
    return lead + ", ".join(dict.fromkeys(parts))


def blocking_constraint(catalog: Catalog, constraints: list[Constraint]) -> tuple[Constraint, int] | None:
    """When nothing fits, the constraint whose removal frees the most items."""
    best = None
    for c in constraints:
        rest = [o for o in constraints if o is not c]
        n = int(catalog.mask(rest).sum())
        if n and (best is None or n > best[1]):
            best = (c, n)
    return best


_TITLE_CASE_RUN = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+")
# "item 999", "id 42", "number 3", "no. 7": the lead-in never points at an item by id or position
_ITEM_REFERENCE = re.compile(r"\b(item|id|ids|number|no\.?|isbn)\s*:?\s*\d", re.IGNORECASE)


def lead_in(llm: ChatModel | None, catalog: Catalog, utterance: str, state: PreferenceState, domain: str,
            items: list[RecommendedItem], calls: list[LLMCall]) -> str | None:
    """One LLM-written sentence, or None when there is no LLM or its sentence names anything
    that is not in the state or the items shown (a genre, a person, a year, a title)."""
    if llm is None or not items:
        return None
    messages = render("reply", domain=domain, utterance=utterance[:500], state=state.describe())
    try:
        response = llm.complete(messages, max_tokens=48, temperature=0.3)
    except LLMUnavailable as exc:
        calls.append(LLMCall(prompt="reply", model=llm.name, error=str(exc)))
        return None
    calls.append(LLMCall(prompt="reply", model=response.model, prompt_tokens=response.prompt_tokens,
                         completion_tokens=response.completion_tokens, duration_ms=response.duration_ms))
    text = response.text.strip().split("\n")[0].strip()
    if not _safe_sentence(text, state) or not _grounded(text, catalog, state, items) \
            or _echoes(text, messages[0].content):
        calls[-1].error = "lead-in refused (it named something not asked for or shown, or was malformed)"
        return None
    return text


def _echoes(text: str, prompt: str) -> bool:
    """Whether the sentence repeats five words in a row of the prompt (a model leaking it)."""
    words = re.findall(r"[a-z0-9']+", prompt.lower())
    grams = {tuple(words[i : i + 5]) for i in range(len(words) - 4)}
    said = re.findall(r"[a-z0-9']+", text.lower())
    return any(tuple(said[i : i + 5]) in grams for i in range(len(said) - 4))


def _grounded(text: str, catalog: Catalog, state: PreferenceState, items: list[RecommendedItem]) -> bool:
    """Every catalog value, person and number the sentence names is in the state or in the
    fields of the items shown: "These picks ... history, romance and gore" for a romance
    request is refused."""
    from recpilot.agent.vocabulary import tokenize, vocabulary_for

    vocab = vocabulary_for(catalog)
    known = set(tokenize(state.describe()))
    for i in items:
        item = catalog.get(i.id)
        for value in item.public().values():
            known.update(tokenize(" ".join(map(str, value)) if isinstance(value, list) else str(value)))
    tokens = tokenize(text)
    for n in (3, 2, 1):
        for k in range(len(tokens) - n + 1):
            phrase = " ".join(tokens[k : k + n])
            if (phrase in vocab.values or phrase in vocab.people) and not set(phrase.split()) <= known:
                return False
    return all(tok in known for tok in tokens if tok.isdigit())


def _safe_sentence(text: str, state: PreferenceState) -> bool:
    """No quotes, no names: a capitalised run of words is only allowed if the user said it."""
    if not 8 <= len(text) <= 220 or any(ch in text for ch in "\"“”*#[]{}<>") or "http" in text:
        return False
    if _ITEM_REFERENCE.search(text):
        return False
    allowed = state.describe().lower()
    for run in _TITLE_CASE_RUN.findall(text):
        if run.lower() not in allowed:
            return False
    return not re.search(r"\bby [A-Z]", text)
