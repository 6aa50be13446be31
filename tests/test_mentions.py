"""Mention linking (agent/mentions.py) on the demo catalog: the cases the issue names; the
labelled set with its targets is tests/test_mention_eval.py."""

from __future__ import annotations

import pytest

from recpilot.agent.mentions import link_mentions


def links(catalog, text):
    return [(m.kind, text[m.start : m.end], m.value) for m in link_mentions(catalog, text)]


@pytest.mark.parametrize("text, expected", [
    ("I just finished Gone Girl and couldn't put it down", [("title", "Gone Girl", "30")]),
    ("just finished gone girl", [("title", "gone girl", "30")]),
    ("loved Harry Potter and Percy Jackson", [("series", "Harry Potter", "Harry Potter"),
                                             ("series", "Percy Jackson", "Percy Jackson and the Olympians")]),
    ("the first Hunger Games", [("title", "the first Hunger Games", "1")]),
    ("hungar games was great", [("title", "hungar games", "1")]),
    ("It by Stephen King scared me", [("title", "It", "176"), ("person", "Stephen King", "Stephen King")]),
    ("ACOTAR ruined other romances for me", [("series", "ACOTAR", "A Court of Thorns and Roses")]),
    ("harry potter and the philosopher's stone", [("title", "harry potter and the philosopher's stone", "2")]),
])
def test_link_mentions_finds_what_people_name(demo_catalog, text, expected):
    assert links(demo_catalog, text) == expected


@pytest.mark.parametrize("text", [
    "what should I read next?", "I read it last year", "a dark fantasy novel from the 90s",
    "something uplifting", "i need help finding a book", "something easy to read on the beach",
    "books from after 2010", "less than 300 pages",
])
def test_link_mentions_leaves_common_words_alone(demo_catalog, text):
    assert links(demo_catalog, text) == []


def test_link_mentions_offsets_survive_accents(demo_catalog):
    text = "Émile adored The Hobbit"
    (kind, words, value), = [x for x in links(demo_catalog, text) if x[0] == "title"]
    assert words == "The Hobbit" and value == "7"
