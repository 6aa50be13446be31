"""Statistics of the built demo catalog and the README generated from them.

Used by build_demo_catalog.py; standard library only.
"""

from __future__ import annotations

import collections

from demo_book import DESCRIPTION_GENRES, DESCRIPTION_MAX, fmt_int
from demo_genres import FACET_MIN_LABELS, MIN_LABELS, SIBLING_SHARE, SUBGENRE_SHARE

GENRE_BUCKETS = (("0", 0, 0), ("1-3", 1, 3), ("4-6", 4, 6), ("7-9", 7, 9), ("10-12", 10, 12), ("13+", 13, 10**9))


def catalog_stats(catalog: list[dict], info: dict) -> dict:
    main_counts = collections.Counter(g for b in catalog for g in b.get("genres", ()))
    other_counts = collections.Counter(g for b in catalog for g in b.get("other_genres", ()))
    lang = collections.Counter(b["language"] for b in catalog if "language" in b)
    years = [b["year"] for b in catalog if "year" in b]
    series = collections.Counter(b["series"] for b in catalog if "series" in b)
    positions = [b["series_position"] for b in catalog if "series_position" in b]
    return {
        "books": len(catalog),
        "with_genres": sum(1 for b in catalog if b.get("genres")),
        "with_year": len(years),
        "with_language": sum(lang.values()),
        "with_original_title": sum(1 for b in catalog if "original_title" in b),
        "with_cover": sum(1 for b in catalog if "image_url" in b),
        "with_themes": sum(1 for b in catalog if " Themes: " in b["description"]),
        "with_series": sum(series.values()),
        "series": len(series),
        "series_2plus": sum(1 for n in series.values() if n > 1),
        "with_position": len(positions),
        "novellas": sum(1 for p in positions if not float(p).is_integer()),
        "kinds": info["kinds"],
        "main_counts": main_counts,
        "other_counts": other_counts,
        "genres_before": info["genres_before"],
        "main_per_book": collections.Counter(len(b.get("genres", ())) for b in catalog),
        "other_per_book": collections.Counter(len(b.get("other_genres", ())) for b in catalog),
        "languages": lang,
        "year_min": min(years) if years else None,
        "year_max": max(years) if years else None,
        "bc_years": sum(1 for y in years if y < 0),
        "desc_max": max(len(b["description"]) for b in catalog),
        "max_authors": max(len(b["authors"]) for b in catalog),
        "dup_titles": sum(1 for n in collections.Counter(b["title"] for b in catalog).values() if n > 1),
    }


def buckets(per_book: collections.Counter) -> str:
    return ", ".join(
        f"{name}: {fmt_int(sum(c for k, c in per_book.items() if lo <= k <= hi))}" for name, lo, hi in GENRE_BUCKETS
    )


def exact(per_book: collections.Counter) -> str:
    return ", ".join(f"{k}: {fmt_int(v)}" for k, v in sorted(per_book.items()))


def summary_lines(stats: dict) -> list[str]:
    """The statistics as short lines, for the build's console summary."""
    kinds = stats["kinds"]
    return [
        f"books: {fmt_int(stats['books'])}; with genres {fmt_int(stats['with_genres'])}; "
        f"with series {fmt_int(stats['with_series'])} ({fmt_int(stats['series'])} series); "
        f"with cover {fmt_int(stats['with_cover'])}",
        f"kind: fiction {fmt_int(kinds['fiction'])}, non-fiction {fmt_int(kinds['non-fiction'])}, "
        f"undecided {fmt_int(kinds['mixed'])}",
        f"canonical genres per book before the split: {buckets(stats['genres_before'])}",
        f"main genres per book: {exact(stats['main_per_book'])}",
        f"other genres per book: {buckets(stats['other_per_book'])}",
        f"longest description: {stats['desc_max']} chars",
    ]


def render_readme(stats: dict, inter: dict, src_hashes: dict[str, str], n_canonical: int) -> str:
    genres = sorted(set(stats["main_counts"]) | set(stats["other_counts"]),
                    key=lambda g: (-stats["main_counts"][g], g))
    genre_lines = "\n".join(
        f"| {g} | {fmt_int(stats['main_counts'][g])} | {fmt_int(stats['other_counts'][g])} |" for g in genres
    )
    hash_lines = "\n".join(f"| `{name}` | `{h}` |" for name, h in src_hashes.items())
    lang_lines = ", ".join(
        f"{k} {fmt_int(v)}" for k, v in sorted(stats["languages"].items(), key=lambda x: (-x[1], x[0]))
    )
    kinds = stats["kinds"]
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
| `schema.yaml` | field mapping read by `recpilot ingest` (roles: year, rating, popularity, series, evidence, audience) |
| `embeddings.npz` | precomputed description embeddings (`scripts/build_demo_embeddings.py`) |
| `README.md`, `LICENSE` | this file (generated), the CC BY-SA 4.0 notice |

### `catalog.jsonl.gz` fields

| key | from | notes |
|---|---|---|
| `id` | `book_id` | string, "1".."10000" |
| `title` | `title` | includes the series, e.g. "The Hunger Games (The Hunger Games, #1)"; whitespace trimmed and collapsed |
| `original_title` | `original_title` | omitted when empty ({fmt_int(stats["with_original_title"])} books have it); display only, not embedded |
| `authors` | `authors` | list, split on ", ", source order (may include illustrators, translators, narrators) |
| `year` | `original_publication_year` | int; negative for BC ({stats["bc_years"]} books); omitted when missing ({fmt_int(stats["books"] - stats["with_year"])} books) |
| `average_rating` | `average_rating` | float, goodreads average over all goodreads ratings |
| `ratings_count` | `ratings_count` | int, goodreads ratings count (not the sample below) |
| `language` | `language_code` | lowercase language name (en, eng, en-US, en-GB, en-CA -> "english"); omitted when missing ({fmt_int(stats["books"] - stats["with_language"])} books) |
| `genres` | `book_genres.csv` via `genre_map.yaml` | the book's MAIN genres, sorted; only these satisfy a hard genre constraint; never empty |
| `other_genres` | `book_genres.csv` via `genre_map.yaml` | weaker genres some readers shelve it under (soft evidence), sorted; omitted when none |
| `series` | `title` | the first series named in the title, e.g. "Percy Jackson and the Olympians"; omitted when none ({fmt_int(stats["books"] - stats["with_series"])} books) |
| `series_position` | `title` | the first number after "#": 3, 0.5 (a novella), 1 for an omnibus "#1-3"; omitted when the title gives none |
| `image_url` | `image_url` | goodreads cover (display only); omitted for goodreads' "nophoto" placeholder ({fmt_int(stats["books"] - stats["with_cover"])} books) |
| `description` | the fields above and theme labels | generated sentences for sentence embedding, at most {DESCRIPTION_MAX} characters; never the title or the series name |

No ISBNs, goodreads ids or per-star histograms are included.

### How it was derived

* **Genres.** Each raw label in `book_genres.csv` is mapped by `genre_map.yaml` to zero
  or more canonical genres (labels under `drop` are discarded); the build fails if a
  label is in neither part of the map. A genre's *support* on a book is how many of its
  distinct raw labels map to it. `scripts/demo_genres.py` then splits the book's genres
  into main and other (the constants and the reasons for them are in that file):
  1. *Fiction or non-fiction*: labels that say fiction ("fiction", "historical-fiction")
     are counted against labels that say non-fiction ("nonfiction", "memoir",
     "biography"); on a tie, labels of fiction genres against labels of non-fiction
     genres. Non-fiction genres (history, biography, ...) are never main on a fiction
     book, fiction genres never on a non-fiction book, and every non-fiction book has
     "non-fiction" as a main genre.
  2. The strongest content genre is main; another is main with at least {MIN_LABELS} labels
     and a third of the strongest one's support.
  3. Fantasy and science fiction (speculative fiction's members, lumped together on
     many "sci-fi" shelves): the weaker is main only with {SIBLING_SHARE:.0%} of the stronger one's
     support; speculative fiction is main when one of them is.
  4. Audience (children's, young adult) and format (graphic novels) genres have many more
     label spellings and are judged among themselves: main with at least {FACET_MIN_LABELS} labels and
     a third of the strongest of them.
  5. A subgenre (all of its labels belong to another genre: middle grade, cozy mystery,
     epic fantasy) is main when all its parents are and it has {SUBGENRE_SHARE:.0%} of the support a
     book strongly in it shows (the 90th percentile over the books that carry it).
  6. A book left with no main genre keeps its strongest one.
  Everything else goes to `other_genres`. `schema.yaml` declares
  `evidence: {{genres: other_genres}}`: a value found only in `other_genres` never
  satisfies a hard constraint and counts as weaker soft evidence when ranking.
* **Audience.** `schema.yaml` declares the reader ages of the audience genres
  (`audience_field: genres`).
* **Series.** From the title's last parenthesis when it holds a "#": "(Harry Potter, #3)",
  "(The Dark Tower, #1)", "(Discworld, #2; Rincewind #2)" (the first series only). The
  position is the first number, so an omnibus "#1-3" sits at 1, where a reader starting
  the series would start, and a novella "#0.5" before book 1.
* **Description.** Built only from the fields above, never the title nor the series name
  (it comes from the title: "The Uplift Saga" would pull The Uplift War up for
  "something uplifting"), so a query word that appears only in a title cannot pull a
  book up; nothing random: "By <first author> (with ...), first published in <year>.
  Book <n> of a series. Genres: <up to {DESCRIPTION_GENRES} main genres>. Themes: <theme words>.
  Language: <language, if not English>. Rated <average> by <count> readers." The theme
  words come from the raw labels that say what a book is about ("wizards", "space",
  "vampire-fiction", "world-war-ii": `THEMES` in `scripts/demo_book.py`); without a plot
  or the title they are what lets "a young wizard learns magic" find Harry Potter rather
  than magical realism ({fmt_int(stats["with_themes"])} books have some). The other genres are left out: an embedding would weigh them like main
  genres (a horror query would find Gone Girl), and ranking counts them from their own
  field at a lower weight instead. Genres are ordered by how many of the book's raw labels
  support them, relative to that genre's average over all books that have it (so a genre
  with many label spellings, like young adult, does not win by spelling count alone), then
  by how common the genre is. Parts are left out (language first, then the series, the
  rating, the themes) when the text would exceed {DESCRIPTION_MAX} characters.
* **Interactions.** `ratings_sample.csv` renamed to `user,item,rating` (item = `book_id`),
  rows kept in the original order (the only order information: there are no
  timestamps), only rows whose book is in the catalog ({inter["skipped"]} dropped).

## Caveats

* Genres come from user shelves, not from an editor. The main/other split removes most
  stray genres (Gone Girl is no longer horror, It no longer science fiction) but keeps
  what the labels say: a very popular book often has few genre labels among its top
  tags (The Book Thief has one historical-fiction label, so historical fiction is only
  one of its other genres).
* "dystopian" exists only as a young-adult shelf in the source, so adult dystopias are
  not tagged with it; "religion" and "science" have no plain source label and are thin;
  "adventure" is never strong enough to be a main genre.
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
.venv/bin/python scripts/build_demo_embeddings.py
```

The catalog build needs Python 3.10+ and PyYAML. Its output is byte-for-byte deterministic
(gzip with mtime 0, sorted JSON keys).

## Statistics

* books: {fmt_int(stats["books"])}; with genres {fmt_int(stats["with_genres"])}; with year {fmt_int(stats["with_year"])} ({stats["year_min"]} to {stats["year_max"]}); with language {fmt_int(stats["with_language"])}; with a cover {fmt_int(stats["with_cover"])}
* kind: fiction {fmt_int(kinds["fiction"])}, non-fiction {fmt_int(kinds["non-fiction"])}, undecided (labels tie) {fmt_int(kinds["mixed"])}
* series: {fmt_int(stats["with_series"])} books in {fmt_int(stats["series"])} series ({fmt_int(stats["series_2plus"])} with two books or more); {fmt_int(stats["with_position"])} with a position, {fmt_int(stats["novellas"])} of them between numbered books (0.5, 2.5, ...)
* languages: {lang_lines}
* canonical genres per book before the split: {buckets(stats["genres_before"])}
* main genres per book: {exact(stats["main_per_book"])}
* other genres per book: {buckets(stats["other_per_book"])}

| genre | main for | other for |
|---|---|---|
{genre_lines}
"""
