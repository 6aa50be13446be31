"""Words that carry taste, read by meaning (agent/descriptors.py): the lexicon's phrases in a
message, their hinted genres on the demo catalog, how close a leftover phrase comes to what the
catalog describes, and what the parser makes of them."""

from __future__ import annotations

import pytest

from recpilot.agent.descriptors import (
    LEXICON,
    NO_HINTS,
    RELEVANT,
    descriptors_for,
    lexicon_spans,
)
from recpilot.agent.parser import Parser
from recpilot.agent.rules import ParseContext
from recpilot.agent.vocabulary import tokenize


def _spans(text: str) -> list[tuple[str, str]]:
    """(the tokens covered, the lexicon key) for each phrase found."""
    tokens = tokenize(text)
    return [(" ".join(tokens[a:b]), key) for a, b, key in lexicon_spans(tokens)]


# --- lexicon_spans -----------------------------------------------------------------------------
def test_lexicon_spans_finds_hyphenated_and_multi_word_phrases():
    assert _spans("something feel-good and a slow burn") == [("feel - good", "feel-good"),
                                                             ("slow burn", "slow burn")]


def test_lexicon_spans_longest_phrase_wins_over_its_words():
    found = _spans("enemies to lovers with a slow burn romance")

    assert found == [("enemies to lovers", "enemies to lovers"), ("slow burn", "slow burn"), ("romance", "romance")]
    assert ("slow", "slow") not in found  # "slow" alone is a lexicon word, but "slow burn" took it


def test_lexicon_spans_spelled_with_or_without_a_hyphen_give_one_key():
    assert [k for _, k in _spans("a feel good story")] == [k for _, k in _spans("a feel-good story")]
    assert _spans("a fast-paced thriller")[0][1] in ("fast-paced", "fast paced")


def test_lexicon_spans_reads_comparatives_as_their_phrase():
    assert _spans("funnier and more romantic") == [("funnier", "funnier"), ("more romantic", "more romantic")]


def test_lexicon_spans_are_in_order_and_do_not_overlap():
    tokens = tokenize("a cozy, lighter-hearted, feel-good love story that is not too dark")
    spans = lexicon_spans(tokens)

    assert [k for _, _, k in spans] == ["cozy", "lighter hearted", "feel-good", "love story", "dark"]
    covered = [i for a, b, _ in spans for i in range(a, b)]
    assert len(covered) == len(set(covered))
    assert spans == sorted(spans)


def test_lexicon_spans_skip_taken_tokens():
    tokens = tokenize("a slow burn romance")
    taken = [False, True, False, False]  # "slow" was already explained by another reader

    found = [key for _, _, key in lexicon_spans(tokens, taken)]

    assert "slow burn" not in found and "slow" not in found
    assert found == ["romance"]


def test_lexicon_spans_ignore_words_outside_the_lexicon():
    assert lexicon_spans(tokenize("a book about pirates and a lighthouse")) == []


# --- Descriptors.read on the demo catalog ----------------------------------------------------------
@pytest.fixture(scope="module")
def descriptors(demo_catalog):
    return descriptors_for(demo_catalog)


def test_descriptors_are_built_once_per_catalog(demo_catalog, descriptors):
    assert descriptors_for(demo_catalog) is descriptors
    assert "horror" in descriptors.labels and "cozy mystery" in descriptors.labels


def test_descriptors_read_cozy_hints_cozy_mystery_and_leans_from_horror(descriptors):
    reading = descriptors.read("cozy")

    assert reading.text == LEXICON["cozy"][0]
    assert reading.likes[0][0] == "cozy mystery"
    assert "horror" in [label for label, _ in reading.dislikes]


def test_descriptors_read_scary_hints_horror(descriptors):
    reading = descriptors.read("scary")

    assert [label for label, _ in reading.likes][0] == "horror"
    assert "horror" not in [label for label, _ in reading.dislikes]


def test_descriptors_read_uplifting_leans_away_from_horror(descriptors):
    reading = descriptors.read("uplifting")

    assert "horror" in [label for label, _ in reading.dislikes]
    assert "horror" not in [label for label, _ in reading.likes]


@pytest.mark.parametrize("word", sorted(w for w in NO_HINTS if w in LEXICON))
def test_descriptors_read_no_hints_word_gives_no_label_hints(descriptors, word):
    reading = descriptors.read(word)

    assert reading.likes == []
    assert reading.text == LEXICON[word][0]  # still matched by its gloss against the items' text


def test_descriptors_read_comparative_reads_as_its_word(descriptors):
    assert descriptors.read("scarier") == descriptors.read("scary")


def test_descriptors_read_unknown_words_are_their_own_text(descriptors):
    reading = descriptors.read("pirates")

    assert reading.text == "pirates" and reading.dislikes == []


def test_descriptors_hints_stay_close_to_the_best(descriptors):
    hints = descriptors.hints(LEXICON["twisty"][0])

    assert 1 <= len(hints) <= 3
    assert hints == sorted(hints, key=lambda h: -h[1])
    assert hints[0][1] - hints[-1][1] <= 0.06 + 1e-9


# --- relevance ---------------------------------------------------------------------------------
@pytest.mark.parametrize("phrase", ["dragons", "pirates", "murder", "norse gods"])
def test_relevance_content_words_are_relevant(descriptors, phrase):
    assert descriptors.relevance(phrase) >= RELEVANT


@pytest.mark.parametrize("phrase", ["commute", "week", "rough week", "put down"])
def test_relevance_situation_words_are_not(descriptors, phrase):
    assert descriptors.relevance(phrase) < RELEVANT


# --- through the parser --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def parser(demo_catalog):
    return Parser(demo_catalog, None)


def _parse(parser, text: str):
    return parser.parse(text, ParseContext()).update


def _genres(prefs) -> set[str]:
    return {p.value for p in prefs if p.field == "genres"}


def test_parser_uplifting_is_a_free_text_like_with_a_meaning(parser):
    up = _parse(parser, "something uplifting")

    text = [p for p in up.likes if p.field is None]
    assert [p.value for p in text] == ["uplifting"]
    assert text[0].meaning == LEXICON["uplifting"][0] and text[0].weight > 0
    assert up.keywords == []  # a descriptor never searches titles
    assert "horror" in _genres(up.dislikes) and "horror" not in _genres(up.likes)


def test_parser_less_gory_is_a_dislike(parser):
    up = _parse(parser, "less gory")

    assert "gory" in {p.value for p in up.dislikes if p.field is None}
    assert not up.likes and not up.keywords
    assert all(p.weight < 0 for p in up.dislikes)


def test_parser_negated_descriptor_keeps_horror_out_of_the_likes(parser):
    up = _parse(parser, "nothing too gruesome, but something cozy")

    assert "cozy" in {p.value for p in up.likes if p.field is None}
    assert "gruesome" in {p.value for p in up.dislikes if p.field is None}
    assert "horror" not in _genres(up.likes)
    assert "cozy mystery" in _genres(up.likes)


def test_parser_spooky_never_likes_a_genre_excluded_in_the_same_message(parser):
    up = _parse(parser, "no horror please, something spooky")

    assert "horror" not in _genres(up.likes)
    assert any(c.field == "genres" and c.op == "exclude" and c.value == "horror" for c in up.add_constraints)
    assert "spooky" in {p.value for p in up.likes if p.field is None}
