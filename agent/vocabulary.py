"""Deterministic grounding: find catalog titles, categorical values and people in an utterance.

Built once per catalog version from the catalog's own vocabularies (nothing assumes books).
Matches are token spans, so the rule parser can tell what is left over for the LLM.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from recpilot.agent.per_catalog import CatalogBound, PerCatalog
from recpilot.catalog import Catalog

# A number keeps its decimal point and thousands separators ("3.5", "100,000") as one token.
_TOKEN = re.compile(r"\d{1,3}(?:,\d{3})+(?!\d)|\d+\.\d+|[a-z0-9]+(?:['’][a-z]+)?|#\d+|[^\sa-z0-9]")
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
# Words that name what an item is rather than what it is about. A label "X <form>" ("kids
# fiction") also answers "X <noun>" ("kids books"); these lists hold no catalog's own values.
FORM_WORDS = frozenset("fiction books book novels novel lit literature stories story reads films movies shows".split())
ITEM_NOUNS = frozenset(
    "books book novels novel stories story reads fiction lit literature titles movies movie films film shows "
    "series games podcasts albums songs".split()
)


def normalize(text: str) -> str:
    return _fold(text).lower()


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).replace("’", "'")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(normalize(text))


def capitalized(text: str) -> list[bool]:
    """For each token of ``tokenize(text)``, whether it was written with a capital letter."""
    folded = _fold(text)
    low = folded.lower()
    if len(low) != len(folded):  # a rare case-folding that changes lengths: no case information
        return [False] * len(_TOKEN.findall(low))
    return [folded[m.start()].isupper() for m in _TOKEN.finditer(low)]


def _strip_series(title: str) -> str:
    return re.sub(r"\s*\([^)]*#\s*\d[^)]*\)\s*$", "", title).strip()


def _series_name(title: str) -> str | None:
    m = re.search(r"\(([^)#]+?),?\s*#\s*\d[^)]*\)\s*$", title)
    return m.group(1).strip() if m else None


def _key(text: str) -> str:
    return " ".join(t for t in tokenize(text) if t.isalnum() or "'" in t or "." in t or "," in t)


def _title_keys(title: str, series: bool = True) -> tuple[set[str], set[str]]:
    """(keys naming the title itself, keys derived from it: the part before a colon, and the
    series in its parentheses unless ``series`` is False: a catalog with a series field links
    series by that, ``agent/mentions.py``)."""
    proper, derived = set(), set()
    for variant, out in ((title, proper), (_strip_series(title), proper), (title.split(":")[0], derived),
                         ((_series_name(title) or "") if series else "", derived)):
        key = _key(variant)
        if key:
            out.add(key)
            toks = key.split()
            if toks[0] in ("the", "a", "an") and len(toks) > 1:
                out.add(" ".join(toks[1:]))
    return proper, derived - proper


@dataclass(frozen=True)
class Match:
    kind: str  # "title" | "value" | "person"
    start: int  # token span [start, end)
    end: int
    field: str | None = None
    value: str = ""  # canonical value, or item id for titles
    label: str = ""  # what to show
    score: float = 100.0


class Vocabulary(CatalogBound):
    """Lookup tables over one catalog version."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.proper_titles: set[str] = set()  # keys that are some item's own title, not derived
        self.titles = self._build_titles(catalog)
        self.title_choices = list(self.titles)
        self.values: dict[str, tuple[str, str]] = {}  # phrase -> (field, canonical)
        self.people: dict[str, tuple[str, str]] = {}
        self.surnames: dict[str, tuple[str, str, float]] = {}
        self.topics: set[str] = set()  # value keys that name a subject ("dragons"), not a kind
        schema = catalog.schema
        own_keys: set[str] = set()
        for field in schema.categorical:
            # an evidence field's values are read as values of the field it backs ("horror" is a
            # genre, whether it is a book's main genre or a weaker one); series names are linked
            # like titles, by mention linking: a bare "summer" must not become a series constraint
            if field in schema.evidence_fields or field == schema.series:
                continue
            vocab = _with_evidence(catalog, field)
            counts = {v: len(rows) for v, rows in catalog.categorical.get(field, {}).items()}
            if field in schema.people:
                self._add_people(field, vocab, counts)
                continue
            for low, shown in vocab.items():
                key = " ".join(tokenize(low))
                self._add_value(key, field, shown)
                own_keys.update(k for k in (key, *_number_variants(key)) if k in self.values)
            for alias, canonical in schema.synonyms.get(field, {}).items():
                if canonical.lower() in vocab:
                    self._add_value(" ".join(tokenize(alias)), field, vocab[canonical.lower()])
            for alias in schema.topics.get(field, []):  # "dragons": a subject, read as a soft wish
                key = " ".join(tokenize(alias))
                self.topics.update([key, *_number_variants(key)])
        self.stems = self._build_stems()
        self.people_choices = list(self.people)
        # typo correction guesses only among the catalog's own one-word values, and never for a
        # word the catalog itself uses ("germany" is not a misspelt "german")
        self.fuzzy_values = sorted(k for k in own_keys if " " not in k and k.isalpha() and len(k) >= 5)
        self.known_words = _known_words(catalog)
        self.max_title_len = max((len(k.split()) for k in self.titles), default=1)

    def _build_titles(self, catalog: Catalog) -> dict[str, int]:
        """Title key -> row. A key names the most popular item it is the title of; a derived key
        ("Wicked" from "Wicked: The Life and Times of ...", "Harry Potter" from the series) wins
        over an item's own title only when its item is far better known (about 5x the readers)."""
        pop = catalog.popularity
        schema = catalog.schema
        best: dict[str, tuple[float, int]] = {}  # key -> (-score, row)
        for row, item in enumerate(catalog.items):
            proper, derived = _title_keys(item.title, series=not schema.series)
            for name in schema.title_aliases:  # "Harry Potter and the Philosopher's Stone"
                alias = item.extra.get(name)
                if isinstance(alias, str) and alias.strip():
                    more, also = _title_keys(alias, series=not schema.series)
                    proper, derived = proper | more, (derived | also) - proper - more
            self.proper_titles |= proper
            for penalty, keys in ((0.0, proper), (0.1, derived)):
                for key in keys:
                    rank = (penalty - float(pop[row]), row)
                    if key not in best or rank < best[key]:
                        best[key] = rank
        return {key: rank[1] for key, rank in best.items()}

    def _add_people(self, field: str, vocab: dict[str, str], counts: dict[str, int]) -> None:
        for low, shown in vocab.items():
            key = " ".join(tokenize(low))
            self.people[key] = (field, shown)
            parts = [p for p in key.split() if p.isalpha()]
            while len(parts) > 1 and parts[-1] in ("jr", "sr", "ii", "iii", "iv", "phd", "md"):
                parts = parts[:-1]
            if len(parts) >= 3 and all(len(p) > 1 for p in (parts[0], parts[-1])):
                # "Octavia Butler" for "Octavia E. Butler": first and last name alone
                self.people.setdefault(f"{parts[0]} {parts[-1]}", (field, shown))
            # "by Homer" names a one-word author; "by Tolkien" the surname of a longer name,
            # "le guin" or "du maurier" one with a particle
            if parts and len(parts[-1]) > 2:
                surname = parts[-1]
                if len(parts) >= 2 and parts[-2] in _SURNAME_PARTICLES:
                    surname = f"{parts[-2]} {parts[-1]}"
                weight = counts.get(low, 0)
                for name in {surname, parts[-1]}:
                    prev = self.surnames.get(name)
                    if prev is None or weight > prev[2]:
                        self.surnames[name] = (field, shown, weight)

    def _add_value(self, key: str, field: str, shown: str) -> None:
        if not key or key in STOPWORDS:
            return
        self.values.setdefault(key, (field, shown))
        for variant in _number_variants(key):
            if variant not in STOPWORDS and len(variant) > 3:
                self.values.setdefault(variant, (field, shown))

    def _build_stems(self) -> dict[str, tuple[str, str]]:
        """"kids" from the label "kids fiction": used only when an item noun follows ("kids books")."""
        found: dict[str, set[tuple[str, str]]] = {}
        for key, hit in self.values.items():
            words = key.split()
            if len(words) >= 2 and words[-1] in FORM_WORDS and all(w.isalpha() for w in words[:-1]):
                found.setdefault(" ".join(words[:-1]), set()).add(hit)
        return {
            stem: next(iter(hits)) for stem, hits in found.items()
            if len(hits) == 1 and stem not in self.values and stem not in STOPWORDS and len(stem) > 2
            and stem not in FORM_WORDS
        }

    # --- matching -----------------------------------------------------------------------------
    def find_values(self, tokens: list[str], taken: np.ndarray, skip: frozenset[str] = frozenset()) -> list[Match]:
        """Categorical values, longest first; ``skip``: one-word keys not to read as values here."""
        found = [m for m in self._longest(tokens, taken, self.values, "value", max_len=4)
                 if not (m.end - m.start == 1 and tokens[m.start] in skip)]
        for m in found:
            taken[m.start : m.end] = True
        # "kids books": a label's stem followed by a word for the item itself
        for i in range(len(tokens) - 1):
            for length in (2, 1):
                end = i + length
                if end >= len(tokens) or taken[i : end + 1].any() or tokens[end] not in ITEM_NOUNS:
                    continue
                stem = " ".join(tokens[i:end])
                if stem in self.stems and stem not in skip:
                    field, shown = self.stems[stem]
                    found.append(Match("value", i, end + 1, field, shown, shown))
                    taken[i : end + 1] = True
                    break
        return sorted(found, key=lambda m: m.start)

    def fuzzy_value(self, token: str, cutoff: float = 85) -> tuple[str, str] | None:
        """A misspelt one-word value ("fantsy", "thriler"); short words are never guessed."""
        if len(token) < 5 or not token.isalpha() or token in self.known_words:
            return None
        hit = process.extractOne(token, self.fuzzy_values, scorer=fuzz.ratio, score_cutoff=cutoff)
        if hit is None or abs(len(hit[0]) - len(token)) > 2:
            return None
        return self.values[hit[0]]

    def find_people(self, tokens: list[str], taken: np.ndarray, caps: list[bool] | None = None,
                    cues: frozenset[str] = frozenset()) -> list[Match]:
        """Full names anywhere; a surname (the most common person with it) or a misspelt full
        name after "by"; a capitalised surname after one of ``cues`` ("nothing like Tolkien")."""
        found = self._longest(tokens, taken, self.people, "person", max_len=10, min_len=2)  # "j . r . r . tolkien"
        for m in found:
            taken[m.start : m.end] = True
        caps = caps if caps is not None and len(caps) == len(tokens) else [False] * len(tokens)
        for i in range(len(tokens) - 1):
            j = i + 1
            if taken[j] or tokens[i] != "by":
                continue
            fuzzy = self._fuzzy_person_at(tokens, taken, j)
            if fuzzy is not None:
                found.append(fuzzy)
                taken[fuzzy.start : fuzzy.end] = True
        for j in range(len(tokens)):
            match = None if taken[j] else self._surname_at(tokens, j, caps, cues)
            if match is not None:
                found.append(match)
                taken[match.start : match.end] = True
        return found

    def _surname_at(self, tokens: list[str], j: int, caps: list[bool], cues: frozenset[str]) -> Match | None:
        """A surname alone names the best-known person with it: after "by"; after a cue
        ("nothing like Tolkien") when capitalised or rare in English; followed by "writes",
        "'s books" and the like; or anywhere when the word is rare in English and no catalog
        value ("tolkien or martin?" — "martin" then as listed beside it)."""
        from recpilot.agent.english import zipf

        two = f"{tokens[j]} {_possessive(tokens[j + 1])}" if j + 1 < len(tokens) else ""
        length = 2 if two in self.surnames else 1
        surname = two if length == 2 else _possessive(tokens[j])
        hit = self.surnames.get(surname)
        if hit is None or not surname.replace(" ", "").isalpha():
            return None
        prev = tokens[j - 1] if j else ""
        before = f"{tokens[j - 2]} {prev}" if j > 1 else prev
        nxt = tokens[j + length] if j + length < len(tokens) else ""
        rare = zipf(surname.split()[-1]) < 3.4 and self._well_known(surname)
        capital = caps[j] or not any(caps)  # text all in lower case says nothing either way
        if prev == "by":
            ok = True
        elif surname in self.values:
            ok = False
        elif prev in cues or before in cues:
            ok = caps[j] or rare
        else:
            said_of = (nxt in _AFTER_SURNAME or tokens[j].endswith("'s")) and self._well_known(surname)
            listed = prev in ("or", "and", ",") and j > 1 and self._is_person_word(tokens[j - 2])
            ok = rare or listed or (capital and said_of)
        if not ok:
            return None
        field, shown, _ = hit
        return Match("person", j, j + length, field, shown, shown)

    def _well_known(self, surname: str) -> bool:
        """A writer with several books in the catalog: worth linking from a bare surname."""
        hit = self.surnames.get(surname)
        return hit is not None and hit[2] >= 3

    def _is_person_word(self, token: str) -> bool:
        return _possessive(token) in self.surnames

    def _fuzzy_person_at(self, tokens: list[str], taken: np.ndarray, start: int) -> Match | None:
        for length in (3, 2):
            span = tokens[start : start + length]
            if len(span) < length or taken[start : start + length].any() or not all(t.isalpha() for t in span):
                continue
            m = self.fuzzy_person(" ".join(span), cutoff=88)
            if m is not None:
                return Match("person", start, start + length, m.field, m.value, m.label, m.score)
        return None

    def find_titles(self, tokens: list[str], taken: np.ndarray, caps: list[bool] | None = None) -> list[Match]:
        """Exact title spans anywhere in an utterance, when they plausibly are titles."""
        out = []
        for m in self._longest(tokens, taken, self.titles, "title", max_len=min(self.max_title_len, 14)):
            if self.plausible_title(tokens, m.start, m.end, caps, anywhere=True):
                out.append(m)
                taken[m.start : m.end] = True
        return out

    def plausible_title(self, tokens: list[str], start: int, stop: int, caps: list[bool] | None,
                        anywhere: bool) -> bool:
        """Whether an exact title key at [start, stop) is meant as the title. "It", "Civil War",
        "Anne Frank" or "Dragons" are everyday words, values or people before they are titles:
        a title of one content word must be capitalised ("I loved Dune") or carry its article
        ("read the hobbit"); anywhere else it must be capitalised with its article ("The Hobbit",
        not "set in Paris"), unless it is the whole message."""
        span = tokens[start:stop]
        bare = " ".join(span[1:] if len(span) > 1 and span[0] in ("the", "a", "an") else span)
        if any(k in self.values or k in self.people for k in (" ".join(span), bare)):
            return False
        # punctuation and initials are not words: "s ." in "C.S. Lewis" is no title
        words = [w for w in span if w not in STOPWORDS and (w[0].isalnum() and (len(w) > 1 or w.isdigit()))]
        if len(words) >= 2:
            return True
        if not words or len(words[0]) < 4 and not words[0].isdigit():
            return False
        content = [i for i in range(start, stop) if tokens[i] not in STOPWORDS]
        capital = caps is not None and len(caps) == len(tokens) and all(caps[i] for i in content)
        article = len(span) >= 2 and span[0] in ("the", "a", "an")
        last = len(tokens)
        while last > 0 and not tokens[last - 1][0].isalnum():
            last -= 1
        whole = start == 0 and stop == last
        if not anywhere:
            return capital or article or words[0].isdigit()
        return whole or capital and article

    def title_key(self, key: str) -> Match | None:
        return self._title_match(key, 0, 0, 100.0) if key in self.titles else None

    def fuzzy_title(self, phrase: str, cutoff: float = 88, typos_only: bool = False) -> Match | None:
        """The closest title; ``typos_only``: only guess when the phrase has a word that no
        title or text of the catalog uses (a likely typo), which keeps ordinary phrases fast."""
        key = " ".join(tokenize(phrase))
        if len(key) < 3:
            return None
        if key in self.titles:
            return self._title_match(key, 0, 0, 100.0)
        if typos_only and all(w in self.known_words or w in STOPWORDS or not w.isalpha() for w in key.split()):
            return None
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
                if key not in table and kind != "title":
                    key = " ".join(tokens[i : i + length - 1] + [_possessive(tokens[i + length - 1])])
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


def _with_evidence(catalog: Catalog, field: str) -> dict[str, str]:
    """``field``'s vocabulary plus the values found only in its evidence field."""
    weaker = catalog.schema.evidence.get(field)
    return {**catalog.vocabulary(weaker), **catalog.vocabulary(field)} if weaker else catalog.vocabulary(field)


def _known_words(catalog: Catalog) -> frozenset[str]:
    """Every word of the catalog's titles and (the start of) its texts."""
    words: set[str] = set()
    for item in catalog.items:
        words.update(re.findall(r"[a-z]+", normalize(f"{item.title} {item.text[:400]}")))
    return frozenset(words)


_SURNAME_PARTICLES = frozenset("le la de du van von di da del der st mac".split())
#: Words after a surname that say it is a writer: "Patterson writes", "Austen's books".
_AFTER_SURNAME = frozenset("writes wrote is was books novels book novel or and".split())


def _possessive(token: str) -> str:
    """"king's" -> "king"."""
    return token[:-2] if token.endswith("'s") and len(token) > 3 else token


def _number_variants(key: str) -> list[str]:
    """The plural of a label's last word, or its singular ("thriller" <-> "thrillers",
    "mystery" <-> "mysteries", "classics" -> "classic")."""
    head, _, last = key.rpartition(" ")
    prefix = f"{head} " if head else ""
    if not last.isalpha() or len(last) < 3:
        return []
    if last.endswith("ies"):
        return [prefix + last[:-3] + "y"]
    if last.endswith(("ches", "shes", "xes", "sses")):
        return [prefix + last[:-2]]
    if last.endswith("s") and not last.endswith(("ss", "us", "is")):
        return [prefix + last[:-1]]
    if last.endswith("y") and not last.endswith(("ey", "ay", "oy", "uy")):
        return [prefix + last[:-1] + "ies"]
    if last.endswith(("x", "ch", "sh")):
        return [prefix + last + "es"]
    return [prefix + last + "s"]


#: one vocabulary per catalog version and process (building it takes about half a second at 10k items)
vocabulary_for: PerCatalog[Vocabulary] = PerCatalog(Vocabulary, name="vocabulary")
