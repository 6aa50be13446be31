"""One demo book's derived fields: its series and position, its cover, its description.

Used by build_demo_catalog.py; standard library only.
"""

from __future__ import annotations

import re

DESCRIPTION_MAX = 400
DESCRIPTION_GENRES = 5  # at most this many main genres named in the description

# "Title (Series Name, #3)", "Title (Series Name #1-3)", "Title (A, #1; B #4)"
SERIES_RE = re.compile(r"^(?P<short>.*\S)\s*\((?P<series>[^()]*#[^()]*)\)$")
# the first number after the first "#": "#3", "#1-3", "#0.5", "#0.1 - 0.4", "#3: Part 2 of 2", "#4.1, #4.3"
SERIES_NUM_RE = re.compile(r"#\s*(?P<first>[0-9]+(?:\.[0-9]+)?)(?:\s*[-–]\s*(?P<last>[0-9]+(?:\.[0-9]+)?))?")
# Raw shelf labels that say what a book is about rather than its genre, and the words the
# description uses for them. Without a plot or the title, these are the only words that let
# "a young wizard learns magic" find the Harry Potter books rather than magical realism.
THEMES = {
    "magic": "magic", "magical": "magic", "fantasy-magic": "magic", "witch": "witches", "witches": "witches",
    "witchcraft": "witchcraft", "wizards": "wizards", "witches-wizards": "wizards", "dragon": "dragons",
    "dragons": "dragons", "dungeons-and-dragons": "dragons", "space": "space", "space-travel": "space travel",
    "aliens": "aliens", "cyberpunk": "cyberpunk", "ya-dystopia": "dystopia", "creepy": "creepy",
    "ghost": "ghosts", "ghosts": "ghosts", "ghost-stories": "ghosts", "vampire-fiction": "vampires",
    "vampire-romance": "vampires", "detective": "detectives", "detectives": "detectives",
    "murder-mystery": "murder", "noir": "noir", "spy-fiction": "spies", "spy-thriller": "spies",
    "spy-thrillers": "spies", "military": "the military", "world-war-ii": "World War II",
    "world-war-2": "World War II", "world-war-two": "World War II", "world-war-ll": "World War II",
    "civil-war": "civil war", "cold-war": "the Cold War", "greek-mythology": "Greek myths",
    "folklore": "folklore", "love-story": "a love story", "superhero-comics": "superheroes",
}
# goodreads' "no cover" placeholder, e.g. https://s.gr-assets.com/assets/nophoto/book/111x148-....png
NO_COVER = "/nophoto/"


def split_series(title: str) -> tuple[str, str | None, str | None]:
    """'The Hunger Games (The Hunger Games, #1)' -> ('The Hunger Games', 'The Hunger Games', '1').

    Only the first of several series counts ("(Discworld, #2; Rincewind #2)" -> Discworld); the
    number is the first one given, or a range of two ("1-3" for an omnibus), or None."""
    m = SERIES_RE.match(title)
    if not m:
        return title, None, None
    inner = m.group("series").split(";")[0].strip()
    name = inner.split("#")[0].strip().rstrip(",").strip()
    if not name:
        return title, None, None
    num_m = SERIES_NUM_RE.match(inner[inner.index("#"):]) if "#" in inner else None
    num = None
    if num_m:
        num = num_m["first"] + (f"-{num_m['last']}" if num_m["last"] else "")
    return m.group("short"), name, num


def series_position(num: str | None) -> int | float | None:
    """The position in the series: the first number, so an omnibus of books 1-3 sits at 1 (where
    a reader starting the series would start) and a novella "#0.5" before book 1."""
    if not num:
        return None
    first = float(num.split("-")[0])
    return int(first) if first.is_integer() else first


def series_sentence(num: str | None) -> str:
    """Where the book sits in its series, without the series' name: the name comes from the title
    and shares its words ("The Uplift Saga" would pull The Uplift War up for "uplifting")."""
    if num and re.fullmatch(r"[0-9]+", num):
        return f"Book {num} of a series."
    if num and re.fullmatch(r"[0-9]+-[0-9]+", num):
        return f"Books {num} of a series in one volume."
    return "Part of a series."


def cover_url(url: str) -> str | None:
    url = url.strip()
    return url if url and NO_COVER not in url else None


def themes(labels: list[str]) -> list[str]:
    """The theme words of a book's raw labels (THEMES), in label order, each once."""
    return list(dict.fromkeys(THEMES[label] for label in labels if label in THEMES))


def join_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def fmt_int(n: int) -> str:
    return f"{n:,}"


def build_description(
    book: dict, series_num: str | None, in_series: bool, main: list[str], about: list[str]
) -> str:
    """Plain sentences built only from catalog fields, never the title nor the series name (taken
    from the title): what is embedded for search must not let a query word that only appears in a
    title pull the book up. ``series_num`` is the number the title gives in its series; ``main`` the
    main genres ranked best first; ``about`` its theme words (``themes``). The weaker genres are left out: an embedding weighs "some readers
    also shelve it as horror" like "horror", and the ranker counts them from their own field at a
    lower weight instead. Parts are dropped, least useful first, until the text fits in
    DESCRIPTION_MAX characters."""
    # (priority, text) in reading order; the lowest priority is dropped first when too long, and
    # the byline (9) and main genres (8) are always kept
    parts: list[tuple[int, str]] = [(9, _byline(book))]
    if in_series:
        parts.append((5, series_sentence(series_num)))
    if main:
        parts.append((8, f"Genres: {join_words(main[:DESCRIPTION_GENRES])}."))
    if about:
        parts.append((7, f"Themes: {join_words(about)}."))
    lang = book.get("language")
    if lang and lang != "english":
        parts.append((4, f"Language: {lang}."))
    parts.append((6, f"Rated {book['average_rating']:.2f} by {fmt_int(book['ratings_count'])} readers."))

    def render(ps):
        return " ".join(t for _, t in ps if t)

    text = render(parts)
    while len(text) > DESCRIPTION_MAX and min(p for p, _ in parts) < 8:
        lowest = min(p for p, _ in parts)
        parts = [x for x in parts if x[0] != lowest]
        text = render(parts)
    if len(text) > DESCRIPTION_MAX:  # only a giant byline could get here
        text = text[: DESCRIPTION_MAX - 1].rstrip() + "…"
    return text


def _byline(book: dict) -> str:
    """"By <first author> (with ...), first published in <year>." """
    authors = book["authors"]
    by = ""
    if authors:
        by = f"By {authors[0]}"
        if len(authors) == 2:
            by += f" (with {authors[1]})"
        elif len(authors) > 2:
            by += f" (with {authors[1]} and {len(authors) - 2} other{'s' if len(authors) > 3 else ''})"
    year = book.get("year")
    if year is None:
        return f"{by}." if by else ""
    when = f"{-year} BC" if year < 0 else str(year)
    return f"{by}, first published in {when}." if by else f"First published in {when}."
