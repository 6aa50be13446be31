"""Which canonical genres are a book's MAIN genres, and which are only weaker evidence.

Used by build_demo_catalog.py. The raw labels are goodreads shelf tags among each book's top
tags, present/absent only; almost every book carries several genres that one or two labels
support (Gone Girl is shelved "creepy" and "mystery-thriller-horror", so it is "horror").
A genre's *support* on a book is the number of the book's distinct raw labels that map to it:
the more readers shelve a book under a genre, the more spellings of it reach the top tags.

The rule, per book (every number is a constant below, with why):

1. **Kind.** Labels that say fiction ("fiction", "historical-fiction", "ya-novels") are counted
   against labels that say non-fiction ("nonfiction", "memoir", "biography", "true-crime");
   when they tie (usually neither is there), labels of fiction genres are counted against
   labels of non-fiction genres. Non-fiction genres cannot be main on a fiction book (history
   on a historical novel) and fiction genres cannot on a non-fiction book; "non-fiction" itself
   is a main genre of every non-fiction book.
2. **Content genres** (all but the facets, umbrellas and subgenres below): the strongest is
   main; another is main when it has at least ``MIN_LABELS`` labels and at least a third of the
   strongest one's.
3. **Siblings under an umbrella** (fantasy and science fiction under speculative fiction, which
   readers lump together on "sci-fi" shelves): the weaker is main only with ``SIBLING_SHARE`` of
   the stronger one's support. The umbrella is main when one of its members is.
4. **Facets** (audience: children's, young adult; format: graphic novels) have far more label
   spellings than content genres and are judged among themselves: main with at least
   ``FACET_MIN_LABELS`` labels and a third of the facet's strongest.
5. **Subgenres** (a genre all of whose labels belong to another: middle grade in children's,
   cozy mystery in mystery) are main when all their parents are and they reach
   ``SUBGENRE_SHARE`` of their capacity (the support a book strongly in them shows).
6. A book with no main genre after that keeps its strongest one.

Everything else a book's labels support becomes an *other* genre: soft evidence.
"""

from __future__ import annotations

import collections
import re
from dataclasses import dataclass

NON_FICTION_GENRE = "non-fiction"
NON_FICTION = frozenset(
    {NON_FICTION_GENRE, "biography", "history", "philosophy", "religion", "psychology", "politics", "economics",
     "science", "true crime"}
)
AUDIENCE = ("children's", "young adult", "middle grade", "picture books")
FORMATS = ("graphic novels", "manga")
# said of fiction and non-fiction alike: they do not vote on a book's kind and survive either
KIND_NEUTRAL = frozenset({*AUDIENCE, *FORMATS, "classics", "war", "poetry", "mythology"})
UMBRELLAS = {"speculative fiction": ("fantasy", "science fiction")}

# 2. one or two stray labels are noise on a book with many ("romance" on Gone Girl), while a third
#    of the strongest genre still keeps the real second genres (romance on Pride and Prejudice:
#    2 labels next to classics' 5; mystery on Gone Girl: 5 next to thriller's 8)
MIN_LABELS = 2
SECONDARY_SHARE = 3  # a secondary genre needs 1/SECONDARY_SHARE of the strongest one's support
# 3. Twilight has fantasy 4, science fiction 2; The Hunger Games science fiction 3, fantasy 2
SIBLING_SHARE = 0.7
# 4. a novel collects up to 4 young-adult or children's labels from shelves like "teen" and
#    "childrens-classics" (1984, A Christmas Carol); books written for them carry 5 to 20
FACET_MIN_LABELS = 5
# 5. a subgenre has 1-6 label spellings: one specific label ("cozy-mystery") is already a claim
SUBGENRE_SHARE = 0.3
CAPACITY_PERCENTILE = 0.9

_SAYS_NON_FICTION = re.compile(r"non-?fiction|memoir|biograph|true-crime")
_SAYS_FICTION = re.compile(r"(^|-)(fic|fiction|novels?)($|-)")


@dataclass(frozen=True)
class GenreSplit:
    main: list[str]
    other: list[str]
    kind: str  # "fiction" | "non-fiction" | "mixed"
    support: dict[str, int]


class GenreModel:
    """Canonical genres of the genre map, with what the rule needs to know about them."""

    def __init__(self, label_map: dict[str, list[str]], labels_by_book: dict[str, list[str]]):
        self.label_map = label_map
        genre_labels: dict[str, set[str]] = collections.defaultdict(set)
        for label, genres in label_map.items():
            for genre in genres:
                genre_labels[genre].add(label)
        named = {*NON_FICTION, *KIND_NEUTRAL, *UMBRELLAS, *(m for ms in UMBRELLAS.values() for m in ms)}
        missing = sorted(named - set(genre_labels))
        if missing:
            raise ValueError(f"genre rule names genres the genre map lacks: {missing}")
        self.parents = {
            g: frozenset(p for p in genre_labels if genre_labels[g] < genre_labels[p]) for g in genre_labels
        }
        self.capacity = _capacities(self, labels_by_book.values())
        facets = {*AUDIENCE, *FORMATS}
        self.content = frozenset(
            g for g in genre_labels
            if g not in facets and g not in UMBRELLAS and g != NON_FICTION_GENRE and not self.parents[g]
        )

    def support(self, labels: list[str]) -> collections.Counter:
        sup: collections.Counter = collections.Counter()
        for label in dict.fromkeys(labels):
            sup.update(self.label_map.get(label, ()))
        return sup

    def kind(self, labels: list[str]) -> str:
        fiction, non_fiction = _said_kind(labels)
        if fiction == non_fiction:
            fiction, non_fiction = self._genre_kind(labels)
        if fiction == non_fiction:
            return "mixed"
        return "fiction" if fiction > non_fiction else "non-fiction"

    def _genre_kind(self, labels: list[str]) -> tuple[int, int]:
        fiction = non_fiction = 0
        for label in dict.fromkeys(labels):
            genres = set(self.label_map.get(label, ())) - KIND_NEUTRAL
            if genres and genres <= NON_FICTION:
                non_fiction += 1
            elif genres and not genres & NON_FICTION:
                fiction += 1
        return fiction, non_fiction

    def split(self, labels: list[str]) -> GenreSplit:
        sup = self.support(labels)
        kind = self.kind(labels)
        if not sup:
            return GenreSplit(main=[], other=[], kind=kind, support={})
        fits = {g for g in sup if _fits_kind(g, kind)}
        main = _strongest({g: sup[g] for g in fits & self.content}, MIN_LABELS)
        main -= _weaker_siblings({g: sup[g] for g in main})
        for facet in (AUDIENCE, FORMATS):
            main |= _strongest({g: sup[g] for g in facet if g in sup and not self.parents[g]}, FACET_MIN_LABELS,
                               keep_top=False)
        if kind == "non-fiction":
            main.add(NON_FICTION_GENRE)
        main |= {g for g in fits if self.parents[g] and self.parents[g] <= main
                 and sup[g] >= SUBGENRE_SHARE * self.capacity[g]}
        main |= {u for u, members in UMBRELLAS.items() if u in sup and main & set(members)}
        if not main:
            main = {max(sup, key=lambda g: (g in fits, sup[g] / self.capacity[g], g))}
        other = sorted(set(sup) - main)
        return GenreSplit(main=sorted(main), other=other, kind=kind, support=dict(sup))


def _said_kind(labels: list[str]) -> tuple[int, int]:
    """(labels that say fiction, labels that say non-fiction); "graphic-novel" says neither."""
    fiction = non_fiction = 0
    for label in dict.fromkeys(labels):
        if _SAYS_NON_FICTION.search(label):
            non_fiction += 1
        elif _SAYS_FICTION.search(label) and "graphic" not in label:
            fiction += 1
    return fiction, non_fiction


def _fits_kind(genre: str, kind: str) -> bool:
    if genre in KIND_NEUTRAL or kind == "mixed":
        return True
    return (genre in NON_FICTION) == (kind == "non-fiction")


def _strongest(support: dict[str, int], min_labels: int, keep_top: bool = True) -> set[str]:
    """The strongest genre (when ``keep_top``) and every genre with ``min_labels`` and a
    1/SECONDARY_SHARE share of its support."""
    if not support:
        return set()
    top = max(support.values())
    return {g for g, s in support.items()
            if (keep_top and s == top) or (s >= min_labels and SECONDARY_SHARE * s >= top)}


def _weaker_siblings(main_support: dict[str, int]) -> set[str]:
    weaker = set()
    for members in UMBRELLAS.values():
        present = {g: main_support[g] for g in members if g in main_support}
        if present:
            top = max(present.values())
            weaker |= {g for g, s in present.items() if s < SIBLING_SHARE * top}
    return weaker


def _capacities(model: GenreModel, books_labels) -> dict[str, float]:
    """Per genre, the support a book strongly in it shows: the 90th percentile over the books
    that carry it at all (nearest rank, so the build needs no numpy)."""
    seen: dict[str, list[int]] = collections.defaultdict(list)
    for labels in books_labels:
        for genre, n in model.support(labels).items():
            seen[genre].append(n)
    capacity = {}
    for genre, values in seen.items():
        values.sort()
        capacity[genre] = float(values[min(len(values) - 1, int(CAPACITY_PERCENTILE * len(values)))])
    return capacity
