"""Deterministic grounding: find catalog titles, categorical values and people in an utterance.

Built once per catalog version from the catalog's own vocabularies (nothing assumes books).
Matches are token spans, so the rule parser can tell what is left over for the LLM.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from recpilot.catalog import Catalog

_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?|#\d+|[^\sa-z0-9]")
STOPWORDS = frozenset(
    """a an the and or of to in on for with from by at about as is are was were be been i me my we you your it
    its this that these those some any something anything someone please want wanted would like looking look
    find give show recommend recommendation recommendations suggest suggestion me can could should maybe
    really very just also more less much many one ones other another kind sort type good great nice book books
    novel novels read reading story stories title titles item items thing things movie movies film films
    what which who whom whose how when where why do does did have has had not no but so if than then too
    there their they them he she his her him our us am im i'm i'd i'll id ill get got need new old
    lot bit okay ok yes yeah hi hello hey thanks thank""".split()
)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return text.replace("’", "'")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(normalize(text))


def _strip_series(title: str) -> str:
    return re.sub(r"\s*\([^)]*#\s*\d[^)]*\)\s*$", "", title).strip()


def _title_keys(title: str) -> set[str]:
    keys = set()
    for variant in (title, _strip_series(title), title.split(":")[0]):
        toks = [t for t in tokenize(variant) if t.isalnum() or "'" in t]
        if toks:
            keys.add(" ".join(toks))
            if toks[0] in ("the", "a", "an") and len(toks) > 1:
                keys.add(" ".join(toks[1:]))
    return keys


@dataclass(frozen=True)
class Match:
    kind: str  # "title" | "value" | "person"
    start: int  # token span [start, end)
    end: int
    field: str | None = None
    value: str = ""  # canonical value, or item id for titles
    label: str = ""  # what to show
    score: float = 100.0


class Vocabulary:
    """Lookup tables over one catalog version."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        schema = catalog.schema
        pop = catalog.popularity
        self.titles: dict[str, int] = {}
        for row, item in enumerate(catalog.items):
            for key in _title_keys(item.title):
                best = self.titles.get(key)
                if best is None or pop[row] > pop[best]:
                    self.titles[key] = row
        self.title_choices = list(self.titles)
        self.values: dict[str, tuple[str, str]] = {}  # phrase -> (field, canonical)
        self.people: dict[str, tuple[str, str]] = {}
        self.surnames: dict[str, tuple[str, str, float]] = {}
        for field in schema.categorical:
            vocab = catalog.vocabulary(field)
            counts = {v: len(rows) for v, rows in catalog.categorical.get(field, {}).items()}
            if field in schema.people:
                for low, shown in vocab.items():
                    key = " ".join(tokenize(low))
                    self.people[key] = (field, shown)
                    parts = key.split()
                    if len(parts) > 1 and len(parts[-1]) > 2:
                        weight = counts.get(low, 0)
                        prev = self.surnames.get(parts[-1])
                        if prev is None or weight > prev[2]:
                            self.surnames[parts[-1]] = (field, shown, weight)
            else:
                for low, shown in vocab.items():
                    key = " ".join(tokenize(low))
                    if key and key not in STOPWORDS:
                        self.values.setdefault(key, (field, shown))
                        for variant in _plural_variants(key):
                            self.values.setdefault(variant, (field, shown))
            for alias, canonical in schema.synonyms.get(field, {}).items():
                if canonical.lower() in vocab:
                    key = " ".join(tokenize(alias))
                    if key and key not in STOPWORDS:
                        self.values.setdefault(key, (field, vocab[canonical.lower()]))
                        for variant in _plural_variants(key):
                            self.values.setdefault(variant, (field, vocab[canonical.lower()]))
        self.people_choices = list(self.people)
        self.max_title_len = max((len(k.split()) for k in self.titles), default=1)

    # --- matching -----------------------------------------------------------------------------
    def find_values(self, tokens: list[str], taken: np.ndarray) -> list[Match]:
        return self._longest(tokens, taken, self.values, "value", max_len=4)

    def find_people(self, tokens: list[str], taken: np.ndarray) -> list[Match]:
        found = self._longest(tokens, taken, self.people, "person", max_len=5, min_len=2)
        for m in found:
            taken[m.start : m.end] = True
        # "by King", "nothing by Tolkien": a surname right after "by" is enough.
        for i, tok in enumerate(tokens[:-1]):
            if tok == "by" and not taken[i + 1] and tokens[i + 1] in self.surnames:
                field, shown, _ = self.surnames[tokens[i + 1]]
                found.append(Match("person", i + 1, i + 2, field, shown, shown))
                taken[i + 1] = True
        return found

    def find_titles(self, tokens: list[str], taken: np.ndarray, *, strict: bool = True) -> list[Match]:
        """Exact title spans. ``strict``: only titles of two or more non-stopword tokens, since
        one-word titles ("It", "Wonder") are everyday words."""
        out = []
        for m in self._longest(tokens, taken, self.titles, "title", max_len=min(self.max_title_len, 14)):
            words = [t for t in tokens[m.start : m.end] if t not in STOPWORDS]
            if strict and len(words) < 2:
                continue
            out.append(m)
            taken[m.start : m.end] = True
        return out

    def fuzzy_title(self, phrase: str, cutoff: float = 88) -> Match | None:
        key = " ".join(tokenize(phrase))
        if len(key) < 3:
            return None
        if key in self.titles:
            return self._title_match(key, 0, 0, 100.0)
        hit = process.extractOne(key, self.title_choices, scorer=fuzz.ratio, score_cutoff=cutoff)
        if hit is None:
            return None
        return self._title_match(hit[0], 0, 0, float(hit[1]))

    def fuzzy_person(self, phrase: str, cutoff: float = 85) -> Match | None:
        key = " ".join(tokenize(phrase))
        if len(key) < 3:
            return None
        hit = process.extractOne(key, self.people_choices, scorer=fuzz.ratio, score_cutoff=cutoff)
        if hit is None:
            return None
        field, shown = self.people[hit[0]]
        return Match("person", 0, 0, field, shown, shown, float(hit[1]))

    def _title_match(self, key: str, start: int, end: int, score: float) -> Match:
        row = self.titles[key]
        item = self.catalog.items[row]
        return Match("title", start, end, None, item.id, item.title, score)

    def _longest(self, tokens, taken, table, kind, max_len, min_len=1) -> list[Match]:
        out: list[Match] = []
        i, n = 0, len(tokens)
        while i < n:
            hit = None
            for length in range(min(max_len, n - i), min_len - 1, -1):
                if taken[i : i + length].any():
                    continue
                key = " ".join(tokens[i : i + length])
                if key in table:
                    hit = (key, length)
                    break
            if hit is None:
                i += 1
                continue
            key, length = hit
            if kind == "title":
                out.append(self._title_match(key, i, i + length, 100.0))
            else:
                field, shown = table[key]
                out.append(Match(kind, i, i + length, field, shown, shown))
            i += length
        return out


def _plural_variants(key: str) -> list[str]:
    if key.endswith("y") and not key.endswith("ey"):
        return [key[:-1] + "ies"]
    if key.endswith(("s", "x", "ch", "sh")):
        return [key + "es"] if not key.endswith("s") else []
    return [key + "s"]


_vocab_lock = threading.Lock()
_vocabularies: dict[tuple[str, str, str], Vocabulary] = {}


def vocabulary_for(catalog: Catalog) -> Vocabulary:
    """One vocabulary per catalog version and process (building it takes ~0.3 s at 10k items)."""
    key = (str(catalog.settings.home), catalog.name, catalog.version)
    with _vocab_lock:
        if key not in _vocabularies:
            _vocabularies[key] = Vocabulary(catalog)
        return _vocabularies[key]
