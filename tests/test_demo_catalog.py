"""The bundled demo catalog and the script that builds it (scripts/build_demo_catalog.py and the
demo_genres / demo_book modules beside it): series from titles, main vs other genres, title-free
descriptions, and a rebuild that gives the same bytes as the shipped files."""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "recpilot" / "data" / "demo"
SOURCE = REPO.parent / "shared" / "data" / "goodbooks-10k"
sys.path.insert(0, str(REPO / "scripts"))

import build_demo_catalog  # noqa: E402
from demo_book import series_position, split_series  # noqa: E402


@pytest.fixture(scope="module")
def books() -> dict[str, dict]:
    with gzip.open(DEMO / "catalog.jsonl.gz", "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return {b["id"]: b for b in rows}


@pytest.mark.parametrize(("title", "series", "position"), [
    ("Harry Potter and the Prisoner of Azkaban (Harry Potter, #3)", "Harry Potter", 3),
    ("The Gunslinger (The Dark Tower, #1)", "The Dark Tower", 1),
    ("The Lightning Thief (Percy Jackson and the Olympians, #1)", "Percy Jackson and the Olympians", 1),
    ("The Light Fantastic (Discworld, #2; Rincewind #2)", "Discworld", 2),
    ("The Hunger Games Trilogy Boxset (The Hunger Games, #1-3)", "The Hunger Games", 1),
    ("The Kill Order (Maze Runner, #0.5)", "Maze Runner", 0.5),
    ("His Dark Materials (His Dark Materials #1-3)", "His Dark Materials", 1),
    ("A Storm of Swords: Blood and Gold (A Song of Ice and Fire, #3: Part 2 of 2)", "A Song of Ice and Fire", 3),
    ("Four: A Divergent Story Collection (Divergent, #0.1 - 0.4)", "Divergent", 0.1),
    ("A Touch of Dead (Sookie Stackhouse, #4.1, #4.3, #5.1, #7.1, #8.1)", "Sookie Stackhouse", 4.1),
    ("Gone Girl", None, None),
    ("The Silmarillion (Middle-Earth Universe)", None, None),
    ("Sleeping Beauty (Disney Princess, 5)", None, None),
])
def test_split_series_takes_the_first_series_and_its_first_number(title, series, position):
    _, name, num = split_series(title)
    assert name == series
    assert series_position(num) == position


def test_every_book_has_a_main_genre_and_no_genre_is_both_main_and_other(books):
    for book in books.values():
        assert book["genres"], book["title"]
        assert not set(book["genres"]) & set(book.get("other_genres", [])), book["title"]


@pytest.mark.parametrize(("book_id", "main", "not_main"), [
    ("30", {"thriller", "mystery"}, {"horror", "romance"}),  # Gone Girl
    ("176", {"horror"}, {"science fiction", "classics"}),  # It
    ("1", {"young adult", "science fiction"}, {"romance", "fantasy"}),  # The Hunger Games
    ("2", {"fantasy", "children's", "middle grade"}, {"mystery"}),  # Harry Potter 1
    ("41", {"fantasy", "children's", "middle grade", "mythology"}, set()),  # The Lightning Thief
    ("13", {"classics", "science fiction"}, {"young adult", "fantasy", "horror"}),  # 1984
    ("16", {"thriller", "mystery", "crime"}, set()),  # The Girl with the Dragon Tattoo
    ("10", {"classics", "romance"}, {"history", "young adult"}),  # Pride and Prejudice
    ("2205", {"non-fiction", "history"}, set()),  # Sapiens
    ("4146", {"historical fiction"}, {"non-fiction", "history", "biography"}),  # Nefertiti
    ("3091", {"historical fiction"}, {"non-fiction", "history"}),  # The Source
    ("141", {"science fiction"}, {"fantasy"}),  # The Martian
    ("3", {"young adult", "fantasy", "paranormal"}, {"science fiction", "horror"}),  # Twilight
])
def test_main_genres_of_well_known_books(books, book_id, main, not_main):
    book = books[book_id]
    assert main <= set(book["genres"]), (book["title"], book["genres"])
    assert not (not_main & set(book["genres"])), (book["title"], book["genres"])
    assert not_main <= set(book.get("other_genres", [])), "weaker genres stay as soft evidence"


def test_series_fields_come_from_the_title(books):
    assert (books["41"]["series"], books["41"]["series_position"]) == ("Percy Jackson and the Olympians", 1)
    assert "series" not in books["30"] and "series_position" not in books["30"]
    assert sum("series" in b for b in books.values()) > 4000


def test_descriptions_never_name_the_title(books):
    """The embedded text is title-free, and names no series (series names come from titles):
    words of a title appear in it only where another field (author, genre, language) or a theme
    label ("Themes: dragons") says them."""
    for book in books.values():
        short = re.sub(r"\s*\([^()]*#[^()]*\)$", "", book["title"])
        words = {w for w in re.findall(r"[A-Za-z']{4,}", short)}
        about = re.search(r"Themes: ([^.]*)\.", book["description"])
        allowed = " ".join([*book["authors"], *book["genres"], about[1] if about else "",
                            *book.get("other_genres", []), book.get("language", "")]).lower()
        leaked = {w for w in words if re.search(rf"\b{re.escape(w)}\b", book["description"], re.I)
                  and w.lower() not in allowed and w.lower() not in _SENTENCE_WORDS}
        assert not leaked, (book["title"], book["description"])


_SENTENCE_WORDS = {"book", "books", "first", "published", "genres", "some", "readers", "also", "shelve",
                   "rated", "language", "with", "others", "other", "part", "series", "volume"}


def test_no_cover_placeholder_is_kept(books):
    covers = [b["image_url"] for b in books.values() if "image_url" in b]
    assert len(covers) > 6000
    assert not any("nophoto" in url for url in covers)


@pytest.mark.skipif(not (SOURCE / "books.csv").exists(), reason="goodbooks-10k source files not present")
def test_rebuild_gives_the_shipped_files_byte_for_byte(tmp_path):
    assert build_demo_catalog.main(["--src", str(SOURCE), "--out", str(tmp_path)]) == 0
    for name in ("catalog.jsonl.gz", "schema.yaml", "README.md", "interactions.csv.gz"):
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name
