"""MovieLens-format files (movies.csv, ratings.csv, tags.csv; links.csv optional) and their join
with ReDial's movie list by normalised title and year.

MovieLens (GroupLens, research use only) is never bundled: it is read from a folder the user
gives (https://grouplens.org/datasets/movielens/latest/, ml-latest-small.zip).

Title keys: accents folded, lower case, apostrophes dropped ("Schindler's" = "Schindlers"), any
other punctuation a space, "&" read as "and". MovieLens writes a leading article at the end
("Matrix, The (1999)") and alternative titles in parentheses ("Amelie (Fabuleux destin d'Amélie
Poulain, Le) (2001)", "Seven (a.k.a. Se7en) (1995)"): each alternative is a key of its own, with
its article moved back too. A ReDial movie matches a MovieLens movie with the same year and one
key in common; a ReDial name without a year matches nothing.
"""

from __future__ import annotations

import csv
import re
import unicodedata
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field

from recpilot.errors import UserError
from recpilot.simulator.redial import Movie, split_title

NO_GENRES = "(no genres listed)"
TAGS_PER_MOVIE = 5
_ARTICLES = ("the", "a", "an", "le", "la", "les", "l", "il", "el", "los", "las", "der", "die", "das", "den",
             "det", "en", "ett", "un", "une")
_LEADING = ("the", "a", "an")
_TRAILING_ARTICLE = re.compile(r"^(?P<body>.+),\s*(?P<article>" + "|".join(_ARTICLES) + r")'?$", re.I)
_ALTERNATIVES = re.compile(r"\s*\((?P<alt>[^()]*)\)\s*$")
_AKA = re.compile(r"^(?:a\.?k\.?a\.?|also known as)\s+", re.I)


class MovieLensFormatError(UserError):
    """A MovieLens folder or file that cannot be read at all (missing file, missing columns)."""


class MovieLensMovie(BaseModel):
    id: str
    title: str
    year: int | None = None
    genres: list[str] = Field(default_factory=list)
    keys: list[str] = Field(default_factory=list, description="normalised titles: the main one, then alternatives")


@dataclass
class MovieLens:
    """One MovieLens folder, read: movies by id, ratings as (user, movie, rating) triples, each
    movie's most frequent tags, and how many rows of each file were skipped (with the first reasons)."""

    movies: dict[str, MovieLensMovie]
    ratings: list[tuple[str, str, float]]
    tags: dict[str, list[str]]
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


# --- titles -----------------------------------------------------------------------------------
def normalize_title(text: str) -> str:
    """``"Amélie & Co.: Part 2"`` -> ``"amelie and co part 2"``; ``"WALL·E"`` -> ``"wall e"``."""
    text = unicodedata.normalize("NFKD", urllib.parse.unquote(text))  # ReDial writes "Why Him%3F"
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower().replace("&", " and ")
    text = re.sub(r"['’`]", "", text)
    return " ".join(re.findall(r"[a-z0-9]+", text))


def _article_first(title: str) -> str:
    """``"Matrix, The"`` -> ``"The Matrix"``; anything else unchanged."""
    m = _TRAILING_ARTICLE.match(title.strip())
    if not m:
        return title
    article, body = m.group("article"), m.group("body")
    return f"{article}'{body}" if article.lower() == "l" else f"{article} {body}"  # "Auberge, L'" -> "L'Auberge"


def _without_article(key: str) -> str:
    # "Hangover" in ReDial is "Hangover, The" in MovieLens: keys never start with an article
    words = key.split()
    return " ".join(words[1:]) if len(words) > 1 and words[0] in _LEADING else key


def title_keys(title: str) -> list[str]:
    """The normalised keys of a title without its year: the main title and each alternative in
    trailing parentheses, articles dropped (``"Seven (a.k.a. Se7en)"`` -> seven, se7en;
    ``"Matrix, The"`` -> matrix)."""
    title = " ".join(title.split())
    names = []
    while True:
        m = _ALTERNATIVES.search(title)
        if not m or not title[:m.start()].strip():
            break  # "(500) Days of Summer": the parentheses open the title
        names.append(_AKA.sub("", m.group("alt")))
        title = title[:m.start()]
    names.insert(0, title)
    keys = [_without_article(normalize_title(_article_first(n))) for n in names]
    return [k for k in dict.fromkeys(keys) if k]


def loose_key(title: str) -> str | None:
    """The part before a colon (``"Borat: Cultural Learnings of ..."`` -> borat), when there is one
    and it is a word of four letters or more ("3:10 to Yuma" has none)."""
    head = title.split(":", 1)[0]
    keys = title_keys(head) if head != title else []
    return keys[0] if keys and len(keys[0]) >= 4 and not keys[0].isdigit() else None


# --- reading ----------------------------------------------------------------------------------
def _rows(path: Path, need: set[str], optional: bool = False):
    """Yields (line number, row) of a MovieLens CSV; a missing file or column is a
    ``MovieLensFormatError`` (a missing optional file yields nothing)."""
    if not path.is_file():
        if optional:
            return
        raise MovieLensFormatError(f"MovieLens file not found: {path} (expected the files of ml-latest-small: "
                                   "movies.csv, ratings.csv, tags.csv)")
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = need - set(reader.fieldnames or [])
        if missing:
            raise MovieLensFormatError(f"{path}: missing columns {sorted(missing)} (need {','.join(sorted(need))})")
        for row in reader:
            yield reader.line_num, row


def _ragged(row: dict) -> bool:
    """Too many cells (csv puts them under None) or too few (None values)."""
    return None in row or None in row.values()


def read_movielens(folder: Path) -> MovieLens:
    """Reads ``folder``; malformed rows are skipped and counted per file (``skipped``), with the
    first few reasons in ``errors``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MovieLensFormatError(f"MovieLens folder not found: {folder}")
    skipped: Counter[str] = Counter()
    errors: list[str] = []

    def skip(name: str, lineno: int, why: str) -> None:
        skipped[name] += 1
        if len(errors) < 20:
            errors.append(f"{name} line {lineno}: {why}")

    movies: dict[str, MovieLensMovie] = {}
    for lineno, row in _rows(folder / "movies.csv", {"movieId", "title", "genres"}):
        movie_id, name = (row["movieId"] or "").strip(), (row["title"] or "").strip()
        if _ragged(row) or not movie_id.isdigit() or not name:
            skip("movies.csv", lineno, "needs movieId (a number), title and genres")
            continue
        title, year = split_title(name)
        genres = [g for g in (row["genres"] or "").split("|") if g.strip() and g != NO_GENRES]
        movies[movie_id] = MovieLensMovie(id=movie_id, title=title, year=year, genres=genres, keys=title_keys(title))

    ratings: list[tuple[str, str, float]] = []
    for lineno, row in _rows(folder / "ratings.csv", {"userId", "movieId", "rating"}):
        user, movie_id = (row["userId"] or "").strip(), (row["movieId"] or "").strip()
        try:
            rating = float(row["rating"])
        except (TypeError, ValueError):
            skip("ratings.csv", lineno, f"rating is not a number: {row['rating']!r}")
            continue
        if _ragged(row) or not user or movie_id not in movies or not 0 <= rating <= 5:
            skip("ratings.csv", lineno, "needs userId, a movieId of movies.csv and a rating in [0, 5]")
            continue
        ratings.append((user, movie_id, rating))

    counts: dict[str, Counter[str]] = {}
    for lineno, row in _rows(folder / "tags.csv", {"movieId", "tag"}):
        movie_id, tag = (row["movieId"] or "").strip(), " ".join((row["tag"] or "").lower().split())
        if movie_id not in movies or not tag:
            skip("tags.csv", lineno, "needs a movieId of movies.csv and a tag")
            continue
        counts.setdefault(movie_id, Counter())[tag] += 1
    # most frequent first; ties in the order first seen (Counter keeps insertion order)
    tags = {m: [t for t, _ in c.most_common(TAGS_PER_MOVIE)] for m, c in counts.items()}

    for lineno, row in _rows(folder / "links.csv", {"movieId"}, optional=True):
        if (row["movieId"] or "").strip() not in movies:
            skip("links.csv", lineno, "movieId not in movies.csv")
    return MovieLens(movies=movies, ratings=ratings, tags=tags, skipped=dict(skipped), errors=errors)


# --- the join ---------------------------------------------------------------------------------
class Coverage(BaseModel):
    movies: int
    matched: int
    mentions: int
    mentions_matched: int

    @property
    def movies_share(self) -> float:
        return round(self.matched / self.movies, 4) if self.movies else 0.0

    @property
    def mentions_share(self) -> float:
        return round(self.mentions_matched / self.mentions, 4) if self.mentions else 0.0

    def summary(self) -> dict:
        return {**self.model_dump(), "movies_matched": self.movies_share, "mentions_matched_share": self.mentions_share}

    def line(self) -> str:
        return (f"matched {self.matched}/{self.movies} ReDial movies ({self.movies_share:.1%}), "
                f"{self.mentions_matched}/{self.mentions} of their mentions ({self.mentions_share:.1%})")


def join(redial: list[Movie], movielens: MovieLens) -> tuple[dict[str, str], Coverage]:
    """ReDial id -> MovieLens id, and the coverage (by movies and by ReDial mentions).

    Tried in order, the first hit wins: a title key and the year; a title key and the year
    one off (ReDial's years are sometimes a festival or a later release: "Insidious (2011)" is
    MovieLens's 2010); the title (or its part before a colon) against MovieLens's titles before
    a colon, with the year, then the year one off (ReDial's "Borat (2006)" is "Borat: Cultural
    Learnings of America ..." there); for a ReDial name without a year, a title key that exactly one MovieLens
    movie has. Where MovieLens lists one film twice (the same key and year), the one with more
    ratings wins."""
    rated = Counter(movie_id for _, movie_id, _ in movielens.ratings)
    exact: dict[tuple[str, int], str] = {}
    loose: dict[tuple[str, int], str] = {}
    owners: dict[str, set[str]] = {}
    for movie in movielens.movies.values():
        for key in movie.keys:
            owners.setdefault(key, set()).add(movie.id)
        if movie.year is None:
            continue
        for index, keys in ((exact, movie.keys), (loose, [loose_key(movie.title)])):
            for key in filter(None, keys):
                held = index.get((key, movie.year))
                if held is None or rated[movie.id] > rated[held]:
                    index[(key, movie.year)] = movie.id

    def find(movie: Movie) -> str | None:
        keys = title_keys(movie.title)
        if movie.year is None:
            found = {m for k in keys for m in owners.get(k, ())}
            return next(iter(found)) if len(found) == 1 else None
        heads = [*keys, loose_key(movie.title)]  # "Borat" or "Borat: ..." against MovieLens's "Borat: ..."
        tiers = ((exact, keys, 0), (exact, keys, -1), (exact, keys, 1), (loose, heads, 0), (loose, heads, -1),
                 (loose, heads, 1))
        for index, ks, shift in tiers:
            for key in filter(None, ks):
                hit = index.get((key, movie.year + shift))
                if hit is not None:
                    return hit
        return None

    matches = {movie.id: hit for movie in redial if (hit := find(movie)) is not None}
    coverage = Coverage(movies=len(redial), matched=len(matches), mentions=sum(m.mentions for m in redial),
                        mentions_matched=sum(m.mentions for m in redial if m.id in matches))
    return matches, coverage
