"""The words of a reply (agent/reply_text.py): a request read as a phrase, an item's answer in
sentences from its own fields, the recommendation message picked by a seed."""

from __future__ import annotations

import re

import pytest

from recpilot.agent.reply_text import item_answer, recommendation_message, request_phrase
from recpilot.preferences import Constraint, ItemRef, Preference, PreferenceState
from recpilot.schema import Item

FANTASY_90S = PreferenceState(constraints=[
    Constraint(field="genres", op="include", value="fantasy"),
    Constraint(field="year", op="gte", value=1990), Constraint(field="year", op="lte", value=1999),
    Constraint(field="authors", op="exclude", value="J.R.R. Tolkien")])
HARRY = ItemRef(id="2", title="Harry Potter and the Sorcerer's Stone (Harry Potter, #1)")
#: how a state must never read to a person
STATE_DUMP = re.compile(r"\b(genres|authors|year|keywords?) (is|is not|≥|≤)\b|≥|≤|about:")


# --- request_phrase ------------------------------------------------------------------------------
def test_request_phrase_reads_a_state_as_words(demo_catalog):
    assert request_phrase(demo_catalog, FANTASY_90S) == "fantasy books, from the 1990s, none by J.R.R. Tolkien"


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (PreferenceState(constraints=[Constraint(field="authors", op="include", value="Stephen King"),
                                      Constraint(field="year", op="gte", value=2000)]),
         "books, by Stephen King, from 2000 on"),
        (PreferenceState(constraints=[Constraint(field="genres", op="include", value="horror"),
                                      Constraint(field="year", op="lte", value=1950)]),
         "horror books, up to 1950"),
        (PreferenceState(constraints=[Constraint(field="year", op="gte", value=1985),
                                      Constraint(field="year", op="lte", value=1992)]),
         "books, from 1985 to 1992"),
        (PreferenceState(likes=[Preference(field=None, value="twisty", source="twisty"),
                                Preference(field="genres", value="thriller", weight=1.0)]),
         "twisty thriller books"),
        (PreferenceState(likes=[Preference(field=None, value="epic", source="epic"),
                                Preference(field="genres", value="epic fantasy", weight=1.0)]),
         "epic fantasy books"),  # not "epic epic fantasy"
        (PreferenceState(constraints=[Constraint(field="genres", op="include", value="mystery"),
                                      Constraint(field="genres", op="include", value="thriller")],
                         dislikes=[Preference(field=None, value="gory", weight=-1.0, source="gory")],
                         anchors=[ItemRef(id="7", title="The Hobbit"), HARRY]),
         "mystery and thriller books, less gory, like The Hobbit and Harry Potter and the Sorcerer's Stone"),
        (PreferenceState(constraints=[Constraint(field="authors", op="exclude", value="Stephen King"),
                                      Constraint(field="authors", op="exclude", value="Dean Koontz")]),
         "books, none by Stephen King or Dean Koontz"),
    ],
    ids=["author-from", "up-to", "range", "mood-and-wish", "no-doubled-word", "two-genres-avoid-like", "none-by"],
)
def test_request_phrase_examples(demo_catalog, state, expected):
    phrase = request_phrase(demo_catalog, state)

    assert phrase == expected
    assert not STATE_DUMP.search(phrase), phrase


def test_request_phrase_soft_wishes_only_from_this_request_and_strong_enough(demo_catalog):
    taste = PreferenceState(likes=[Preference(field="genres", value="horror", weight=1.0, origin="taste")])
    memory = PreferenceState(likes=[Preference(field="genres", value="horror", weight=0.3, origin="memory")])
    weak = PreferenceState(likes=[Preference(field="genres", value="horror", weight=0.5)])
    strongest = PreferenceState(likes=[Preference(field="genres", value="horror", weight=0.9),
                                       Preference(field="genres", value="mystery", weight=1.5)])

    for state in (taste, memory, weak):
        assert "horror" not in request_phrase(demo_catalog, state)
    assert request_phrase(demo_catalog, strongest) == "mystery books"


def test_request_phrase_liked_anchor_is_not_repeated_as_like(demo_catalog):
    state = PreferenceState(constraints=[Constraint(field="genres", op="include", value="fantasy")],
                            anchors=[HARRY], liked_items=[HARRY])

    assert request_phrase(demo_catalog, state) == "fantasy books"


def test_request_phrase_names_an_anchor_only_when_a_shown_item_goes_back_to_it(demo_catalog):
    state = PreferenceState(constraints=[Constraint(field="genres", op="include", value="humor")], anchors=[HARRY])
    unrelated = ["by Terry Pratchett: humor, widely read", "by Douglas Adams: humor"]
    related = [*unrelated, f"readers who liked {HARRY.title} also liked this"]

    assert "like" not in request_phrase(demo_catalog, state, unrelated)
    assert request_phrase(demo_catalog, state, related).endswith("like Harry Potter and the Sorcerer's Stone")
    assert "like Harry Potter" in request_phrase(demo_catalog, state)  # without reasons, as before


# --- item_answer ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hobbit(demo_catalog):
    return demo_catalog.get("7")


@pytest.mark.parametrize("about", ["people", "year", "rating", "genre", "length", None, "about"])
def test_item_answer_is_sentences_not_fields(demo_catalog, hobbit, about):
    answer = item_answer(demo_catalog, hobbit, about)

    assert answer.startswith("The Hobbit") or answer.startswith("The catalog")
    assert answer.endswith(".")
    assert not re.search(r"\b(authors|genres|year|average_rating|ratings_count):", answer), answer
    assert "{" not in answer and "None" not in answer


def test_item_answer_people_names_the_author_and_year(demo_catalog, hobbit):
    answer = item_answer(demo_catalog, hobbit, "people")

    assert answer == "The Hobbit is by J.R.R. Tolkien, first published in 1937."


def test_item_answer_each_question_gets_its_own_fact(demo_catalog, hobbit):
    assert "1937" in item_answer(demo_catalog, hobbit, "year")
    assert "Tolkien" not in item_answer(demo_catalog, hobbit, "year")
    rating = item_answer(demo_catalog, hobbit, "rating")
    assert "4.25 out of 5" in rating and "2.1 million ratings" in rating
    genre = item_answer(demo_catalog, hobbit, "genre")
    assert "fantasy" in genre and "1937" not in genre
    assert "no length" in item_answer(demo_catalog, hobbit, "length")  # the demo has no page counts


def test_item_answer_in_general_says_everything_from_its_fields(demo_catalog, hobbit):
    answer = item_answer(demo_catalog, hobbit, None)

    for fact in ("J.R.R. Tolkien", "1937", "4.25", "fantasy", "book"):
        assert fact in answer
    # every number said is one of the item's own
    own = {"1937", "4.25", "5", "2.1"}
    assert set(re.findall(r"\d+(?:\.\d+)?", answer)) <= own


def test_item_answer_names_the_series_place_only_in_general(demo_catalog):
    clash = demo_catalog.get("110")  # A Clash of Kings (A Song of Ice and Fire, #2)

    assert "book 2 of" in item_answer(demo_catalog, clash, None)
    assert "A Song of Ice and Fire series" in item_answer(demo_catalog, clash, "about")
    assert "series" not in item_answer(demo_catalog, clash, "people")
    assert "(" not in item_answer(demo_catalog, clash, "people")  # the short title


def test_item_answer_missing_fields_are_said_plainly(demo_catalog):
    bare = Item(id="x1", title="Nameless")

    assert item_answer(demo_catalog, bare, "people") == "Nameless is by an author the catalog does not name."
    assert "does not say when" in item_answer(demo_catalog, bare, "year")
    assert "no rating" in item_answer(demo_catalog, bare, "rating")
    assert "no genre" in item_answer(demo_catalog, bare, "genre")
    assert item_answer(demo_catalog, bare, None) == "Nameless is a book."


def test_item_answer_series_named_with_the_has_one_article(demo_catalog):
    catching_fire = demo_catalog.get("17")  # Catching Fire (The Hunger Games, #2)

    answer = item_answer(demo_catalog, catching_fire, None)

    assert "book 2 of" in answer and "the The " not in answer


# --- recommendation_message ----------------------------------------------------------------------------
def test_recommendation_message_is_deterministic_for_a_seed(demo_catalog):
    for seed in range(10):
        assert recommendation_message(demo_catalog, FANTASY_90S, 5, seed) == \
            recommendation_message(demo_catalog, FANTASY_90S, 5, seed)


def test_recommendation_message_varies_across_seeds(demo_catalog):
    said = {recommendation_message(demo_catalog, FANTASY_90S, 5, seed) for seed in range(20)}

    assert len(said) >= 3
    for message in said:
        assert "five" in message.lower() and "fantasy books, from the 1990s, none by J.R.R. Tolkien" in message
        assert not STATE_DUMP.search(message), message


def test_recommendation_message_vague_state_offers_popular_picks(demo_catalog):
    message = recommendation_message(demo_catalog, PreferenceState(), 3, 1)

    assert "three" in message and "popular books to start with" in message


def test_recommendation_message_names_what_the_user_liked_here(demo_catalog):
    liked = FANTASY_90S.model_copy(update={"liked_items": [HARRY]})
    remembered = FANTASY_90S.model_copy(update={"liked_items": [HARRY.model_copy(update={"remembered": True})]})

    for seed in range(10):
        message = recommendation_message(demo_catalog, liked, 5, seed)
        assert "Harry Potter and the Sorcerer's Stone" in message and "#1" not in message
        assert "Harry Potter" not in recommendation_message(demo_catalog, remembered, 5, seed)


def test_recommendation_message_says_what_was_set_aside(demo_catalog):
    liked = FANTASY_90S.model_copy(update={"liked_items": [HARRY]})

    message = recommendation_message(demo_catalog, liked, 5, 3, set_aside="horror, from 2000 on")

    assert message.startswith("Switching to something new (I set aside: horror, from 2000 on; you can bring it back).")
    assert "Harry Potter" not in message  # a new request is not "since you liked ..."


def test_recommendation_message_keeps_the_capital_i(demo_catalog):
    liked = FANTASY_90S.model_copy(update={"liked_items": [HARRY]})
    messages = [recommendation_message(demo_catalog, liked, 5, seed) for seed in range(40)]
    found = [m for m in messages if "found five" in m]

    assert found  # the "I found ..." opener comes up for some seed
    assert all("I found five" in m for m in found), found[0]


# --- through the agent ---------------------------------------------------------------------------------
def test_agent_who_wrote_a_shown_item_answers_with_its_author(agent, user_id):
    first = agent.ask("a fantasy novel from the 90s", user_id=user_id)
    second_item = agent.catalog.get(first.items[1].id)

    answer = agent.ask("who wrote #2", session_id=first.session_id, user_id=user_id)

    author = second_item.categorical["authors"][0]
    assert author in answer.message
    assert answer.message.rstrip().endswith(".") and " is by " in answer.message
    assert second_item.title.split(" (")[0] in answer.message
    assert "authors:" not in answer.message and not answer.items


def test_request_phrase_never_reads_a_whole_message_back(demo_catalog):
    said = "just watched it and could not stop thinking about the ending, what else"
    state = PreferenceState(dislikes=[Preference(value="thinking", weight=-1.0, source=said)],
                            likes=[Preference(value="twisty", weight=1.0, source="something twisty")])
    phrase = request_phrase(demo_catalog, state)
    assert phrase == "something twisty books, less thinking"
