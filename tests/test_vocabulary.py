"""Vocabulary: tokens and the catalog lookup tables the rule parser grounds words in."""

from __future__ import annotations

import numpy as np
import pytest

from recpilot.agent.vocabulary import capitalized, tokenize, vocabulary_for


@pytest.fixture(scope="module")
def vocab(demo_catalog):
    return vocabulary_for(demo_catalog)


@pytest.mark.parametrize(("text", "tokens"), [
    ("At least 3.5 stars, 100,000 ratings", ["at", "least", "3.5", "stars", ",", "100,000", "ratings"]),
    ("Fantasía from the '90s!", ["fantasia", "from", "the", "'", "90s", "!"]),
    ("Stephen King's #2", ["stephen", "king's", "#2"]),
    ("1990, 2000", ["1990", ",", "2000"]),
])
def test_tokenize_keeps_numbers_and_possessives_whole(text, tokens):
    assert tokenize(text) == tokens


@pytest.mark.parametrize("text", ["I loved The Hobbit", "Ça va? Émile ZOLA's Germinal", "", "İstanbul noir"])
def test_capitalized_is_aligned_with_tokens(text):
    flags = capitalized(text)
    assert len(flags) == len(tokenize(text))
    words = [w for w in text.split() if w[:1].isalpha()]
    if words and len(text.lower()) == len(text):
        assert flags[0] == words[0][0].isupper()


def test_vocabulary_is_built_once_per_catalog_version(demo_catalog, vocab):
    assert vocabulary_for(demo_catalog) is vocab


@pytest.mark.parametrize(("phrase", "value"), [
    ("thrillers", "thriller"), ("mysteries", "mystery"), ("classic", "classics"), ("sci fi", "science fiction"),
    ("ya", "young adult"), ("graphic novel", "graphic novels"),
])
def test_vocabulary_values_cover_synonyms_and_number(vocab, phrase, value):
    assert vocab.values[phrase] == ("genres", value)


def test_vocabulary_reads_evidence_values_as_the_field_they_back_and_no_series_names(demo_catalog, vocab):
    assert "adventure" not in demo_catalog.categorical["genres"]  # never a main genre in the demo
    assert vocab.values["adventure"] == ("genres", "adventure")
    assert vocab.values["horror"] == ("genres", "horror")
    assert not {field for field, _ in vocab.values.values()} & {"other_genres", "series"}
    assert "summer" in demo_catalog.categorical["series"] and "summer" not in vocab.values


def test_vocabulary_stems_need_an_item_noun(vocab):
    tokens = tokenize("kids books")
    (m,) = vocab.find_values(tokens, np.zeros(len(tokens), dtype=bool))
    assert (m.field, m.value, m.start, m.end) == ("genres", "children's", 0, 2)
    alone = tokenize("kids")
    assert vocab.find_values(alone, np.zeros(1, dtype=bool)) == []


def test_vocabulary_surname_maps_to_the_person_with_most_items(demo_catalog, vocab):
    counts = {v: len(rows) for v, rows in demo_catalog.categorical["authors"].items() if v.split()[-1] == "king"}
    top = max(counts, key=counts.get)
    assert vocab.surnames["king"][1].lower() == top


def test_vocabulary_original_titles_are_title_keys(demo_catalog, vocab):
    assert vocab.title_key("harry potter and the philosopher's stone").value == "2"  # an original title


def test_vocabulary_own_title_beats_a_derived_key(demo_catalog, vocab):
    own = [item.id for item in demo_catalog.items if item.title == "The Hobbit"]
    assert vocab.title_key("the hobbit").value == own[0]


@pytest.mark.parametrize(("text", "title"), [
    ("The Hobbit, already read it", "The Hobbit"),
    ("Dune", "Dune (Dune Chronicles #1)"),
    ("a mystery set in Paris", None),  # a place, not the book "Paris"
    ("books by Anne Frank", None),  # a person before a title
    ("a love story", None),  # a genre before the series "A Love Story"
])
def test_vocabulary_finds_titles_only_where_plausible(vocab, text, title):
    tokens = tokenize(text)
    found = vocab.find_titles(tokens, np.zeros(len(tokens), dtype=bool), capitalized(text))
    assert [m.label for m in found] == ([title] if title else [])


@pytest.mark.parametrize(("token", "value"), [
    ("fantsy", "fantasy"), ("thriler", "thriller"), ("mistery", "mystery"),
    ("germany", None),  # a word the catalog uses is not a typo of "german"
    ("dark", None), ("cozy", None), ("horrible", None),
])
def test_vocabulary_fuzzy_value_guesses_only_typos(vocab, token, value):
    hit = vocab.fuzzy_value(token)
    assert (hit[1] if hit else None) == value


def test_vocabulary_fuzzy_title_skips_phrases_without_typos(vocab):
    assert vocab.fuzzy_title("the hunger gmes", cutoff=90, typos_only=True).label.startswith("The Hunger Games")
    assert vocab.fuzzy_title("anything except horror", cutoff=90, typos_only=True) is None
