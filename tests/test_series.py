"""Series a reader already knows (agent/series.py) and the final check that spreads a list over
series and authors (agent/response.py ``select_items``), plus the parser's series requests."""

from __future__ import annotations

import pytest

from recpilot.agent.parser import Parser
from recpilot.agent.response import select_items
from recpilot.agent.rules import ParseContext
from recpilot.agent.series import known_series, series_rows
from recpilot.preferences import Constraint, ItemRef, PreferenceState

HUNGER_GAMES = "1"
CATCHING_FIRE, MOCKINGJAY = "17", "20"
HP1, HP2, HP3 = "2", "23", "18"  # Harry Potter #1, #2, #3
MOCKINGBIRD, GATSBY, FAULT, CATCHER = "4", "5", "6", "8"  # no series, four different authors
KING = ["168", "176", "237", "243", "295"]  # The Stand, It, Carrie, Misery, 11/22/63: Stephen King, no series
WANT_HG = Constraint(field="series", op="include", value="The Hunger Games")


def _ref(catalog, item_id: str) -> ItemRef:
    return ItemRef(id=item_id, title=catalog.get(item_id).title)


def _pick(catalog, state: PreferenceState, ids: list[str], k: int) -> tuple[list[str], list[str]]:
    """select_items over ``ids`` ranked in that order: (picked ids, dropped reasons)."""
    rows = [catalog.index[i] for i in ids]
    picked, dropped = select_items(catalog, state, rows, {}, {r: 1.0 - n / 100 for n, r in enumerate(rows)}, k, set())
    return [p.id for p in picked], dropped


# --- known_series / series_rows -------------------------------------------------------------------
@pytest.mark.parametrize("verdict", ["liked_items", "read_items", "anchors", "rejected_items"])
def test_known_series_from_every_kind_of_item_verdict(demo_catalog, verdict):
    state = PreferenceState(**{verdict: [_ref(demo_catalog, HUNGER_GAMES)]})

    assert known_series(demo_catalog, state) == {"the hunger games"}


@pytest.mark.parametrize("verdict", ["anchors", "rejected_items"])
def test_known_series_leaves_out_an_item_only_seen_in_a_list(demo_catalog, verdict):
    # "like #1 but newer", "not #1, too old": the user saw the volume in our list, not the series
    state = PreferenceState(**{verdict: [_ref(demo_catalog, HUNGER_GAMES)]})

    assert known_series(demo_catalog, state, shown={HUNGER_GAMES}) == set()
    liked = PreferenceState(liked_items=[_ref(demo_catalog, HUNGER_GAMES)])
    assert known_series(demo_catalog, liked, shown={HUNGER_GAMES}) == {"the hunger games"}  # loved it: read it


def test_known_series_leaves_out_a_series_asked_for(demo_catalog):
    state = PreferenceState(liked_items=[_ref(demo_catalog, HUNGER_GAMES), _ref(demo_catalog, HP1)],
                            constraints=[WANT_HG])

    assert known_series(demo_catalog, state) == {"harry potter"}


def test_known_series_ignores_items_without_a_series_or_outside_the_catalog(demo_catalog):
    state = PreferenceState(liked_items=[_ref(demo_catalog, MOCKINGBIRD), ItemRef(id="no-such", title="x")])

    assert known_series(demo_catalog, state) == set()


def test_known_series_catalog_without_a_series_field(demo_catalog):
    no_series = demo_catalog.schema.model_copy(update={"series": None})
    catalog = type("Stub", (), {"schema": no_series})()

    assert known_series(catalog, PreferenceState(liked_items=[ItemRef(id=HUNGER_GAMES, title="x")])) == set()


def test_series_rows_are_the_series_volumes(demo_catalog):
    rows = series_rows(demo_catalog, {"the hunger games"})
    ids = {demo_catalog.items[r].id for r in rows}

    assert {HUNGER_GAMES, CATCHING_FIRE, MOCKINGJAY} <= ids
    assert all(demo_catalog.items[r].categorical["series"][0] == "The Hunger Games" for r in rows)
    assert series_rows(demo_catalog, set()).size == 0
    assert series_rows(demo_catalog, {"no such series"}).size == 0


# --- select_items: series the user knows ----------------------------------------------------------------
@pytest.mark.parametrize("verdict", ["liked_items", "read_items", "anchors", "rejected_items"])
def test_select_items_drops_other_volumes_of_a_known_series(demo_catalog, verdict):
    state = PreferenceState(**{verdict: [_ref(demo_catalog, HUNGER_GAMES)]})

    picked, dropped = _pick(demo_catalog, state, [CATCHING_FIRE, MOCKINGJAY, MOCKINGBIRD, GATSBY], k=2)

    assert picked == [MOCKINGBIRD, GATSBY]
    assert f"{CATCHING_FIRE}: another volume of a series the user knows" in dropped
    assert f"{MOCKINGJAY}: another volume of a series the user knows" in dropped


def test_select_items_keeps_a_known_series_when_asked_for(demo_catalog):
    state = PreferenceState(liked_items=[_ref(demo_catalog, HUNGER_GAMES)], constraints=[WANT_HG])

    picked, _ = _pick(demo_catalog, state, [HUNGER_GAMES, CATCHING_FIRE, MOCKINGJAY], k=2)

    assert picked == [CATCHING_FIRE, MOCKINGJAY]  # both volumes: the series asked for is not spread


def test_select_items_drops_the_known_items_themselves(demo_catalog):
    state = PreferenceState(liked_items=[_ref(demo_catalog, MOCKINGBIRD)], rejected_items=[_ref(demo_catalog, GATSBY)],
                            read_items=[_ref(demo_catalog, FAULT)])

    picked, dropped = _pick(demo_catalog, state, [MOCKINGBIRD, GATSBY, FAULT, CATCHER], k=1)

    assert picked == [CATCHER]
    assert f"{GATSBY}: rejected earlier" in dropped
    assert f"{MOCKINGBIRD}: already read or liked" in dropped and f"{FAULT}: already read or liked" in dropped


# --- select_items: one volume per series, two books per author ----------------------------------------
def test_select_items_one_volume_per_series(demo_catalog):
    picked, _ = _pick(demo_catalog, PreferenceState(), [HP1, HP2, HP3, MOCKINGBIRD, GATSBY], k=3)

    assert picked == [HP1, MOCKINGBIRD, GATSBY]


def test_select_items_two_books_per_author(demo_catalog):
    picked, _ = _pick(demo_catalog, PreferenceState(), [*KING, MOCKINGBIRD, GATSBY], k=4)

    assert picked == [KING[0], KING[1], MOCKINGBIRD, GATSBY]


def test_select_items_an_asked_for_author_may_fill_the_list(demo_catalog):
    state = PreferenceState(constraints=[Constraint(field="authors", op="include", value="Stephen King")])

    picked, _ = _pick(demo_catalog, state, [*KING, MOCKINGBIRD], k=4)

    assert picked == KING[:4]


def test_select_items_deferred_items_only_when_nothing_else_fills_k(demo_catalog):
    ranked = [HP1, HP2, HP3, MOCKINGBIRD]

    assert _pick(demo_catalog, PreferenceState(), ranked, k=2)[0] == [HP1, MOCKINGBIRD]
    # the ranked list runs out: the deferred volumes come next, in their order
    assert _pick(demo_catalog, PreferenceState(), ranked, k=4)[0] == [HP1, MOCKINGBIRD, HP2, HP3]


def test_select_items_every_pick_meets_the_constraints_and_backfills(demo_catalog):
    state = PreferenceState(constraints=[Constraint(field="year", op="gte", value=1980)])

    # Carrie (1974), The Stand (1978), It (1986), To Kill a Mockingbird (1960)
    picked, dropped = _pick(demo_catalog, state, [KING[2], KING[0], KING[1], MOCKINGBIRD], k=2)

    assert picked[0] == KING[1] and len(picked) == 2  # the second from the popular backfill
    assert all(demo_catalog.get(i).numeric["year"] >= 1980 for i in picked)
    for gone in (KING[2], KING[0], MOCKINGBIRD):
        assert f"{gone}: breaks year ≥ 1980" in dropped


# --- the parser's series requests -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def parser(demo_catalog):
    return Parser(demo_catalog, None)


def test_parser_next_after_the_last_book_says_it_is_the_last(parser):
    up = parser.parse("just finished mockingjay, what comes next?", ParseContext()).update

    told = [n for n in up.notes if n.kind == "tell"]
    assert len(told) == 1 and "last book" in told[0].text and told[0].item_id == MOCKINGJAY
    assert MOCKINGJAY in {r.id for r in up.read_items}
    assert not [c for c in up.add_constraints if c.field in ("series", "series_position")]
    assert MOCKINGJAY in {r.id for r in up.anchors}  # books like it instead


def test_parser_next_after_a_volume_asks_for_the_rest_of_its_series(parser):
    up = parser.parse("which one comes after A Clash of Kings?", ParseContext()).update

    constraints = {(c.field, c.op): c.value for c in up.add_constraints}
    assert constraints[("series", "include")] == "A Song of Ice and Fire"
    assert 2 < constraints[("series_position", "gte")] <= 3
    assert up.sort == "series_order"
    assert any(n.kind == "tell" and "A Storm of Swords" in n.text for n in up.notes)
    assert "110" in {r.id for r in up.read_items} and "110" not in {r.id for r in up.anchors}


def test_parser_where_to_start_asks_for_the_series_in_order(parser):
    up = parser.parse("where do I start with Discworld", ParseContext()).update

    assert up.sort == "series_order"
    assert [(c.field, c.op, c.value) for c in up.add_constraints] == [("series", "include", "Discworld")]
    assert not up.anchors and not up.liked_items and not up.read_items


def test_agent_next_after_a_volume_recommends_the_next_one_first(agent, user_id):
    result = agent.ask("which one comes after A Clash of Kings?", user_id=user_id)

    assert result.items and result.items[0].title.startswith("A Storm of Swords")
    for item in result.items:
        book = agent.catalog.get(item.id)
        assert book.categorical["series"] == ["A Song of Ice and Fire"] and book.numeric["series_position"] > 2


def test_parser_last_book_note_has_one_article(parser):
    up = parser.parse("just finished mockingjay, what comes next?", ParseContext()).update

    assert not [n for n in up.notes if "the The " in n.text]
