"""PreferenceState: cumulative updates, replacement rules, removal by chip key, immutability."""

from __future__ import annotations

import pytest

from recpilot.preferences import Constraint, ItemRef, Preference, PreferenceState, StateUpdate


def inc(field: str, value: str) -> Constraint:
    return Constraint(field=field, op="include", value=value)


def exc(field: str, value: str) -> Constraint:
    return Constraint(field=field, op="exclude", value=value)


def bound(field: str, op: str, value: float) -> Constraint:
    return Constraint(field=field, op=op, value=value)


def keys(state: PreferenceState) -> set[str]:
    return {c["key"] for c in state.chips()}


HOBBIT = ItemRef(id="7", title="The Hobbit")
DUNE = ItemRef(id="9", title="Dune")


def test_apply_is_cumulative_across_updates():
    state = PreferenceState().apply(StateUpdate(add_constraints=[inc("genres", "fantasy")]))
    state = state.apply(StateUpdate(intent="refine", add_constraints=[bound("year", "gte", 1990)],
                                    likes=[Preference(field="genres", value="humor")], keywords=["dragons"]))
    state = state.apply(StateUpdate(intent="refine", add_constraints=[exc("authors", "J.R.R. Tolkien")]))
    assert {c.key for c in state.constraints} == {
        "genres:include:fantasy", "year:gte:1990", "authors:exclude:j.r.r. tolkien"}
    assert [p.key for p in state.likes] == ["genres:humor"]
    assert state.keywords == ["dragons"]
    assert state.last_intent == "refine"


def test_apply_same_constraint_twice_keeps_one():
    update = StateUpdate(add_constraints=[inc("genres", "fantasy"), inc("genres", "Fantasy")])
    state = PreferenceState().apply(update).apply(update)
    assert [c.key for c in state.constraints] == ["genres:include:fantasy"]


def test_apply_new_include_replaces_old_exclude_of_same_value():
    state = PreferenceState().apply(StateUpdate(add_constraints=[exc("genres", "horror"), exc("genres", "romance")]))
    state = state.apply(StateUpdate(add_constraints=[inc("genres", "Horror")]))
    assert {c.key for c in state.constraints} == {"genres:include:horror", "genres:exclude:romance"}


def test_apply_new_exclude_replaces_old_include_of_same_value():
    state = PreferenceState().apply(StateUpdate(add_constraints=[inc("genres", "horror")]))
    state = state.apply(StateUpdate(add_constraints=[exc("genres", "horror")]))
    assert [c.key for c in state.constraints] == ["genres:exclude:horror"]


def test_apply_include_of_other_value_keeps_exclude():
    state = PreferenceState().apply(StateUpdate(add_constraints=[exc("genres", "horror")]))
    state = state.apply(StateUpdate(add_constraints=[inc("genres", "fantasy")]))
    assert {c.key for c in state.constraints} == {"genres:exclude:horror", "genres:include:fantasy"}


@pytest.mark.parametrize("op", ["gte", "lte"])
def test_apply_new_bound_replaces_old_bound_same_direction(op):
    state = PreferenceState().apply(StateUpdate(add_constraints=[bound("year", op, 1990), bound("year", "gte" if op == "lte" else "lte", 1500)]))
    state = state.apply(StateUpdate(add_constraints=[bound("year", op, 2005)]))
    on_year = {c.key for c in state.constraints if c.field == "year"}
    other = "lte" if op == "gte" else "gte"
    assert on_year == {f"year:{op}:2005", f"year:{other}:1500"}


def test_apply_bound_on_other_field_is_independent():
    state = PreferenceState().apply(StateUpdate(add_constraints=[bound("year", "gte", 1990)]))
    state = state.apply(StateUpdate(add_constraints=[bound("average_rating", "gte", 4.0)]))
    assert {c.key for c in state.constraints} == {"year:gte:1990", "average_rating:gte:4"}


def test_apply_like_lifts_exclude_of_same_value():
    state = PreferenceState().apply(StateUpdate(add_constraints=[exc("genres", "horror")]))
    state = state.apply(StateUpdate(likes=[Preference(field="genres", value="Horror")]))
    assert state.constraints == []
    assert [p.key for p in state.likes] == ["genres:horror"]


def test_apply_like_and_dislike_of_same_value_latest_wins():
    state = PreferenceState().apply(StateUpdate(likes=[Preference(field="genres", value="horror")]))
    state = state.apply(StateUpdate(dislikes=[Preference(field="genres", value="horror", weight=-1)]))
    assert state.likes == [] and [p.key for p in state.dislikes] == ["genres:horror"]
    state = state.apply(StateUpdate(likes=[Preference(field="genres", value="horror")]))
    assert state.dislikes == [] and [p.key for p in state.likes] == ["genres:horror"]


def test_apply_reset_clears_everything_then_applies_update():
    state = PreferenceState().apply(StateUpdate(
        add_constraints=[inc("genres", "fantasy")], likes=[Preference(field="genres", value="humor")],
        rejected_items=[HOBBIT], keywords=["dragons"], sort="newer"))
    state = state.apply(StateUpdate(intent="reset", reset=True))
    assert state.chips() == []
    assert state.sort is None and state.is_vague()
    state = state.apply(StateUpdate(intent="reset", reset=True, add_constraints=[inc("genres", "horror")]))
    assert keys(state) == {"genres:include:horror"}


def test_apply_remove_fields_drops_every_constraint_and_preference_on_it():
    state = PreferenceState().apply(StateUpdate(
        add_constraints=[bound("year", "gte", 1990), bound("year", "lte", 1999), inc("genres", "fantasy")]))
    state = state.apply(StateUpdate(remove_fields=["year"]))
    assert keys(state) == {"genres:include:fantasy"}


def test_apply_remove_keys_is_case_insensitive():
    state = PreferenceState().apply(StateUpdate(add_constraints=[exc("authors", "Stephen King")]))
    state = state.apply(StateUpdate(remove_keys=["AUTHORS:EXCLUDE:STEPHEN KING"]))
    assert state.constraints == []


def test_apply_rejecting_liked_item_moves_it_and_drops_anchor():
    state = PreferenceState().apply(StateUpdate(liked_items=[HOBBIT], anchors=[HOBBIT]))
    assert [r.id for r in state.liked_items] == ["7"] and [r.id for r in state.anchors] == ["7"]
    state = state.apply(StateUpdate(intent="reject", rejected_items=[HOBBIT]))
    assert state.liked_items == [] and state.anchors == []
    assert [r.id for r in state.rejected_items] == ["7"]


def test_apply_liking_rejected_item_moves_it():
    state = PreferenceState().apply(StateUpdate(rejected_items=[HOBBIT, DUNE]))
    state = state.apply(StateUpdate(liked_items=[HOBBIT]))
    assert [r.id for r in state.liked_items] == ["7"]
    assert [r.id for r in state.rejected_items] == ["9"]


def test_apply_liked_and_rejected_items_are_always_disjoint():
    updates = [StateUpdate(liked_items=[HOBBIT]), StateUpdate(rejected_items=[HOBBIT]), StateUpdate(liked_items=[DUNE]),
               StateUpdate(rejected_items=[DUNE], liked_items=[HOBBIT]), StateUpdate(liked_items=[DUNE])]
    state = PreferenceState()
    for update in updates:
        state = state.apply(update)
        assert not ({r.id for r in state.liked_items} & {r.id for r in state.rejected_items})
    assert [r.id for r in state.liked_items] == ["7", "9"]


def test_apply_keywords_keep_the_latest_eight_without_duplicates():
    state = PreferenceState()
    for i in range(12):
        state = state.apply(StateUpdate(keywords=[f"word{i}", "word0"] if i == 11 else [f"word{i}"]))
    assert state.keywords == [f"word{i}" for i in range(5, 12)] + ["word0"]


def test_apply_never_mutates_the_old_state():
    old = PreferenceState().apply(StateUpdate(
        add_constraints=[exc("genres", "horror"), bound("year", "gte", 1990)],
        likes=[Preference(field="genres", value="humor")], liked_items=[HOBBIT], anchors=[HOBBIT], keywords=["x"]))
    snapshot = old.model_dump()
    new = old.apply(StateUpdate(intent="refine", add_constraints=[inc("genres", "horror"), bound("year", "gte", 2000)],
                                rejected_items=[HOBBIT], remove_keys=["genres:humor", "text:x"], sort="newer"))
    new.constraints[0].value = "mutated"
    new.likes.append(Preference(value="y"))
    assert old.model_dump() == snapshot
    assert old.apply(StateUpdate(reset=True, intent="reset")).chips() == []
    assert old.model_dump() == snapshot


def test_remove_by_chip_key_drops_exactly_that_entry():
    state = PreferenceState().apply(StateUpdate(
        add_constraints=[inc("genres", "fantasy"), bound("year", "gte", 1990)],
        likes=[Preference(field="genres", value="humor")], dislikes=[Preference(value="gore", weight=-1)],
        keywords=["dragons"], liked_items=[DUNE], anchors=[HOBBIT], rejected_items=[ItemRef(id="3", title="It")]))
    chips = state.chips()
    assert len(chips) == 8 and len({c["key"] for c in chips}) == 8
    for chip in chips:
        smaller = state.remove(chip["key"])
        assert chip["key"] not in keys(smaller)
        assert keys(smaller) == keys(state) - {chip["key"]}
        assert keys(state) == {c["key"] for c in chips}  # remove never mutates


def test_remove_unknown_key_changes_nothing():
    state = PreferenceState().apply(StateUpdate(add_constraints=[inc("genres", "fantasy")]))
    assert state.remove("genres:include:nope").model_dump() == state.model_dump()


def test_chips_have_kind_label_key_and_group_for_every_entry():
    state = PreferenceState().apply(StateUpdate(
        add_constraints=[bound("average_rating", "gte", 4.25), exc("authors", "Stephen King")],
        dislikes=[Preference(field="genres", value="horror", weight=-1)], rejected_items=[HOBBIT]))
    chips = {c["key"]: c for c in state.chips()}
    assert chips["average_rating:gte:4.25"] == {"key": "average_rating:gte:4.25", "kind": "constraint",
                                                "label": "average_rating ≥ 4.25", "group": "wanted"}
    assert chips["authors:exclude:stephen king"]["group"] == "not wanted"
    assert chips["genres:horror"]["kind"] == "dislike" and chips["genres:horror"]["group"] == "not wanted"
    assert chips["item:7"] == {"key": "item:7", "kind": "rejected_item", "label": "not The Hobbit",
                               "group": "not wanted"}


def test_asking_for_something_like_a_turned_down_item_takes_it_off_the_turned_down_list():
    state = PreferenceState().apply(StateUpdate(rejected_items=[HOBBIT]))
    state = state.apply(StateUpdate(anchors=[HOBBIT]))
    assert state.rejected_items == [] and [a.id for a in state.anchors] == ["7"]
    assert [c["label"] for c in state.chips()] == ["like The Hobbit"]


def test_constraint_key_normalises_numbers_and_case():
    assert bound("year", "gte", 1990).key == bound("year", "gte", 1990.0).key == "year:gte:1990"
    assert inc("genres", "Fantasy").key == "genres:include:fantasy"


def test_is_vague_until_something_is_wanted():
    assert PreferenceState().is_vague()
    assert PreferenceState().apply(StateUpdate(rejected_items=[HOBBIT])).is_vague()
    assert not PreferenceState().apply(StateUpdate(keywords=["space"])).is_vague()
