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

The parts live beside it: demo_genres.py decides each book's main and other genres,
demo_book.py its series, cover and description, demo_readme.py the statistics and README.
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
from demo_book import (
    THEMES,
    build_description,
    cover_url,
    fmt_int,
    series_position,
    split_series,
    themes,
)
from demo_genres import GenreModel, GenreSplit
from demo_readme import catalog_stats, render_readme, summary_lines

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
categorical: [genres, authors, language, other_genres, series]
people: [authors]
numeric: [year, average_rating, ratings_count, series_position]
year: year
rating: average_rating
popularity: ratings_count
series: series
series_position: series_position
# other_genres holds the weaker genres of a book: soft evidence, never a hard match
evidence:
  genres: other_genres
# reader ages of the audience genres
audience_field: genres
audience:
  picture books: [0, 6]
  children's: [0, 8]
  middle grade: [8, 12]
  young adult: [12, 18]
  new adult: [18, 120]
  erotic romance: [18, 120]
keep: [image_url, original_title]
# another title a reader may use ("Harry Potter and the Philosopher's Stone")
title_aliases: [original_title]
# raw shelf labels double as synonyms the parser understands ("sci-fi" -> science fiction)
synonyms_file:
  genres: genre_map.yaml
"""

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
    topics = raw.pop("topics", None) or []
    if not isinstance(topics, list) or not all(isinstance(x, str) for x in topics):
        problems.append("'topics' must be a list of labels")
        topics = []
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
    unmapped = sorted(set(topics) - set(label_to_genres))
    if unmapped:
        problems.append(f"'topics' lists labels that map to no genre: {unmapped}")
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


def build_catalog(src: Path, label_map: dict[str, list[str]], drop: set[str]):
    books_rows = read_csv(src / "books.csv")
    labels_by_book, label_freq = read_labels(src / "book_genres.csv")
    unknown = sorted(set(label_freq) - set(label_map) - drop)
    if unknown:
        lines = [f"  {lab}  ({label_freq[lab]} books)" for lab in unknown]
        raise BuildError(
            f"{len(unknown)} raw genre label(s) are neither mapped nor dropped in the genre map; "
            "add each under a canonical genre or under 'drop':\n" + "\n".join(lines)
        )
    stale = sorted((set(label_map) | drop | set(THEMES)) - set(label_freq))
    try:
        model = GenreModel(label_map, labels_by_book)
    except ValueError as e:
        raise BuildError(str(e)) from e
    order = genre_order(model, labels_by_book)

    catalog, kinds, seen_ids = [], collections.Counter(), set()
    for r in books_rows:
        bid = r["book_id"].strip()
        if not bid.isdigit() or bid in seen_ids:
            raise BuildError(f"books.csv: bad or duplicate book_id {bid!r}")
        seen_ids.add(bid)
        split = model.split(labels_by_book.get(bid, []))
        kinds[split.kind] += 1
        catalog.append(build_book(r, split, themes(labels_by_book.get(bid, [])), order))

    missing_genre_rows = sorted(seen_ids - set(labels_by_book), key=int)
    extra_genre_rows = sorted(set(labels_by_book) - seen_ids, key=int)
    catalog.sort(key=lambda b: int(b["id"]))
    info = {
        "label_freq": label_freq,
        "stale_labels": stale,
        "books_without_genre_row": missing_genre_rows,
        "genre_rows_without_book": extra_genre_rows,
        "kinds": kinds,
        "genres_before": collections.Counter(len(model.support(ls)) for ls in labels_by_book.values()),
    }
    return catalog, info


def read_labels(path: Path) -> tuple[dict[str, list[str]], collections.Counter]:
    """book_id -> its distinct raw labels in source order, and how many books carry each label."""
    labels_by_book: dict[str, list[str]] = {}
    label_freq: collections.Counter = collections.Counter()
    for r in read_csv(path):
        bid = r["book_id"].strip()
        if bid in labels_by_book:
            raise BuildError(f"book_genres.csv: book_id {bid} appears twice")
        labels = list(dict.fromkeys(x.strip() for x in r["genres"].split(",") if x.strip()))
        labels_by_book[bid] = labels
        label_freq.update(labels)
    return labels_by_book, label_freq


def genre_order(model: GenreModel, labels_by_book: dict[str, list[str]]):
    """A sort key for one book's genres, best supported first: support relative to the genre's
    mean support over the books that have it (a genre with many label spellings, like young
    adult, does not win on spelling count alone), then the more common genre, then the name."""
    genre_freq: collections.Counter = collections.Counter()
    support_sum: collections.Counter = collections.Counter()
    for labels in labels_by_book.values():
        sup = model.support(labels)
        genre_freq.update(sup.keys())
        support_sum.update(sup)
    mean = {g: support_sum[g] / genre_freq[g] for g in genre_freq}

    def ranked(genres: list[str], support: dict[str, int]) -> list[str]:
        return sorted(genres, key=lambda g: (-support.get(g, 0) / mean[g], -genre_freq[g], g))

    return ranked


def build_book(r: dict[str, str], split: GenreSplit, about: list[str], ranked) -> dict:
    """One catalog row from its books.csv row, its genre split and its theme words."""
    bid = r["book_id"].strip()
    title = clean_text(r["title"])
    if not title:
        raise BuildError(f"books.csv: book {bid} has no title")
    book: dict = {
        "id": bid,
        "title": title,
        "authors": [clean_text(a) for a in r["authors"].split(", ") if clean_text(a)],
        "average_rating": float(r["average_rating"]),
        "ratings_count": int(r["ratings_count"]),
    }
    optional = {
        "original_title": clean_text(r["original_title"]) or None,
        "year": parse_year(r["original_publication_year"], bid),
        "language": parse_language(r["language_code"], bid),
        "image_url": cover_url(r["image_url"]),
        "genres": split.main or None,
        "other_genres": split.other or None,
    }
    _, series_name, series_num = split_series(title)
    if series_name:
        optional["series"] = series_name
        optional["series_position"] = series_position(series_num)
    book.update({k: v for k, v in optional.items() if v is not None})
    main = ranked(split.main, split.support)
    book["description"] = build_description(book, series_num, bool(series_name), main, about)
    return book


def parse_language(code: str, book_id: str) -> str | None:
    code = code.strip()
    if not code:
        return None
    if code not in LANGUAGES:
        raise BuildError(f"books.csv: book {book_id}: unknown language_code {code!r}; add it to LANGUAGES")
    return LANGUAGES[code]


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
        print(f"warning: genre map or THEMES lists {lab!r}, which no book carries", file=sys.stderr)
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
    stats = catalog_stats(catalog, info)
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
    for line in summary_lines(stats):
        p(line)
    p(f"canonical genres: {n_canonical} (from {len(label_map)} mapped raw labels; {len(drop)} dropped)")
    p(
        f"interactions: {fmt_int(inter['rows'])} ({fmt_int(inter['users'])} users, {fmt_int(inter['items'])} items, {inter['skipped']} skipped)"
    )
    p("output sizes:")
    for name in sorted(set(outputs) | {"genre_map.yaml"}):
        p(f"  {name:<22}{fmt_int((out / name).stat().st_size):>12} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
