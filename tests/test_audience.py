"""Who the items are for (agent/audience.py): the reader's age a message gives, and what that
age means in a catalog whose schema marks audience values (the demo's ``audience`` map)."""

from __future__ import annotations

import pytest

from recpilot.agent.audience import audience_update, find_audience
from recpilot.agent.parser import Parser
from recpilot.agent.rules import ParseContext
from recpilot.agent.vocabulary import tokenize
from recpilot.preferences import StateUpdate

CHILDREN = {"picture books", "children's", "middle grade", "young adult"}
ADULT_ONLY = {"new adult", "erotic romance"}


def _find(text: str):
    """``find_audience`` on the text as the parser joins its tokens ("12-year-old" is "12 - year - old")."""
    return find_audience(" ".join(tokenize(text)))


def _update(demo_catalog, text: str) -> tuple[StateUpdate, bool]:
    found = _find(text)
    assert found is not None, text
    up = StateUpdate()
    return up, audience_update(demo_catalog.schema, found, up, text)


def _values(prefs) -> dict[str, float]:
    return {p.value: p.weight for p in prefs if p.field == "genres"}


def _excluded(up: StateUpdate) -> set[str]:
    return {str(c.value) for c in up.add_constraints if c.field == "genres" and c.op == "exclude"}


# --- find_audience ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "age", "explicit"),
    [
        ("for my 12-year-old", 12, False),
        ("my daughter is 12", 12, False),
        ("my son (he's 9)", 9, False),
        ("a 9th grade class", 14, False),  # ninth graders are about 14
        ("something for a 10 year old", 10, False),
        ("a gift for my 7yo", 7, False),
        ("I'm 34", 34, False),
        ("for adults", 30, True),
        ("for grown-ups", 30, True),
        ("for my teen", 15, True),
        ("for kids", 8, True),
        ("some adult fantasy", 30, True),
    ],
)
def test_find_audience_reads_the_readers_age(text, age, explicit):
    found = _find(text)
    assert found is not None, text
    assert found.age == age
    assert found.explicit is explicit


def test_find_audience_span_covers_the_age_words():
    joined = " ".join(tokenize("a mystery for my 12-year-old please"))
    found = find_audience(joined)
    a, b = found.span
    assert "12" in joined[a:b] and "mystery" not in joined[a:b] and "please" not in joined[a:b]


@pytest.mark.parametrize(
    "text",
    ["a book from 2012", "under 300 pages", "the 12 days of christmas", "I'm 12 pages in",
     "she's 300 pages into it", "he is 12 books into the series", "a fantasy novel from the 90s", "top 10 thrillers"],
)
def test_find_audience_ignores_numbers_that_are_not_ages(text):
    assert _find(text) is None


def test_find_audience_ignores_chapters_read():
    assert _find("I'm 5 chapters into Dune and loving it") is None


# --- audience_update on the demo schema -----------------------------------------------------------
def test_audience_update_child_likes_fitting_genres_and_excludes_adult_only(demo_catalog):
    up, applied = _update(demo_catalog, "for my 12-year-old")

    assert applied
    likes = _values(up.likes)
    assert set(likes) == {"middle grade", "young adult"}  # 12 sits in both [8, 12] and [12, 18]
    assert all(w > 1 for w in likes.values())  # a child's age leans hard
    assert _excluded(up) == ADULT_ONLY
    assert {"picture books", "children's"} <= set(_values(up.dislikes))  # too young for a 12-year-old
    assert not ADULT_ONLY & set(likes)
    assert any(n.kind == "audience" and "12" in n.text for n in up.notes)


def test_audience_update_nine_year_old_leans_to_middle_grade_only(demo_catalog):
    up, _ = _update(demo_catalog, "my son (he's 9)")

    assert set(_values(up.likes)) == {"middle grade"}
    assert "picture books" in _values(up.dislikes)
    assert _excluded(up) == ADULT_ONLY
    assert "young adult" not in _values(up.likes)


def test_audience_update_teen_leans_less_than_a_child(demo_catalog):
    teen, _ = _update(demo_catalog, "for my teen")
    child, _ = _update(demo_catalog, "my daughter is 12")

    assert set(_values(teen.likes)) == {"young adult"}
    assert _values(teen.likes)["young adult"] < _values(child.likes)["young adult"]
    assert _excluded(teen) == ADULT_ONLY
    assert {"children's", "middle grade"} <= set(_values(teen.dislikes))


@pytest.mark.parametrize("text", ["for adults", "for grown-ups"])
def test_audience_update_explicit_adults_exclude_childrens_and_teen_books(demo_catalog, text):
    up, applied = _update(demo_catalog, text)

    assert applied
    assert _excluded(up) == CHILDREN
    assert not up.likes  # nothing is wished for, only ruled out
    assert not ADULT_ONLY & _excluded(up)
    assert any(n.kind == "audience" and n.text == "for adults" for n in up.notes)


def test_audience_update_stated_adult_age_only_leans_away_from_childrens_books(demo_catalog):
    up, _ = _update(demo_catalog, "I'm 34")

    assert not up.add_constraints  # nothing ruled out: an adult may read YA
    assert not up.likes
    dislikes = _values(up.dislikes)
    assert set(dislikes) == {"picture books", "children's", "middle grade"}
    assert "young adult" not in dislikes
    assert all(w < 0 for w in dislikes.values())


@pytest.mark.parametrize("change", [{"audience": {}}, {"audience_field": None}])
def test_audience_update_without_audience_values_changes_nothing(demo_catalog, change):
    schema = demo_catalog.schema.model_copy(update=change)
    up = StateUpdate()

    applied = audience_update(schema, _find("for my 12-year-old"), up, "12 - year - old")

    assert applied is False
    assert up == StateUpdate()


# --- through the parser ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def parser(demo_catalog):
    return Parser(demo_catalog, None)


def test_parser_audience_for_a_child_keeps_adult_only_genres_out(parser):
    up = parser.parse("a fantasy book for my 12-year-old", ParseContext()).update

    assert {"new adult", "erotic romance"} <= _excluded(up)
    assert "middle grade" in _values(up.likes)
    assert "12" not in " ".join(up.keywords)  # the age words are read, not searched


def test_parser_young_adult_fiction_is_not_an_audience_of_adults(parser):
    up = parser.parse("some young adult fiction please", ParseContext()).update

    assert "young adult" not in _excluded(up)
