"""Refine or start over (agent/topic.py ``decide_topic``), and the request set aside and brought
back (recpilot/preferences.py ``start_new_request`` / ``restore``), alone and through the agent."""

from __future__ import annotations

import pytest

from recpilot.agent.parser import Parser
from recpilot.agent.rules import ParseContext
from recpilot.agent.topic import decide_topic
from recpilot.errors import UserError
from recpilot.preferences import (
    MAX_SET_ASIDE,
    Constraint,
    ItemRef,
    Preference,
    PreferenceState,
    StateUpdate,
)

FANTASY = Constraint(field="genres", op="include", value="fantasy", source="a fantasy")
HORROR = Constraint(field="genres", op="include", value="horror", source="horror")
FROM_1990 = Constraint(field="year", op="gte", value=1990, source="90s")
TO_1999 = Constraint(field="year", op="lte", value=1999, source="90s")
NOT_TOLKIEN = Constraint(field="authors", op="exclude", value="J.R.R. Tolkien", source="nothing by Tolkien")


def fantasy_90s() -> PreferenceState:
    """A request (fantasy from the 90s about dragons, like The Hobbit, newest first, not gory) beside
    what outlives it: an exclude, item verdicts, a remembered like and a stated dislike."""
    return PreferenceState(
        constraints=[FANTASY, FROM_1990, TO_1999, NOT_TOLKIEN],
        likes=[Preference(field=None, value="dragons", source="dragons"),
               Preference(field="genres", value="epic fantasy", weight=0.3, origin="memory")],
        dislikes=[Preference(field=None, value="gory", weight=-1.0, source="less gory"),
                  Preference(field="genres", value="romance", weight=-1.0, origin="taste")],
        anchors=[ItemRef(id="7", title="The Hobbit")],
        keywords=["dragons"],
        sort="newer",
        liked_items=[ItemRef(id="2", title="Harry Potter and the Sorcerer's Stone (Harry Potter, #1)")],
        rejected_items=[ItemRef(id="5", title="The Great Gatsby")],
        read_items=[ItemRef(id="10", title="Pride and Prejudice")],
    )


@pytest.fixture(scope="module")
def parser(demo_catalog):
    return Parser(demo_catalog, None)


# --- decide_topic ---------------------------------------------------------------------------------
def test_decide_topic_another_genre_asked_for_as_a_thing_of_its_own_starts_a_new_request(demo_catalog):
    update = StateUpdate(add_constraints=[HORROR.model_copy(update={"source": "a horror"})])

    assert decide_topic(fantasy_90s(), update, demo_catalog) is True


def test_decide_topic_another_genre_that_leaves_nothing_with_the_request_starts_a_new_one(demo_catalog):
    cozy = Constraint(field="genres", op="include", value="cozy mystery", source="make it cozy mystery")

    assert decide_topic(fantasy_90s(), StateUpdate(add_constraints=[cozy]), demo_catalog) is True  # none fit both


def test_decide_topic_another_genre_that_fits_with_the_request_narrows_it(demo_catalog):
    state = PreferenceState(constraints=[Constraint(field="genres", op="include", value="graphic novels")])
    update = StateUpdate(add_constraints=[HORROR.model_copy(update={"source": "make it horror"})])

    assert decide_topic(state, update, demo_catalog) is False  # horror graphic novels: dozens of them


def test_decide_topic_a_genre_wished_softly_counts_as_the_request(demo_catalog):
    state = PreferenceState(likes=[Preference(field="genres", value="fantasy")])
    update = StateUpdate(likes=[Preference(field="genres", value="horror", source="a horror book")])

    assert decide_topic(state, update, demo_catalog) is True


@pytest.mark.parametrize(
    "update",
    [
        StateUpdate(add_constraints=[FANTASY, Constraint(field="year", op="gte", value=2000)]),  # same genre
        StateUpdate(add_constraints=[Constraint(field="authors", op="include", value="Stephen King")]),
        StateUpdate(sort="older"),
        StateUpdate(add_constraints=[FANTASY, HORROR]),  # the current genre and another: narrows
    ],
    ids=["same-genre", "an-author", "a-sort", "both-genres"],
)
def test_decide_topic_narrowing_the_request_refines(demo_catalog, update):
    assert decide_topic(fantasy_90s(), update, demo_catalog) is False


@pytest.mark.parametrize("text", ["also some horror", "horror too", "some horror as well"])
def test_decide_topic_also_and_too_refine_even_with_another_genre(demo_catalog, parser, text):
    update = parser.parse(text, ParseContext()).update

    assert update.topic == "refine"
    assert decide_topic(fantasy_90s(), update, demo_catalog) is False


def test_decide_topic_explicit_topic_wins(demo_catalog):
    state = fantasy_90s()

    assert decide_topic(state, StateUpdate(add_constraints=[FANTASY], topic="new"), demo_catalog) is True
    assert decide_topic(state, StateUpdate(sort="popular", topic="new"), demo_catalog) is True
    assert decide_topic(state, StateUpdate(add_constraints=[HORROR], topic="refine"), demo_catalog) is False


def test_decide_topic_parser_marks_a_new_request(demo_catalog, parser):
    update = parser.parse("ok now I'd like a cozy mystery", ParseContext()).update

    assert update.topic == "new"
    assert decide_topic(fantasy_90s(), update, demo_catalog) is True


@pytest.mark.parametrize(
    ("state", "update"),
    [
        (PreferenceState(), StateUpdate(add_constraints=[HORROR])),  # nothing in force to set aside
        (PreferenceState(constraints=[NOT_TOLKIEN], liked_items=[ItemRef(id="2", title="x")]),
         StateUpdate(add_constraints=[HORROR], topic="new")),  # only standing wishes: no request
        (fantasy_90s(), StateUpdate(add_constraints=[HORROR], reset=True, intent="reset")),
        (fantasy_90s(), StateUpdate(intent="ask_item", topic="new")),
        (fantasy_90s(), StateUpdate(intent="chitchat", add_constraints=[HORROR])),
    ],
    ids=["empty-state", "no-request", "reset", "ask-item", "chitchat"],
)
def test_decide_topic_without_a_request_or_a_request_intent_is_no_new_request(demo_catalog, state, update):
    assert decide_topic(state, update, demo_catalog) is False


def test_decide_topic_too_as_an_intensifier_does_not_refine(demo_catalog, parser):
    update = parser.parse("a horror novel, nothing too long", ParseContext()).update

    assert decide_topic(fantasy_90s(), update, demo_catalog) is True


# --- start_new_request ------------------------------------------------------------------------------
def test_start_new_request_sets_the_request_aside_whole():
    state = fantasy_90s()

    new = state.start_new_request()

    assert len(new.set_aside) == 1
    aside = new.set_aside[0]
    assert aside.key == "aside:1"
    assert {c.key for c in aside.constraints} == {FANTASY.key, FROM_1990.key, TO_1999.key}
    assert [p.value for p in aside.likes] == ["dragons"]
    assert [p.value for p in aside.dislikes] == ["gory"]
    assert [a.id for a in aside.anchors] == ["7"]
    assert aside.keywords == ["dragons"] and aside.sort == "newer"
    assert "fantasy" in aside.label and "from the 1990s" in aside.label
    assert state.set_aside == [] and FANTASY in state.constraints  # the old state is untouched


def test_start_new_request_keeps_verdicts_excludes_and_remembered_taste():
    state = fantasy_90s()

    new = state.start_new_request()

    assert [c.key for c in new.constraints] == [NOT_TOLKIEN.key]
    assert [(p.value, p.origin) for p in new.likes] == [("epic fantasy", "memory")]
    assert [(p.value, p.origin) for p in new.dislikes] == [("romance", "taste")]
    assert new.anchors == [] and new.keywords == [] and new.sort is None
    assert new.liked_items == state.liked_items
    assert new.rejected_items == state.rejected_items
    assert new.read_items == state.read_items
    assert new.seen_ids() == state.seen_ids()


def test_start_new_request_without_a_request_changes_nothing():
    state = PreferenceState(constraints=[NOT_TOLKIEN], liked_items=[ItemRef(id="2", title="x")])

    assert state.start_new_request() == state


def test_start_new_request_keeps_at_most_max_set_aside():
    state = PreferenceState()
    for genre in ["fantasy", "horror", "romance", "poetry", "mystery"]:
        state = state.start_new_request().apply(
            StateUpdate(add_constraints=[Constraint(field="genres", op="include", value=genre)]))

    assert len(state.set_aside) == MAX_SET_ASIDE
    assert [a.label for a in state.set_aside] == ["horror", "romance", "poetry"]  # the newest, oldest first
    assert len({a.key for a in state.set_aside}) == MAX_SET_ASIDE
    assert [c.value for c in state.constraints] == ["mystery"]


def test_set_aside_request_is_a_chip():
    chips = fantasy_90s().start_new_request().chips()

    aside = [c for c in chips if c["kind"] == "set_aside"]
    assert [c["key"] for c in aside] == ["aside:1"]
    assert aside[0]["label"].startswith("earlier: fantasy")


# --- restore --------------------------------------------------------------------------------------
def test_restore_brings_the_request_back_and_removes_it_from_set_aside():
    aside = fantasy_90s().start_new_request()

    back = aside.restore("aside:1")

    assert {FANTASY.key, FROM_1990.key, TO_1999.key, NOT_TOLKIEN.key} <= {c.key for c in back.constraints}
    assert {"dragons", "epic fantasy"} <= {p.value for p in back.likes}
    assert "gory" in {p.value for p in back.dislikes}
    assert [a.id for a in back.anchors] == ["7"] and back.keywords == ["dragons"] and back.sort == "newer"
    assert back.set_aside == []
    assert [c for c in back.chips() if c["kind"] == "set_aside"] == []


def test_restore_a_contradicting_bound_gives_way():
    state = fantasy_90s().start_new_request().apply(StateUpdate(add_constraints=[
        Constraint(field="year", op="gte", value=2010), Constraint(field="genres", op="include", value="horror")]))

    back = state.restore("aside:1")

    years = {(c.op, float(c.value)) for c in back.constraints if c.field == "year"}
    assert years == {("gte", 1990.0), ("lte", 1999.0)}


def test_restore_keeps_the_other_set_aside_requests():
    state = fantasy_90s().start_new_request().apply(StateUpdate(add_constraints=[HORROR])).start_new_request()
    assert [a.key for a in state.set_aside] == ["aside:1", "aside:2"]

    back = state.restore("AsIdE:1")  # keys are case-insensitive, like every chip key

    assert [a.key for a in back.set_aside] == ["aside:2"]
    assert FANTASY in back.constraints and HORROR not in back.constraints


def test_restore_unknown_key_is_a_user_error():
    state = fantasy_90s().start_new_request()

    with pytest.raises(UserError, match="aside:9"):
        state.restore("aside:9")


# --- through the agent ------------------------------------------------------------------------------
@pytest.fixture
def switched(agent, user_id):
    """A fantasy request from the 90s, then a cozy mystery: (first result, second result)."""
    first = agent.ask("a fantasy novel from the 90s", user_id=user_id)
    second = agent.ask("ok now I'd like a cozy mystery", session_id=first.session_id, user_id=user_id)
    return first, second


def test_agent_new_request_sets_the_old_one_aside(agent, switched):
    first, second = switched

    assert {c.field for c in first.state.constraints} >= {"year", "genres"}
    assert not [c for c in second.state.constraints if c.field == "year"]
    assert "fantasy" not in {str(c.value) for c in second.state.constraints if c.op == "include"}
    assert "cozy mystery" in {str(c.value) for c in second.state.constraints if c.op == "include"}
    assert second.state.set_aside and "1990s" in second.state.set_aside[-1].label
    assert "set aside" in second.message and "fantasy, from the 1990s" in second.message
    for item in second.items:
        assert "cozy mystery" in agent.catalog.get(item.id).categorical["genres"]


def test_agent_edit_state_restore_brings_the_90s_back(agent, switched, user_id):
    _, second = switched
    key = second.state.set_aside[-1].key

    state = agent.edit_state(second.session_id, user_id, restore=[key])

    years = {(c.op, float(c.value)) for c in state.constraints if c.field == "year"}
    assert years == {("gte", 1990.0), ("lte", 1999.0)}
    assert "fantasy" in {str(c.value) for c in state.constraints if c.op == "include"}
    assert key not in {a.key for a in state.set_aside}
    assert agent.session(second.session_id, user_id).state == state  # saved
    with pytest.raises(UserError):
        agent.edit_state(second.session_id, user_id, restore=[key])  # it is back: nothing set aside


def test_agent_restored_request_recommends_from_it(agent, switched, user_id):
    _, second = switched
    agent.edit_state(second.session_id, user_id, restore=[second.state.set_aside[-1].key])

    again = agent.ask("show me more", session_id=second.session_id, user_id=user_id)

    assert again.items
    for item in again.items:
        book = agent.catalog.get(item.id)
        assert "fantasy" in book.categorical["genres"] and 1990 <= book.numeric["year"] <= 1999


def test_agent_restore_sets_the_current_request_aside_in_its_turn(agent, switched, user_id):
    _, second = switched

    state = agent.edit_state(second.session_id, user_id, restore=[second.state.set_aside[-1].key])

    assert "cozy mystery" not in {str(c.value) for c in state.constraints if c.op == "include"}
    assert [a for a in state.set_aside if "cozy mystery" in a.label]  # and it can come back too
