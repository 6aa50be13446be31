#!/usr/bin/env python3
"""Build RecPilot's bundled demo catalog from the goodbooks-10k files.

Reads books.csv, book_genres.csv and ratings_sample.csv from --src, and the hand-curated
genre map recpilot/data/demo/genre_map.yaml (the source of truth for genres), and writes
into --out:

    catalog.jsonl.gz     one JSON object per book (sorted keys)
    interactions.csv.gz  user,item,rating in the source row order
    schema.yaml          the field mapping read by `recpilot ingest`
    README.md            attribution, provenance, how it was derived, statistics
    LICENSE              copy of the source LICENSE (CC BY-SA 4.0)
    genre_map.yaml       copied in, only when --out is not the directory it is read from

The output is deterministic: the same inputs give the same bytes (gzip mtime 0 and no
file name in the gzip header, sorted JSON keys, "\\n" line endings, no timestamps).
It fails (exit 1) when book_genres.csv holds a label that genre_map.yaml neither maps
nor drops, so the map stays complete.

Needs only the standard library and PyYAML.

Usage:
    python scripts/build_demo_catalog.py [--src ../shared/data/goodbooks-10k]
                                         [--out recpilot/data/demo]
                                         [--genre-map recpilot/data/demo/genre_map.yaml]
"""

from __future__ import annotations

import argparse
import collections
import csv
import gzip
import hashlib
import io
import json
import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SRC = REPO.parent / "shared" / "data" / "goodbooks-10k"
DEFAULT_OUT = REPO / "recpilot" / "data" / "demo"
DEFAULT_GENRE_MAP = DEFAULT_OUT / "genre_map.yaml"

SOURCE_FILES = ("books.csv", "book_genres.csv", "ratings_sample.csv", "LICENSE", "README.md")

# language_code -> normalised lowercase language name. Unknown codes fail the build.
LANGUAGES = {
    "en": "english",
    "eng": "english",
    "en-US": "english",
    "en-GB": "english",
    "en-CA": "english",
    "ara": "arabic",
    "dan": "danish",
    "fil": "filipino",
    "fre": "french",
    "ger": "german",
    "ind": "indonesian",
    "ita": "italian",
    "jpn": "japanese",
    "mul": "multiple languages",
    "nl": "dutch",
    "nor": "norwegian",
    "per": "persian",
    "pol": "polish",
    "por": "portuguese",
    "rum": "romanian",
    "rus": "russian",
    "spa": "spanish",
    "swe": "swedish",
    "tur": "turkish",
    "vie": "vietnamese",
}

SCHEMA_YAML = """\
id: id
title: title
text: [description]
categorical: [genres, authors, language]
people: [authors]
numeric: [year, average_rating, ratings_count]
year: year
rating: average_rating
popularity: ratings_count
# raw shelf labels double as synonyms the parser understands ("sci-fi" -> science fiction)
synonyms_file:
  genres: genre_map.yaml
"""

DESCRIPTION_MAX = 400
DESCRIPTION_GENRES = 4  # at most this many genres named in the description

# "Title (Series Name, #3)", "Title (Series Name #1-3)", "Title (A #1; B #4)"
SERIES_RE = re.compile(r"^(?P<short>.*\S)\s*\((?P<series>[^()]*#[^()]*)\)$")
SERIES_NUM_RE = re.compile(r"#\s*(?P<num>[0-9]+(?:\.[0-9]+)?(?:\s*[-–]\s*[0-9]+)?)\s*$")
SERIES_WORDS = {
    "series",
    "trilogy",
    "saga",
    "chronicles",
    "cycle",
    "quartet",
    "quintet",
    "sequence",
    "duology",
    "novels",
    "books",
    "tales",
    "mysteries",
    "adventures",
    "plays",
    "chronicle",
}
CANONICAL_RE = re.compile(r"^[a-z][a-z' -]*[a-z]$")


class BuildError(Exception):
    pass


# --------------------------------------------------------------------------- helpers


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (PyYAML keeps the last silently)."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise BuildError(
                f"genre map: duplicate key {key!r} (line {key_node.start_mark.line + 1})"
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def clean_text(s: str) -> str:
    """Strip and collapse runs of whitespace (the source has double spaces in titles)."""
    return " ".join(s.split())


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def gzip_bytes(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def fmt_int(n: int) -> str:
    return f"{n:,}"


# --------------------------------------------------------------------------- genre map


def load_genre_map(path: Path) -> tuple[dict[str, list[str]], set[str]]:
    """Return (label -> [canonical genres], dropped labels)."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except yaml.YAMLError as e:
        raise BuildError(f"genre map {path}: invalid YAML: {e}") from e
    if not isinstance(raw, dict) or "drop" not in raw:
        raise BuildError(f"genre map {path}: expected a mapping with a 'drop' list")
    problems: list[str] = []
    drop_list = raw.pop("drop") or []
    if not isinstance(drop_list, list) or not all(isinstance(x, str) for x in drop_list):
        problems.append("'drop' must be a list of strings")
        drop_list = []
    drop = set(drop_list)
    if len(drop) != len(drop_list):
        dups = sorted(k for k, n in collections.Counter(drop_list).items() if n > 1)
        problems.append(f"'drop' lists labels twice: {dups}")
    label_to_genres: dict[str, list[str]] = collections.defaultdict(list)
    for genre, labels in raw.items():
        if not isinstance(genre, str) or not CANONICAL_RE.match(genre) or "  " in genre:
            problems.append(f"bad canonical genre name {genre!r} (lowercase words and spaces)")
            continue
        if (
            not isinstance(labels, list)
            or not labels
            or not all(isinstance(x, str) for x in labels)
        ):
            problems.append(f"genre {genre!r}: needs a non-empty list of label strings")
            continue
        dups = sorted(k for k, n in collections.Counter(labels).items() if n > 1)
        if dups:
            problems.append(f"genre {genre!r} lists labels twice: {dups}")
        for label in dict.fromkeys(labels):
            label_to_genres[label].append(genre)
    both = sorted(drop & set(label_to_genres))
    if both:
        problems.append(f"labels both mapped and dropped: {both}")
    if problems:
        raise BuildError(f"genre map {path}:\n  " + "\n  ".join(problems))
    return {k: sorted(v) for k, v in label_to_genres.items()}, drop


# --------------------------------------------------------------------------- catalog


def parse_year(s: str, book_id: str) -> int | None:
    s = s.strip()
    if not s:
        return None
    y = float(s)
    if not y.is_integer():
        raise BuildError(f"book {book_id}: non-integer year {s!r}")
    return int(y)


def split_series(title: str) -> tuple[str, str | None, str | None]:
    """'The Hunger Games (The Hunger Games, #1)' -> ('The Hunger Games', 'The Hunger Games', '1')."""
    m = SERIES_RE.match(title)
    if not m:
        return title, None, None
    inner = m.group("series").split(";")[0].strip()
    num_m = SERIES_NUM_RE.search(inner)
    num = None
    if num_m:
        num = re.sub(r"\s*[-–]\s*", "-", num_m.group("num"))
        name = inner[: num_m.start()]
    else:
        name = inner.split("#")[0]
    name = name.strip().rstrip(",").strip()
    if not name:
        return title, None, None
    return m.group("short"), name, num


def series_sentence(name: str, num: str | None) -> str:
    last = name.split()[-1].lower()
    noun = name if last in SERIES_WORDS else f"{name} series"
    if not noun.startswith(("The ", "A ", "An ")):
        noun = f"the {noun}"
    if num and re.fullmatch(r"[0-9]+", num):
        return f"Book {num} of {noun}."
    if num and re.fullmatch(r"[0-9]+-[0-9]+", num):
        return f"Books {num} of {noun}."
    return f"Part of {noun}."


def _title_key(s: str) -> str:
    return "".join(ch for ch in s.casefold() if ch.isalnum())


def same_title(a: str, b: str) -> bool:
    """Equal up to case and punctuation, or one is the other plus a subtitle/series
    suffix (only for titles long enough that a shared prefix is meaningful)."""
    ka, kb = _title_key(a), _title_key(b)
    if ka == kb:
        return True
    short, long_ = sorted((ka, kb), key=len)
    return len(short) >= 15 and long_.startswith(short)


def join_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def build_description(
    book: dict, short_title: str, series: tuple[str, str | None] | None, ranked_genres: list[str]
) -> str:
    """Plain sentences built only from catalog fields. Parts are dropped, least useful
    first, until the text fits in DESCRIPTION_MAX characters."""
    authors = book["authors"]
    by = ""
    if authors:
        by = f" by {authors[0]}"
        if len(authors) == 2:
            by += f" (with {authors[1]})"
        elif len(authors) > 2:
            by += f" (with {authors[1]} and {len(authors) - 2} other{'s' if len(authors) > 3 else ''})"
    year = book.get("year")
    when = ""
    if year is not None:
        when = f", first published in {-year} BC" if year < 0 else f", first published in {year}"

    # (priority, text): lower priority is dropped first when too long
    parts: list[tuple[int, str]] = [(9, f"{short_title}{by}{when}.")]
    orig = book.get("original_title")
    if orig and not same_title(orig, short_title) and not same_title(orig, book["title"]):
        parts.append((3, f"Original title: {orig}."))
    if series:
        parts.append((5, series_sentence(*series)))
    if ranked_genres:
        parts.append((7, f"Genres: {join_words(ranked_genres[:DESCRIPTION_GENRES])}."))
    lang = book.get("language")
    if lang and lang != "english":
        parts.append((4, f"Language: {lang}."))
    parts.append(
        (6, f"Rated {book['average_rating']:.2f} by {fmt_int(book['ratings_count'])} readers.")
    )

    def render(ps):
        return " ".join(t for _, t in ps)

    text = render(parts)
    while len(text) > DESCRIPTION_MAX and len(parts) > 1:
        lowest = min((p for p, _ in parts if p < 9), default=None)
        if lowest is None:
            break
        parts = [x for x in parts if x[0] != lowest]
        text = render(parts)
    if len(text) > DESCRIPTION_MAX:  # only a giant title could get here
        text = text[: DESCRIPTION_MAX - 1].rstrip() + "…"
    return text


def build_catalog(src: Path, label_map: dict[str, list[str]], drop: set[str]):
    books_rows = read_csv(src / "books.csv")
    genre_rows = read_csv(src / "book_genres.csv")

    labels_by_book: dict[str, list[str]] = {}
    label_freq: collections.Counter = collections.Counter()
    for r in genre_rows:
        bid = r["book_id"].strip()
        if bid in labels_by_book:
            raise BuildError(f"book_genres.csv: book_id {bid} appears twice")
        labels = list(dict.fromkeys(x.strip() for x in r["genres"].split(",") if x.strip()))
        labels_by_book[bid] = labels
        label_freq.update(labels)

    unknown = sorted(set(label_freq) - set(label_map) - drop)
    if unknown:
        lines = [f"  {lab}  ({label_freq[lab]} books)" for lab in unknown]
        raise BuildError(
            f"{len(unknown)} raw genre label(s) are neither mapped nor dropped in the genre map; "
            "add each under a canonical genre or under 'drop':\n" + "\n".join(lines)
        )
    stale = sorted((set(label_map) | drop) - set(label_freq))

    # First pass: per-book canonical genres with their support (= number of the book's
    # distinct raw labels that map to the genre). The description names the genres whose
    # support is highest relative to that genre's mean support over the books that have
    # it (genres with many label spellings, like young adult, would otherwise win on raw
    # counts); ties go to the more common genre, then the name.
    supports: dict[str, collections.Counter] = {}
    genre_freq: collections.Counter = collections.Counter()
    support_sum: collections.Counter = collections.Counter()
    for bid, labels in labels_by_book.items():
        sup: collections.Counter = collections.Counter()
        for lab in labels:
            for g in label_map.get(lab, ()):
                sup[g] += 1
        supports[bid] = sup
        genre_freq.update(sup.keys())
        support_sum.update(sup)
    mean_support = {g: support_sum[g] / genre_freq[g] for g in genre_freq}

    catalog = []
    seen_ids = set()
    for r in books_rows:
        bid = r["book_id"].strip()
        if not bid.isdigit() or bid in seen_ids:
            raise BuildError(f"books.csv: bad or duplicate book_id {bid!r}")
        seen_ids.add(bid)
        title = clean_text(r["title"])
        if not title:
            raise BuildError(f"books.csv: book {bid} has no title")
        authors = [clean_text(a) for a in r["authors"].split(", ") if clean_text(a)]
        book: dict = {
            "id": bid,
            "title": title,
            "authors": authors,
            "average_rating": float(r["average_rating"]),
            "ratings_count": int(r["ratings_count"]),
        }
        orig = clean_text(r["original_title"])
        if orig:
            book["original_title"] = orig
        year = parse_year(r["original_publication_year"], bid)
        if year is not None:
            book["year"] = year
        code = r["language_code"].strip()
        if code:
            if code not in LANGUAGES:
                raise BuildError(
                    f"books.csv: book {bid}: unknown language_code {code!r}; add it to LANGUAGES"
                )
            book["language"] = LANGUAGES[code]
        sup = supports.get(bid, collections.Counter())
        if sup:
            book["genres"] = sorted(sup)
        ranked = sorted(sup, key=lambda g: (-sup[g] / mean_support[g], -genre_freq[g], g))
        short, series_name, series_num = split_series(title)
        series = (series_name, series_num) if series_name else None
        book["description"] = build_description(book, short, series, ranked)
        catalog.append(book)

    missing_genre_rows = sorted(seen_ids - set(labels_by_book), key=int)
    extra_genre_rows = sorted(set(labels_by_book) - seen_ids, key=int)
    catalog.sort(key=lambda b: int(b["id"]))
    info = {
        "label_freq": label_freq,
        "stale_labels": stale,
        "books_without_genre_row": missing_genre_rows,
        "genre_rows_without_book": extra_genre_rows,
    }
    return catalog, info


def build_interactions(src: Path, ids: set[str]) -> tuple[bytes, dict]:
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["user", "item", "rating"])
    kept = skipped = 0
    users, items = set(), set()
    with (src / "ratings_sample.csv").open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        for i, r in enumerate(reader, start=2):
            user, item, rating = r["user_id"].strip(), r["book_id"].strip(), r["rating"].strip()
            if not (user.isdigit() and item.isdigit() and rating.isdigit()):
                raise BuildError(f"ratings_sample.csv line {i}: bad row {r}")
            if item not in ids:
                skipped += 1
                continue
            w.writerow([user, item, int(rating)])
            kept += 1
            users.add(user)
            items.add(item)
    return out.getvalue().encode("utf-8"), {
        "rows": kept,
        "skipped": skipped,
        "users": len(users),
        "items": len(items),
    }


# --------------------------------------------------------------------------- outputs


def catalog_stats(catalog: list[dict]) -> dict:
    genre_counts = collections.Counter(g for b in catalog for g in b.get("genres", ()))
    n_genres = collections.Counter(len(b.get("genres", ())) for b in catalog)
    lang = collections.Counter(b["language"] for b in catalog if "language" in b)
    years = [b["year"] for b in catalog if "year" in b]
    return {
        "books": len(catalog),
        "with_genres": sum(1 for b in catalog if b.get("genres")),
        "with_year": len(years),
        "with_language": sum(lang.values()),
        "with_original_title": sum(1 for b in catalog if "original_title" in b),
        "genre_counts": genre_counts,
        "genres_per_book": n_genres,
        "languages": lang,
        "year_min": min(years) if years else None,
        "year_max": max(years) if years else None,
        "bc_years": sum(1 for y in years if y < 0),
        "desc_max": max(len(b["description"]) for b in catalog),
        "max_authors": max(len(b["authors"]) for b in catalog),
        "dup_titles": sum(
            1 for n in collections.Counter(b["title"] for b in catalog).values() if n > 1
        ),
    }


def genres_per_book_buckets(n_genres: collections.Counter) -> list[tuple[str, int]]:
    buckets = [
        ("0", 0, 0),
        ("1-3", 1, 3),
        ("4-6", 4, 6),
        ("7-9", 7, 9),
        ("10-12", 10, 12),
        ("13-15", 13, 15),
        ("16+", 16, 10**9),
    ]
    return [
        (name, sum(c for k, c in n_genres.items() if lo <= k <= hi)) for name, lo, hi in buckets
    ]


def render_readme(stats: dict, inter: dict, src_hashes: dict[str, str], n_canonical: int) -> str:
    gc = stats["genre_counts"]
    genre_lines = "\n".join(
        f"| {g} | {fmt_int(n)} |" for g, n in sorted(gc.items(), key=lambda x: (-x[1], x[0]))
    )
    hash_lines = "\n".join(f"| `{name}` | `{h}` |" for name, h in src_hashes.items())
    lang_lines = ", ".join(
        f"{k} {fmt_int(v)}"
        for k, v in sorted(stats["languages"].items(), key=lambda x: (-x[1], x[0]))
    )
    return f"""\
# RecPilot demo catalog (goodbooks-10k)

This directory is RecPilot's bundled demo data set: 10,000 popular books and a sample
of real user ratings, derived from **goodbooks-10k by Zygmunt Zając**, licensed under
[Creative Commons Attribution-ShareAlike 4.0 International (CC BY-SA 4.0)](http://creativecommons.org/licenses/by-sa/4.0/)
(see `LICENSE`).

The files here are an adaptation of that data set (cleaned fields, normalised genres,
generated description sentences) and are likewise licensed under **CC BY-SA 4.0**, with
the attribution above. This applies to the data files in this directory only, not to
RecPilot's source code. Anything further derived from them and redistributed must stay
CC BY-SA 4.0 and keep this attribution.

## Sources

| source file | provenance |
|---|---|
| `books.csv` | the original goodbooks-10k catalog, from the goodbooks-10k repository (zygmuntz/goodbooks-10k on GitHub) |
| `book_genres.csv` | as prepared in Pradyumna-Chacham/goodbooks-recommender (`data/book_genres.csv`), derived from goodbooks' `book_tags.csv` and `tags.csv` by keeping user shelf tags that name a genre |
| `ratings_sample.csv` | as prepared in fant0md/minor-goodbooks-recommender (`data/ratings_random.csv`): goodbooks' `ratings.csv` restricted to a random 5% of user ids |
| `LICENSE` | from the goodbooks-10k repository |

SHA-256 of the source files this build was made from:

| file | sha256 |
|---|---|
{hash_lines}

## Files

| file | what |
|---|---|
| `catalog.jsonl.gz` | one JSON object per book ({fmt_int(stats["books"])} books), keys sorted |
| `interactions.csv.gz` | `user,item,rating`: {fmt_int(inter["rows"])} ratings (1-5) by {fmt_int(inter["users"])} users on {fmt_int(inter["items"])} books |
| `genre_map.yaml` | hand-curated map from the raw genre labels to {n_canonical} canonical genres (the source of truth; edit it, then rebuild) |
| `schema.yaml` | field mapping read by `recpilot ingest` |
| `README.md`, `LICENSE` | this file (generated), the CC BY-SA 4.0 notice |

### `catalog.jsonl.gz` fields

| key | from | notes |
|---|---|---|
| `id` | `book_id` | string, "1".."10000" |
| `title` | `title` | includes the series, e.g. "The Hunger Games (The Hunger Games, #1)"; whitespace trimmed and collapsed |
| `original_title` | `original_title` | omitted when empty ({fmt_int(stats["with_original_title"])} books have it) |
| `authors` | `authors` | list, split on ", ", source order (may include illustrators, translators, narrators) |
| `year` | `original_publication_year` | int; negative for BC ({stats["bc_years"]} books); omitted when missing ({fmt_int(stats["books"] - stats["with_year"])} books) |
| `average_rating` | `average_rating` | float, goodreads average over all goodreads ratings |
| `ratings_count` | `ratings_count` | int, goodreads ratings count (not the sample below) |
| `language` | `language_code` | lowercase language name (en, eng, en-US, en-GB, en-CA -> "english"); omitted when missing ({fmt_int(stats["books"] - stats["with_language"])} books) |
| `genres` | `book_genres.csv` via `genre_map.yaml` | sorted canonical genres; omitted when none ({fmt_int(stats["books"] - stats["with_genres"])} books) |
| `description` | all of the above | generated sentences for sentence embedding, at most {DESCRIPTION_MAX} characters |

No image URLs, ISBNs, goodreads ids or per-star histograms are included.

### How it was derived

* **Genres.** Each raw label in `book_genres.csv` is mapped by `genre_map.yaml` to zero
  or more canonical genres (labels under `drop` are discarded). A book's `genres` are
  the union, deduplicated and sorted. The build fails if a label is in neither part of
  the map. The raw labels are noisy user shelves (present/absent only), so genres are
  broad and overlapping; see the comments in `genre_map.yaml`.
* **Description.** Built only from the fields above, no outside text and nothing random:
  "<title without series> by <first author> (with ...), first published in <year>.
  Original title: ... Book <n> of the <series> series. Genres: <up to
  {DESCRIPTION_GENRES} genres>. Language: <language, if not English>. Rated <average> by
  <count> readers." Genres are ordered by how many of the book's raw labels support
  them, relative to that genre's average over all books that have it (so a genre with
  many label spellings, like young adult, does not win by spelling count alone), then
  by how common the genre is. Parts are left out (original title first)
  when the text would exceed {DESCRIPTION_MAX} characters.
* **Interactions.** `ratings_sample.csv` renamed to `user,item,rating` (item = `book_id`),
  rows kept in the original order (the only order information: there are no
  timestamps), only rows whose book is in the catalog ({inter["skipped"]} dropped).

## Caveats

* Genres come from user shelves, not from an editor: most books carry 4-9 canonical
  genres and some are wrong (e.g. "1984" is shelved fantasy and young adult, "The
  Odyssey" history). The description names only the best-supported few.
* "dystopian" exists only as a young-adult shelf in the source, so adult dystopias are
  not tagged with it; "religion" and "science" have no plain source label and are thin.
* `authors` lists every credited contributor (illustrators, translators, narrators,
  editors), up to {stats["max_authors"]} for anthologies; the first is the main author.
* `year` is the original publication year: {stats["bc_years"]} ancient works have negative (BC) years
  and a few medieval ones have years below 1000.
* `language` is the language of the goodreads edition, not of the original work.
* Some titles repeat for different books ({stats["dup_titles"]} titles, e.g. "Selected Poems"); the `id`
  is the only key.

## Rebuild

```
python scripts/build_demo_catalog.py --src ../shared/data/goodbooks-10k --out recpilot/data/demo
```

Needs Python 3.10+ and PyYAML. The output is byte-for-byte deterministic (gzip with
mtime 0, sorted JSON keys).

## Statistics

* books: {fmt_int(stats["books"])}; with genres {fmt_int(stats["with_genres"])}; with year {fmt_int(stats["with_year"])} ({stats["year_min"]} to {stats["year_max"]}); with language {fmt_int(stats["with_language"])}
* languages: {lang_lines}
* genres per book: {", ".join(f"{k}: {fmt_int(v)}" for k, v in genres_per_book_buckets(stats["genres_per_book"]))}

| genre | books |
|---|---|
{genre_lines}
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--src",
        type=Path,
        default=DEFAULT_SRC,
        help=f"goodbooks-10k directory (default {DEFAULT_SRC})",
    )
    ap.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})"
    )
    ap.add_argument(
        "--genre-map",
        type=Path,
        default=DEFAULT_GENRE_MAP,
        help=f"genre map to read (default {DEFAULT_GENRE_MAP})",
    )
    args = ap.parse_args(argv)
    src, out, gmap = args.src.resolve(), args.out.resolve(), args.genre_map.resolve()

    try:
        for name in SOURCE_FILES:
            if not (src / name).is_file():
                raise BuildError(f"missing source file {src / name}")
        if not gmap.is_file():
            raise BuildError(f"missing genre map {gmap}")
        label_map, drop = load_genre_map(gmap)
        catalog, info = build_catalog(src, label_map, drop)
        ids = {b["id"] for b in catalog}
        inter_bytes, inter = build_interactions(src, ids)
    except BuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1

    for lab in info["stale_labels"]:
        print(f"warning: genre map lists {lab!r}, which no book carries", file=sys.stderr)
    if info["books_without_genre_row"]:
        print(
            f"warning: {len(info['books_without_genre_row'])} books have no book_genres.csv row",
            file=sys.stderr,
        )
    if info["genre_rows_without_book"]:
        print(
            f"warning: {len(info['genre_rows_without_book'])} book_genres.csv rows have no book",
            file=sys.stderr,
        )

    n_canonical = len({g for gs in label_map.values() for g in gs})
    stats = catalog_stats(catalog)
    src_hashes = {name: sha256_file(src / name) for name in SOURCE_FILES}

    catalog_text = "".join(
        json.dumps(b, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
        for b in catalog
    )
    out.mkdir(parents=True, exist_ok=True)
    outputs = {
        "catalog.jsonl.gz": gzip_bytes(catalog_text.encode("utf-8")),
        "interactions.csv.gz": gzip_bytes(inter_bytes),
        "schema.yaml": SCHEMA_YAML.encode("utf-8"),
        "README.md": render_readme(stats, inter, src_hashes, n_canonical).encode("utf-8"),
        "LICENSE": (src / "LICENSE").read_bytes(),
    }
    if out / "genre_map.yaml" != gmap:
        outputs["genre_map.yaml"] = gmap.read_bytes()
    for name, data in outputs.items():
        write_bytes(out / name, data)

    # ------------------------------------------------------------------ summary
    p = print
    p(f"built demo catalog in {out}")
    p(f"books: {fmt_int(stats['books'])}")
    p(f"  with genres:   {fmt_int(stats['with_genres'])}")
    p(
        f"  with year:     {fmt_int(stats['with_year'])}  (range {stats['year_min']}..{stats['year_max']}, {stats['bc_years']} BC)"
    )
    p(f"  with language: {fmt_int(stats['with_language'])}")
    p(
        f"canonical genres: {n_canonical} (from {len(label_map)} mapped raw labels; {len(drop)} dropped)"
    )
    p("genres per book:")
    for name, n in genres_per_book_buckets(stats["genres_per_book"]):
        p(f"  {name:>6}: {fmt_int(n)}")
    p("top 20 genres:")
    for g, n in sorted(stats["genre_counts"].items(), key=lambda x: (-x[1], x[0]))[:20]:
        p(f"  {g:<24}{fmt_int(n):>7}")
    p(
        f"interactions: {fmt_int(inter['rows'])} ({fmt_int(inter['users'])} users, {fmt_int(inter['items'])} items, {inter['skipped']} skipped)"
    )
    p(f"longest description: {stats['desc_max']} chars")
    p("output sizes:")
    for name in sorted(set(outputs) | {"genre_map.yaml"}):
        p(f"  {name:<22}{fmt_int((out / name).stat().st_size):>12} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
