"""Linking the titles, series and people a message names to the catalog.

People write titles in any case, with or without quotes, misspelt, shortened ("Mockingbird"),
or by their series ("the Percy Jackson books", "the first Hunger Games"). Many titles are also
everyday words ("It", "Next", "Room", "Gone Girl", "The Help"), so a span links only with
enough evidence for what it is:

* a distinctive title (a word people rarely write otherwise, by its frequency in English, or
  four words or more) links anywhere, in any case;
* a title made of common words needs evidence: quotes, a cue that names a book ("read",
  "loved", "something like", "the X series", "X by <its author>"), or capitals in text that
  is not written all in one case;
* a misspelt span links only when it holds a word neither the catalog nor English knows, and
  a partial title only with evidence.

``link_mentions`` gives the links with character offsets (for evaluation and other callers);
the rule parser uses ``Linker.link`` on its own tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel
from rapidfuzz import fuzz, process

from recpilot.agent.cues import CUE_WORDS
from recpilot.agent.english import zipf
from recpilot.agent.per_catalog import CatalogBound, PerCatalog
from recpilot.agent.vocabulary import (
    STOPWORDS,
    Vocabulary,
    capitalized,
    normalize,
    tokenize,
    vocabulary_for,
)
from recpilot.catalog import Catalog

Kind = Literal["title", "series", "person"]

#: Words before a span that say a book is named ("I loved X", "something like X").
CUES_BEFORE = tuple(tuple(p.split()) for p in (
    "read", "reading", "reread", "re read", "rereading", "finished", "finishing", "loved", "love", "liked", "like",
    "enjoyed", "enjoy", "hated", "hate", "disliked", "adored", "adore", "devoured", "binged", "tore through",
    "got through", "halfway through", "started", "starting", "tried", "couldn't finish", "couldnt finish",
    "didn't finish", "didnt finish", "couldn't get into", "couldnt get into", "similar to", "fan of", "favorite",
    "favourite", "obsessed with", "into", "than", "after", "recommend", "recommended", "vein of",
    "same vibe as", "vibes of", "books like", "sequel to", "prequel to", "author of", "writer of", "wrote",
    "thoughts on", "heard of", "what about", "how about", "seen", "watched", "saw", "listened to", "except",
    "not", "besides", "other than", "rather than", "instead of", "the end of", "copy of", "fans of", "along the lines of",
    "reminds me of", "as good as", "compared to", "picked up", "skip", "anything but", "take", "go with", "pick",
    "choose", "tell me about", "think about", "thoughts about", "the movie", "the film", "the book", "the novel",
    "movie", "film", "book called", "movie called", "called"))
#: Words right after a span that say it is a book or a series ("X by Jane Austen" is checked apart).
CUES_AFTER = tuple(tuple(p.split()) for p in (
    "series", "books", "book", "trilogy", "saga", "novels", "novel", "sequel", "sequels", "movies", "films",
    "was amazing", "was great", "was good", "was fine", "was ok", "was okay", "was boring", "was terrible",
    "is amazing", "is great", "is good", "is boring", "was so good", "was too", "is one of", "was one of",
    "bored me", "sucked", "sucks", "fan", "is a little to", "was a little to", "blew me away", "broke my heart", "and its sequels", "type of book", "kind of book", "vibes",
    "and loved", "and hated", "already read", "read it", "i read", "i've read", "ive read", "already",
    "is on my list", "sounds good", "sounds interesting"))
#: Words people use to judge a book: "X was <one of these>" is said of a title.
EVALUATIVE = frozenset("""amazing awful boring great good bad terrible fun funny slow sad best worst favorite favourite
    overrated underrated brilliant beautiful gorgeous masterpiece classic dull incredible fantastic perfect weird
    scary creepy cry tears heartbreaking page turner hype hyped comfort read long short wonderful excellent
    meh okay ok fine disappointing predictable gripping addictive same childhood type too""".split())
SERIES_WORDS = frozenset("series books trilogy saga novels sequels cycle chronicles".split())
ORDINAL_WORDS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
                 "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8,
                 "ninth": 9, "9th": 9, "tenth": 10, "10th": 10, "last": -1, "final": -1, "latest": -1}
#: Kinds of book and film people name in any catalog, with or without a genre field ("I like
#: comedy" is not the film The Comedy): a title only when written as one.
KIND_WORDS = frozenset("""comedy comedies horror drama dramas romance romances thriller thrillers action documentary
    documentaries animation animated musical musicals western westerns fantasy mystery mysteries crime war adventure
    adventures family biography biographies history poetry classics classic suspense romcom romcoms sci-fi scifi
    superhero superheroes cartoon cartoons anime manga mythology satire tragedy tragedies noir""".split())
PRONOUN_TITLES = frozenset("it us them you me we they he she him her this that these those one".split())
#: A content word this rare in English (wordfreq's Zipf scale) is rarely written by accident.
RARE_ZIPF = 3.0
#: ... and a two-word title whose rarer word is below this links anywhere ("hunger games").
DISTINCT_ZIPF = 4.2
_ARTICLES = ("the", "a", "an")
_NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
                 "eight": "8", "nine": "9", "ten": "10"}
_PREPOSITIONS = frozenset("on in at under over into from with to for of by about after before through".split())
#: Cues after which a number is a quantity or a year, not a title.
_NUMBER_CUES = frozenset({"after", "than", "before", "since", "about", "not"})


class MentionLink(BaseModel):
    """A span of the message linked to the catalog (``start``/``end``: characters of the text)."""

    kind: Kind
    start: int
    end: int
    value: str  # item id (title), series name (series), person as the catalog writes it (person)
    label: str
    evidence: list[str] = []
    tok_start: int = 0
    tok_end: int = 0


@dataclass
class _Candidate:
    kind: Kind
    start: int  # token span
    end: int
    value: str
    label: str
    evidence: list[str] = field(default_factory=list)
    strength: float = 0.0


def squash(key: str) -> str:
    """The letters and digits of a key, without "and"/"&" (titles write either, or a comma)."""
    return re.sub(r"[^a-z0-9]", "", re.sub(r"(?:^|\s)(?:and|&)(?=\s|$)", " ", key))


def content_words(words: list[str]) -> list[str]:
    return [w for w in words if w not in STOPWORDS and any(ch.isalnum() for ch in w)]


class MentionIndex(CatalogBound):
    """Title, partial-title and series keys of one catalog version."""

    # the vocabulary is cached on its own; the sets it lends are taken back on attach
    unpickled = ("catalog", "vocab", "proper", "known")

    def attach(self, catalog: Catalog) -> None:
        self.catalog, self.vocab = catalog, vocabulary_for(catalog)
        self.proper, self.known = self.vocab.proper_titles, self.vocab.known_words

    def __init__(self, catalog: Catalog, vocab: Vocabulary):
        self.catalog, self.vocab = catalog, vocab
        schema = catalog.schema
        self.series_field = getattr(schema, "series", None)
        self.position_field = getattr(schema, "series_position", None)
        self.proper = vocab.proper_titles
        pop = catalog.popularity
        self.series_members: dict[str, list[tuple[float, int]]] = {}
        if self.series_field:
            positions = catalog.numeric.get(self.position_field) if self.position_field else None
            for row, item in enumerate(catalog.items):
                for name in item.categorical.get(self.series_field, [])[:1]:
                    pos = float(positions[row]) if positions is not None and np.isfinite(positions[row]) else np.inf
                    self.series_members.setdefault(name, []).append((pos, row))
        for members in self.series_members.values():
            members.sort(key=lambda m: (m[0], -pop[m[1]]))
        self.series_keys: dict[str, str] = {}
        self.series_short: dict[str, str] = {}  # "narnia", "poirot", "lotr": only with "books", "series"...
        for name in sorted(self.series_members, key=lambda n: -len(self.series_members[n])):
            for key in _series_aliases(name):
                self.series_keys.setdefault(key, name)
        for name in sorted(self.series_members, key=lambda n: -len(self.series_members[n])):
            for key in _series_short(name):
                if key not in self.series_keys and key not in vocab.values and key not in vocab.people:
                    self.series_short.setdefault(key, name)
        self.partial_keys = self._partials()
        self.max_len = max([len(k.split()) for k in (*vocab.titles, *self.series_keys)] + [1])
        self.known = vocab.known_words
        # "guns germs and steel", "enders game", "to kill a mocking bird", "jk rowling": the same
        # letters as a key, spaced or punctuated otherwise
        self.squashed: dict[str, tuple[Kind | Literal["partial"], str]] = {}
        for kind, keys in (("person", vocab.people), ("partial", self.partial_keys),
                           ("series", self.series_keys), ("title", vocab.titles)):
            for key in keys:
                flat = squash(key)
                # a short key only where it lost punctuation ("I Robot" for "I, Robot")
                if len(flat) >= 8 or (len(flat) >= 6 and re.search(r"[,:;!?'.-]", key)):
                    self.squashed[flat] = (kind, key)

    def _partials(self) -> dict[str, int]:
        """Distinctive pieces of long titles ("dragon tattoo", "mockingbird"): two content words,
        or one rare word, found in exactly one title. They link only with evidence."""
        seen: dict[str, set[int]] = {}
        rare: dict[str, bool] = {}
        for key, row in self.vocab.titles.items():
            if key not in self.proper:
                continue
            toks = key.split()
            content = [w not in STOPWORDS and w[:1].isalnum() for w in toks]
            for w in toks:
                if w not in rare:
                    rare[w] = zipf(w) < RARE_ZIPF
            if sum(content) < 2:
                continue
            for n in (1, 2, 3):
                for i in range(len(toks) - n + 1):
                    if not (content[i] and content[i + n - 1]) or (n == 1 and not rare[toks[i]]) \
                            or (n > 1 and (sum(content[i : i + n]) < 2 or sum(content) < 3)):
                        continue
                    seen.setdefault(" ".join(toks[i : i + n]), set()).add(row)
        vocab, pop = self.vocab, self.catalog.popularity
        out = {}
        for k, rows in seen.items():
            if k in vocab.titles or k in vocab.values or k in vocab.people:
                continue
            ranked = sorted(rows, key=lambda r: -pop[r])
            if len(ranked) == 1 or pop[ranked[0]] - pop[ranked[1]] > 0.1:  # about 5x the readers
                out[k] = ranked[0]
        return out

    def series_item(self, name: str, ordinal: int) -> int | None:
        members = [m for m in self.series_members.get(name, []) if np.isfinite(m[0])]
        if not members:
            return None
        if ordinal == -1:
            pop = self.catalog.popularity
            top = max(pop[row] for _, row in members)
            main = [row for _, row in members if pop[row] >= top - 0.1]  # within about 5x the readers
            return main[-1]
        for pos, row in members:
            if pos == ordinal:
                return row
        return None

    def in_series(self, row: int | None, name: str) -> bool:
        """Whether the item at ``row`` is a volume of series ``name`` ("The Wheel of Time" the
        box set is not: the words mean the series)."""
        return row is not None and self.series_of(row) == name

    def series_of_title(self, key: str) -> str | None:
        """The series of the item a title key names ("twilight" -> the Twilight series)."""
        row = self.vocab.titles.get(key)
        name = self.series_of(row) if row is not None else None
        return " ".join(tokenize(name)) if name else None

    def representative(self, name: str) -> int | None:
        """The volume that stands for a whole series: the most read one."""
        members = self.series_members.get(name)
        if not members:
            return None
        pop = self.catalog.popularity
        return max((row for _, row in members), key=lambda r: pop[r])

    def series_of(self, row: int) -> str | None:
        if not self.series_field:
            return None
        values = self.catalog.items[row].categorical.get(self.series_field, [])
        return values[0] if values else None


def _series_aliases(name: str) -> set[str]:
    """"Percy Jackson and the Olympians" is also "Percy Jackson"; "The Dark Tower" "dark tower"."""
    key = " ".join(tokenize(name))
    out = {key}
    toks = key.split()
    if toks and toks[0] in _ARTICLES and len(toks) > 1:
        out.add(" ".join(toks[1:]))
    elif len(toks) > 1:
        out.add(f"the {key}")  # "the Wheel of Time" for "Wheel of Time"
    for sep in (" and the ", " and ", ": ", " - ", " , "):
        head = key.split(sep)[0].strip()
        if head != key and (len(content_words(head.split())) >= 2 or any(zipf(w) < RARE_ZIPF for w in head.split())):
            out.add(head)
    return {k for k in out if k and k not in STOPWORDS}


def _series_short(name: str) -> set[str]:
    """Shorter names that say a series only beside a series word: a rare word of it ("narnia",
    "poirot", "reacher"), its last two words ("wimpy kid"), its initials ("lotr", "asoiaf")."""
    toks = [t for t in tokenize(name) if t[0].isalnum()]
    words = [t for t in toks if t not in STOPWORDS]
    out = {w for w in words if zipf(w) < RARE_ZIPF and len(w) > 3}
    if len(words) >= 2:
        out.add(" ".join(words[-2:]))
    bare = toks[1:] if toks and toks[0] in _ARTICLES else toks
    for seq in (toks, bare):
        initials = "".join(t[0] for t in seq)
        if len(seq) >= 3 and len(initials) >= 3 and zipf(initials) < RARE_ZIPF:
            out.add(initials)
    return out


#: the mention index of a catalog version, built once per process
index_for: PerCatalog[MentionIndex] = PerCatalog(lambda catalog: MentionIndex(catalog, vocabulary_for(catalog)),
                                                  name="mentions")


class Linker:
    """Finds the titles, series and people in one tokenised message."""

    def __init__(self, index: MentionIndex):
        self.index = index
        self.vocab = index.vocab

    def link(self, text: str, tokens: list[str], caps: list[bool], taken: np.ndarray | None = None,
             people: bool = True) -> list[_Candidate]:
        taken = np.zeros(len(tokens), dtype=bool) if taken is None else taken.copy()
        before_names = taken.copy()
        # a full name is a person before it is a title ("a John Green book" is not "Green")
        for m in self.vocab._longest(tokens, taken, self.vocab.people, "person", max_len=10, min_len=2):
            taken[m.start : m.end] = True
        mixed = _mixed_case(text)
        quoted = _quoted_spans(text, tokens)
        found: list[_Candidate] = []
        cands = self._ordinal_series(tokens, taken) + self._exact(tokens, taken) + self._squashed(tokens, taken)
        cands += self._acronyms(text, tokens, taken)
        for cand in cands + self._typos(tokens, taken):
            self._weigh(cand, tokens, caps, mixed, quoted)
            found.append(cand)
        found += self._quoted(text, tokens, taken, quoted)
        kept = _resolve_overlaps([c for c in found if c.strength >= 1.0])
        kept = self._lists(kept, found, tokens)
        taken = before_names
        for c in kept:
            taken[c.start : c.end] = True
        if people:
            kept += self._people(tokens, caps, taken)
        return sorted(kept, key=lambda c: c.start)

    # --- candidates ------------------------------------------------------------------------------
    def _exact(self, tokens: list[str], taken: np.ndarray) -> list[_Candidate]:
        out = []
        index, titles = self.index, self.vocab.titles
        for i in range(len(tokens)):
            for n in range(min(index.max_len, len(tokens) - i), 0, -1):
                if taken[i : i + n].any():
                    continue
                key = " ".join(tokens[i : i + n])
                if not key[0].isalnum():
                    continue
                named = self._series_before_word(tokens, i, i + n)
                if named is not None:  # "the twilight saga", "the dune books", "LOTR books"
                    out.append(_Candidate("series", i, i + n, named, named, ["series word"]))
                elif key in index.series_keys and (key not in index.proper or self._series_context(tokens, i, i + n)
                                                 or not index.in_series(titles.get(key), index.series_keys[key])):
                    name = index.series_keys[key]
                    end = i + n + (1 if i + n < len(tokens) and tokens[i + n] in SERIES_WORDS else 0)
                    out.append(_Candidate("series", i, end, name, name))
                elif key in index.series_short and self._series_context(tokens, i, i + n):
                    name = index.series_short[key]
                    out.append(_Candidate("series", i, i + n, name, name, ["series word"]))
                elif key in titles:
                    row = titles[key]
                    out.append(_Candidate("title", i, i + n, self.index.catalog.items[row].id,
                                          self.index.catalog.items[row].title))
                elif key in index.partial_keys:
                    row = index.partial_keys[key]
                    out.append(_Candidate("title", i, i + n, self.index.catalog.items[row].id,
                                          self.index.catalog.items[row].title, ["partial"]))
        return out

    def _squashed(self, tokens: list[str], taken: np.ndarray) -> list[_Candidate]:
        out = []
        index = self.index
        for i in range(len(tokens)):
            for n in range(min(7, len(tokens) - i), 1, -1):
                span = tokens[i : i + n]
                if taken[i : i + n].any() or not span[0][0].isalnum() or not span[-1][0].isalnum() \
                        or span[0] == "and" or span[-1] == "and":
                    continue
                hit = index.squashed.get(squash(" ".join(span)))
                if hit is None or hit[1] == " ".join(span):
                    continue
                kind, key = hit
                if kind == "person":
                    shown = self.vocab.people[key][1]
                    out.append(_Candidate("person", i, i + n, shown, shown, ["spelling"]))
                elif kind == "series":
                    name = index.series_keys[key]
                    out.append(_Candidate("series", i, i + n, name, name, ["spelling"]))
                else:
                    row = index.partial_keys[key] if kind == "partial" else self.vocab.titles[key]
                    item = index.catalog.items[row]
                    out.append(_Candidate("title", i, i + n, item.id, item.title,
                                          ["spelling"] + (["partial"] if kind == "partial" else [])))
                break
        return out

    def _acronyms(self, text: str, tokens: list[str], taken: np.ndarray) -> list[_Candidate]:
        """A series by its initials in capitals ("ACOTAR", "ASOIAF"): written so, it is a name."""
        capitals = {w.lower() for w in re.findall(r"\b[A-Z]{3,}\b", text)}
        out = []
        for i, tok in enumerate(tokens):
            name = self.index.series_short.get(tok) if tok in capitals and not taken[i] else None
            if name:
                out.append(_Candidate("series", i, i + 1, name, name, ["acronym", "quoted"]))
        return out

    def _lists(self, kept: list[_Candidate], found: list[_Candidate], tokens: list[str]) -> list[_Candidate]:
        """A title listed beside a linked one ("read Dune, Foundation and Hyperion") is meant as a
        title too, even without evidence of its own."""
        changed = True
        while changed:
            changed = False
            for c in found:
                if c in kept or c.kind == "person" or c.strength <= 0 or "partial" in c.evidence:
                    continue
                if all(w in CUE_WORDS or w in STOPWORDS for w in tokens[c.start : c.end]):
                    continue  # "saw Jumanji and loved it": a verb is not a listed title
                if any(not (c.end <= k.start or c.start >= k.end) for k in kept):
                    continue
                if any(_listed_beside(tokens, c, k) for k in kept if k.kind != "person"):
                    c.evidence.append("listed")
                    kept.append(c)
                    changed = True
        return kept

    def _series_before_word(self, tokens: list[str], start: int, end: int) -> str | None:
        """The series a span ending in a series word names by the words before it."""
        if end - start < 2 or tokens[end - 1] not in SERIES_WORDS or " ".join(tokens[start:end]) in self.index.series_keys:
            return None
        words = tokens[start : end - 1]
        if words[0] in _ARTICLES and len(words) > 1:
            words = words[1:]
        key = " ".join(words)
        return self.index.series_keys.get(key) or self.index.series_short.get(key) or \
            self.index.series_short.get(key.replace(" ", ""))

    def _series_context(self, tokens: list[str], start: int, end: int) -> bool:
        """"the Harry Potter books", "the Hunger Games series", "all of Discworld"."""
        after = tokens[end] if end < len(tokens) else ""
        before = tokens[start - 1] if start else ""
        return after in SERIES_WORDS or before in ("all", "whole", "entire", "rest") or (
            after in ("ones",) and before == "the")

    def _ordinal_series(self, tokens: list[str], taken: np.ndarray) -> list[_Candidate]:
        """"the first Hunger Games", "the third Harry Potter book", "book 2 of the Expanse",
        "Twilight book 2", "Dune 2"."""
        out = self._numbered_series(tokens, taken)
        index = self.index
        for i, tok in enumerate(tokens):
            ordinal = ORDINAL_WORDS.get(tok)
            skip = 1
            if ordinal is None and tok in ("book", "volume", "part") and i + 1 < len(tokens) \
                    and (tokens[i + 1].isdigit() or tokens[i + 1] in _NUMBER_WORDS):
                ordinal, skip = int(_NUMBER_WORDS.get(tokens[i + 1], tokens[i + 1])), 2
            if ordinal is None:
                continue
            j = i + skip
            while j < len(tokens) and tokens[j] in ("book", "one", "novel", "volume", "of", "in", "the"):
                j += 1
            for n in range(min(index.max_len, len(tokens) - j), 0, -1):
                key = " ".join(tokens[j : j + n])
                name = index.series_keys.get(key)
                if name is None or taken[j : j + n].any():
                    continue
                row = index.series_item(name, ordinal)
                if row is not None:
                    end = j + n
                    while end < len(tokens) and tokens[end] in ("book", "books", "series", "novel"):
                        end += 1
                    words = content_words(key.split())
                    # "last summer" is a time, not the last of the Summer books
                    if end == j + n and not skip == 2 and words and min(zipf(w) for w in words) >= DISTINCT_ZIPF:
                        break
                    start = i - 1 if i and tokens[i - 1] == "the" else i
                    item = index.catalog.items[row]
                    out.append(_Candidate("title", start, end, item.id, item.title, ["series ordinal"]))
                break
        return out

    def _numbered_series(self, tokens: list[str], taken: np.ndarray) -> list[_Candidate]:
        out = []
        index = self.index
        for i in range(len(tokens)):
            for n in range(min(index.max_len, len(tokens) - i), 0, -1):
                key = " ".join(tokens[i : i + n])
                name = index.series_keys.get(key) or (
                    index.series_keys.get(index.series_of_title(key) or "") if key in self.vocab.titles else None)
                if name is None or taken[i : i + n].any():
                    continue
                j = i + n + (1 if i + n < len(tokens) and tokens[i + n] in ("book", "volume", "part", "#") else 0)
                if j < len(tokens) and tokens[j].isdigit() and len(tokens[j]) <= 2:
                    row = index.series_item(name, int(tokens[j]))
                    if row is not None:
                        item = index.catalog.items[row]
                        out.append(_Candidate("title", i, j + 1, item.id, item.title, ["series ordinal"]))
                break
        return out

    def _typos(self, tokens: list[str], taken: np.ndarray, budget: int = 3) -> list[_Candidate]:
        """Spans with a word neither the catalog nor English knows ("hungar games", "harry poter")."""
        out = []
        index = self.index
        bare = [_possessive(t) for t in tokens]
        unknown = [i for i, t in enumerate(bare) if t.isalpha() and len(t) >= 4 and not taken[i]
                   and t not in index.known and zipf(t) < 1.5]
        for i in unknown[:budget]:
            best = None
            # the word alone and the short spans around it (each look-up scans every title, series
            # and person, so a handful per word)
            for a, b in ((i, i + 1), (i - 1, i + 1), (i, i + 2), (i - 1, i + 2), (i - 2, i + 1), (i, i + 3),
                         (i - 2, i + 2), (i - 3, i + 1)):
                if a < 0 or b > len(tokens):
                    continue
                span = bare[a:b]
                if len(content_words(span)) < 1 or taken[a:b].any() or not all(w.isalnum() for w in span):
                    continue
                hit = self._fuzzy(" ".join(span))
                if hit and (best is None or hit[0] > best[0] or hit[0] == best[0] and b - a > best[2] - best[1]):
                    best = (hit[0], a, b, hit[1], hit[2])
            if best:
                score, a, b, kind, key = best
                if kind == "series":
                    name = index.series_keys[key]
                    out.append(_Candidate("series", a, b, name, name, ["typo"]))
                elif kind == "person":
                    field, shown = self.vocab.people[key]
                    out.append(_Candidate("person", a, b, shown, shown, ["typo"]))
                else:
                    item = index.catalog.items[self.vocab.titles[key]]
                    out.append(_Candidate("title", a, b, item.id, item.title, ["typo"]))
        return out

    def _fuzzy(self, phrase: str) -> tuple[float, str, str] | None:
        if len(phrase) < 6:
            return None
        best = None
        index = self.index
        for kind, choices in (("series", index.series_keys), ("title", self.vocab.titles),
                              ("person", self.vocab.people)):
            hit = process.extractOne(phrase, choices.keys(), scorer=fuzz.ratio, score_cutoff=88)
            if not hit or abs(len(hit[0]) - len(phrase)) > 3:
                continue
            # on a tie a book's own title beats its series' name ("hungar games" is book 1), a
            # title merely derived from the series name does not ("harry poter")
            own = kind == "title" and best is not None and best[1] == "series" and hit[0] in index.proper \
                and index.in_series(self.vocab.titles[hit[0]], index.series_keys[best[2]])
            if best is None or hit[1] > best[0] or (own and hit[1] == best[0]):
                best = (float(hit[1]), kind, hit[0])
        return best

    def _quoted(self, text: str, tokens: list[str], taken: np.ndarray,
                quoted: list[tuple[int, int]]) -> list[_Candidate]:
        out = []
        for a, b in quoted:
            if taken[a:b].any():
                continue
            key = " ".join(tokens[a:b])
            if key in self.vocab.titles:
                item = self.index.catalog.items[self.vocab.titles[key]]
                out.append(_Candidate("title", a, b, item.id, item.title, ["quoted"], 3.0))
                continue
            hit = process.extractOne(key, self.vocab.titles.keys(), scorer=fuzz.ratio, score_cutoff=85)
            if hit:
                item = self.index.catalog.items[self.vocab.titles[hit[0]]]
                out.append(_Candidate("title", a, b, item.id, item.title, ["quoted", "typo"], 2.5))
        return out

    def _people(self, tokens: list[str], caps: list[bool], taken: np.ndarray) -> list[_Candidate]:
        from recpilot.agent.cues import PERSON_CUES

        out = []
        for m in self.vocab.find_people(tokens, taken, caps, cues=PERSON_CUES):
            out.append(_Candidate("person", m.start, m.end, m.label, m.label, ["person"], 1.0))
        return out

    # --- evidence -----------------------------------------------------------------------------------
    def _weigh(self, c: _Candidate, tokens: list[str], caps: list[bool], mixed: bool,
               quoted: list[tuple[int, int]]) -> None:
        span = tokens[c.start : c.end]
        bare = span[1:] if len(span) > 1 and span[0] in _ARTICLES else span
        words = content_words(bare)
        key = " ".join(bare)
        if any((a <= c.start and c.end <= b) or (c.start <= a and b <= c.end) for a, b in quoted):
            c.evidence.append("quoted")
        before = _cue_before(tokens, c.start)
        if before:
            c.evidence.append(f"cue:{before}")
        after = _cue_after(tokens, c.end)
        if after:
            c.evidence.append(f"cue:{after}")
        if c.kind == "title" and self._by_its_author(tokens, c):
            c.evidence.append("by its author")
        # (a number has no capital: "Iron Man 2" is written as a title)
        content_idx = [c.start + k for k, w in enumerate(span) if w in words and not w.isdigit()]
        if _whole_message(tokens, c):  # the message is the title and nothing else ("Halloween")
            c.evidence.append("whole message")
        if mixed and content_idx and all(caps[i] for i in content_idx if i < len(caps)) and not (
                len(content_idx) == 1 and _sentence_start(tokens, content_idx[0]) and content_idx[0] == c.start):
            c.evidence.append("capitalized")
        distinctive = (len(words) >= 2 and (min(zipf(w) for w in words) < DISTINCT_ZIPF or len(span) >= 4)) or (
            len(words) == 1 and zipf(words[0]) < RARE_ZIPF and words[0] not in self.vocab.values)
        if "partial" in c.evidence:  # a piece of a title is distinctive only through a rare word
            distinctive = any(zipf(w) < RARE_ZIPF for w in words)
        if distinctive:
            c.evidence.append("distinctive")
        if key in self.vocab.values or key in self.vocab.people or (
                key in KIND_WORDS and not {"quoted", "capitalized", "whole message"} & set(c.evidence)):
            c.strength = 3.0 if "quoted" in c.evidence else 0.0  # "horror", "Stephen King" are not titles here
            return
        strong_cue = {"quoted", "by its author"} & set(c.evidence)
        if span[0] in _PREPOSITIONS and not (strong_cue or "capitalized" in c.evidence):
            c.strength = 0.0  # "easy to read on the beach" is not On the Beach
            return
        if not words or (len(words) == 1 and words[0] in PRONOUN_TITLES):
            # "I read It last summer": a pronoun is a title only when written as one
            titled = mixed and all(caps[c.start : c.end]) and not _sentence_start(tokens, c.start) and (
                before or after)
            c.strength = 2.0 if strong_cue or titled else 0.0
            return
        if len(words) == 1 and words[0].isdigit():  # "1984" after "like" is a book; after "since", a year
            # (a little weight of its own: listed beside a linked title, it is one too)
            c.strength = 2.0 if strong_cue or (before and before not in _NUMBER_CUES) else 0.05
            return
        strong = {"quoted", "by its author", "series ordinal", "whole message"}
        score = 0.0
        if strong & set(c.evidence):
            score += 2.0
        if "typo" in c.evidence:
            score += 1.0 if (before or after or "capitalized" in c.evidence) else 0.6
        if "spelling" in c.evidence and len(words) >= 2:
            score += 1.0
        if "distinctive" in c.evidence:
            score += 1.0
        if before or after:
            score += 0.6 if len(words) == 1 and zipf(words[0]) >= 5.0 and "capitalized" not in c.evidence else 1.0
        if "capitalized" in c.evidence:
            # one capitalised word may just start a name or a sentence; with its capitalised
            # article ("The Hobbit") or beside others it is written as a title
            titled = len(span) > 1 and caps[c.start]  # "The Hobbit", "On the Road"
            score += 1.0 if len(words) > 1 or titled else 0.6
        if "partial" in c.evidence:
            score -= 0.5
        c.strength = score + 0.01 * len(span)

    def _by_its_author(self, tokens: list[str], c: _Candidate) -> bool:
        """"It by Stephen King": the span is followed by "by" and a person of that very item."""
        if c.end >= len(tokens) or tokens[c.end] != "by":
            return False
        after = " ".join(tokens[c.end + 1 : c.end + 5])
        item = self.index.catalog.get(c.value)
        for name in self.index.catalog.schema.people:
            for person in item.categorical.get(name, []):
                toks = tokenize(person)
                if after.startswith(" ".join(toks)) or (toks and after.split()[:1] == toks[-1:]):
                    return True
        return False


#: "X <verb> ... <evaluative>": "X was honestly awful", "X wasnt that good"
_JUDGING_VERBS = frozenset("""was is were are made has had gets got wasn't wasnt isn't isnt weren't werent aren't
    arent""".split())
_CUES_BEFORE = sorted(CUES_BEFORE, key=len, reverse=True)
_CUES_AFTER = sorted(CUES_AFTER, key=len, reverse=True)


def _cue_before(tokens: list[str], start: int) -> str | None:
    """A cue right before the span, over a few glue words ("loved all of the X")."""
    i = start
    while True:
        for cue in _CUES_BEFORE:
            n = len(cue)
            if i - n >= 0 and tuple(tokens[i - n : i]) == cue:
                return " ".join(cue)
        if i == 0 or start - i >= 3 or tokens[i - 1] not in ("the", "a", "an", "all", "of", "my", "whole",
                                                             "entire", "rest", '"', "“", "'"):
            return None
        i -= 1


def _cue_after(tokens: list[str], end: int) -> str | None:
    if end < len(tokens) and tokens[end] in (",", '"', "”", "'"):
        end += 1
    for cue in _CUES_AFTER:
        n = len(cue)
        if tuple(tokens[end : end + n]) == cue:
            return " ".join(cue)
    # "X was honestly awful", "X is my comfort read", "X made me cry": said of a book
    if end < len(tokens) and tokens[end] in _JUDGING_VERBS:
        for w in tokens[end + 1 : end + 5]:
            if w in EVALUATIVE:
                return f"{tokens[end]} {w}"
    return None


def _possessive(token: str) -> str:
    return token[:-2] if token.endswith("'s") and len(token) > 3 else token


def _listed_beside(tokens: list[str], c: _Candidate, k: _Candidate) -> bool:
    """``c`` and ``k`` are neighbours in a list: only ",", "and", "or", "&", "/" between them."""
    glue = {",", "and", "or", "&", "/", "then", "plus"}
    between = tokens[c.end : k.start] if c.end <= k.start else tokens[k.end : c.start]
    return 0 < len(between) <= 2 and all(w in glue for w in between)


def _whole_message(tokens: list[str], c: _Candidate) -> bool:
    words = [i for i, w in enumerate(tokens) if w[0].isalnum()]
    return bool(words) and words[0] >= c.start and words[-1] < c.end


def _sentence_start(tokens: list[str], i: int) -> bool:
    return i == 0 or tokens[i - 1] in (".", "!", "?", ":", '"', "“", "(")


def _mixed_case(text: str) -> bool:
    """Capitals carry information only in text that uses both cases, and not on every word."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters or all(ch.islower() for ch in letters) or all(ch.isupper() for ch in letters):
        return False
    words = re.findall(r"[A-Za-z][A-Za-z']+", text)
    upper = sum(w[0].isupper() for w in words)
    return not (len(words) >= 4 and upper / len(words) > 0.8)


def _quoted_spans(text: str, tokens: list[str]) -> list[tuple[int, int]]:
    """Token spans of the quoted parts of the message."""
    out = []
    for m in re.finditer(r"[\"“”']([^\"“”]{2,120}?)[\"“”']", text):
        inner = tokenize(m.group(1))
        if not inner:
            continue
        for i in range(len(tokens) - len(inner) + 1):
            if tokens[i : i + len(inner)] == inner and (i, i + len(inner)) not in out:
                out.append((i, i + len(inner)))
                break
    return out


def _resolve_overlaps(cands: list[_Candidate]) -> list[_Candidate]:
    """Where candidates overlap, the strongest wins (then the longest)."""
    kept: list[_Candidate] = []
    for c in sorted(cands, key=lambda c: (-c.strength, -(c.end - c.start), c.start)):
        if all(c.end <= k.start or c.start >= k.end for k in kept):
            kept.append(c)
    return kept


def link_mentions(catalog: Catalog, text: str) -> list[MentionLink]:
    """The titles, series and people ``text`` names, with character offsets into ``text``."""
    tokens = tokenize(text)
    caps = capitalized(text)
    spans = token_offsets(text, tokens)
    out = []
    for c in Linker(index_for(catalog)).link(text, tokens, caps):
        start, end = spans[c.start][0], spans[c.end - 1][1]
        out.append(MentionLink(kind=c.kind, start=start, end=end, value=c.value, label=c.label,
                               evidence=c.evidence, tok_start=c.start, tok_end=c.end))
    return out


def token_offsets(text: str, tokens: list[str]) -> list[tuple[int, int]]:
    """Character spans of each token in the original text (folding may shorten accented text)."""
    from recpilot.agent.vocabulary import _TOKEN

    folded = normalize(text)
    found = [(m.start(), m.end()) for m in _TOKEN.finditer(folded)]
    if len(text) == len(folded):
        return found
    # map folded offsets back: walk the original, folding one character at a time
    mapping = []
    for i, ch in enumerate(text):
        mapping += [i] * len(normalize(ch))
    mapping.append(len(text))
    return [(mapping[min(a, len(mapping) - 1)], mapping[min(b, len(mapping) - 1)]) for a, b in found]
