"""Every recommender tool, used alone over the demo catalog through a ToolContext."""

from __future__ import annotations

import inspect

import jsonschema
import numpy as np
import pytest
from pydantic import BaseModel, ValidationError

import recpilot.tools.search as search_mod
from recpilot.errors import InvalidConstraint, UnknownItem
from recpilot.memory.longterm import LongTermMemory
from recpilot.preferences import Constraint, ItemRef, Preference, PreferenceState
from recpilot.tools import TOOLS, Tool, _tool
from recpilot.tools.context import ToolContext
from recpilot.tools.models import ItemDetails, ToolResult
from recpilot.tools.rank import DEFAULT_SCORER, _kind_overlap


def run(ctx: ToolContext, name: str, **args):
    return TOOLS[name](ctx, args)


def genres(catalog, item_id: str) -> set[str]:
    return {g.lower() for g in catalog.get(item_id).categorical.get("genres", [])}


def bus_ids(ctx: ToolContext) -> list[str]:
    return [ctx.catalog.items[r].id for r in ctx.bus.rows.tolist()]


def brute_force(catalog, constraints: list[dict]) -> set[str]:
    """The items that satisfy ``constraints``, computed from the raw item fields."""
    out = set()
    for item in catalog.items:
        ok = True
        for c in constraints:
            if c["op"] in ("include", "exclude"):
                values = {v.lower() for v in item.categorical.get(c["field"], [])}
                ok &= (str(c["value"]).lower() in values) == (c["op"] == "include")
            else:
                x = item.numeric.get(c["field"])
                ok &= x is not None and (x >= c["value"] if c["op"] == "gte" else x <= c["value"])
        if ok:
            out.add(item.id)
    return out


MYSTERY_RECENT = [
    {"field": "genres", "op": "include", "value": "mystery"},
    {"field": "year", "op": "gte", "value": 2005},
    {"field": "average_rating", "op": "lte", "value": 4.2},
    {"field": "authors", "op": "exclude", "value": "James Patterson"},
]


# --- search_items -----------------------------------------------------------------------------
def test_search_items_wizard_query_returns_mostly_fantasy(demo_catalog):
    ctx = ToolContext(catalog=demo_catalog)
    result = run(ctx, "search_items", query="a young wizard learns magic at a school for sorcerers", limit=50)
    assert isinstance(result, ToolResult) and result.candidates == 50 == len(ctx.bus)
    fantasy = sum("fantasy" in genres(demo_catalog, i) for i in bus_ids(ctx))
    base_rate = len(demo_catalog.categorical["genres"]["fantasy"]) / len(demo_catalog)
    assert fantasy / 50 >= max(0.75, base_rate + 0.3)
    scores = [h.score for h in result.items]
    assert scores == sorted(scores, reverse=True) and len(result.items) == 10


def test_search_items_different_queries_retrieve_different_items(demo_catalog):
    space = ToolContext(catalog=demo_catalog)
    run(space, "search_items", query="starships and alien empires in deep space", limit=30)
    romance = ToolContext(catalog=demo_catalog)
    run(romance, "search_items", query="a regency courtship and a ballroom romance", limit=30)
    assert len(set(bus_ids(space)) & set(bus_ids(romance))) < 5
    assert sum("science fiction" in genres(demo_catalog, i) for i in bus_ids(space)) >= 20
    assert sum("romance" in genres(demo_catalog, i) for i in bus_ids(romance)) >= 20


def test_search_items_exact_scan_respects_constraints_exactly(demo_catalog, monkeypatch):
    calls = []
    monkeypatch.setattr(search_mod, "_ann", lambda *a, **k: calls.append(a) or pytest.fail("ANN path used"))
    ctx = ToolContext(catalog=demo_catalog)
    result = run(ctx, "search_items", query="a detective hunts a killer", constraints=MYSTERY_RECENT,
                 limit=2000)
    allowed = brute_force(demo_catalog, MYSTERY_RECENT)
    assert 0 < len(allowed) < 2000
    assert set(bus_ids(ctx)) == allowed  # the exact scan sees every allowed item, and only those
    assert result.candidates == len(allowed)


def _ann_only(catalog, monkeypatch) -> None:
    """Every search goes to the vector store's index (as on a catalog larger than exact_scan_max)."""
    monkeypatch.setattr(catalog.settings.vector_store, "exact_scan_max", 0)


def test_search_items_on_a_large_catalog_uses_the_vector_store(demo_catalog, monkeypatch):
    calls = []
    real = search_mod._ann

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    _ann_only(demo_catalog, monkeypatch)
    monkeypatch.setattr(search_mod, "_ann", spy)
    ctx = ToolContext(catalog=demo_catalog)
    run(ctx, "search_items", query="a haunted house on a hill", limit=40)
    assert len(calls) == 1 and len(ctx.bus) == 40
    assert len(set(bus_ids(ctx))) == 40
    assert all(demo_catalog.has(i) for i in bus_ids(ctx))


def test_search_and_similar_items_scan_a_small_catalog_exactly_and_agree_with_the_vector_store(
        demo_catalog, monkeypatch):
    monkeypatch.setattr(search_mod, "_ann", lambda *a, **k: pytest.fail("ANN path used"))
    exact = ToolContext(catalog=demo_catalog)
    run(exact, "search_items", query="a haunted house on a hill", limit=20)
    exact_similar = run(ToolContext(catalog=demo_catalog), "similar_items", item_id="2", limit=10)
    assert "2" not in [h.id for h in exact_similar.items] and len(exact_similar.items) == 10
    monkeypatch.undo()
    _ann_only(demo_catalog, monkeypatch)
    ann = ToolContext(catalog=demo_catalog)
    run(ann, "search_items", query="a haunted house on a hill", limit=20)
    ann_similar = run(ToolContext(catalog=demo_catalog), "similar_items", item_id="2", limit=10)
    assert len(set(bus_ids(ann)) & set(bus_ids(exact))) >= 17
    assert len({h.id for h in ann_similar.items} & {h.id for h in exact_similar.items}) >= 8


def test_search_items_ann_path_respects_constraints_and_agrees_with_exact_scan(demo_catalog, monkeypatch):
    query = "a detective hunts a killer"
    exact = ToolContext(catalog=demo_catalog)
    run(exact, "search_items", query=query, constraints=MYSTERY_RECENT, limit=50)

    calls = []
    real = search_mod._ann
    _ann_only(demo_catalog, monkeypatch)
    monkeypatch.setattr(search_mod, "_ann", lambda *a, **k: calls.append(1) or real(*a, **k))
    ann = ToolContext(catalog=demo_catalog)
    run(ann, "search_items", query=query, constraints=MYSTERY_RECENT, limit=50)
    assert calls == [1]
    allowed = brute_force(demo_catalog, MYSTERY_RECENT)
    assert len(ann.bus) > 25
    assert set(bus_ids(ann)) <= allowed
    overlap = len(set(bus_ids(ann)[:20]) & set(bus_ids(exact)[:20]))
    assert overlap >= 15  # approximate, but the same neighbourhood


def test_search_items_ann_path_rechecks_constraints_the_store_cannot_express(demo_catalog, monkeypatch):
    """Values are matched exactly even if the store's filter were looser (the exact re-check)."""
    _ann_only(demo_catalog, monkeypatch)
    monkeypatch.setattr(search_mod, "_where", lambda c: {"year": {"$gte": -10000.0}})  # a filter that lets all through
    cons = [{"field": "genres", "op": "include", "value": "horror"}]
    ctx = ToolContext(catalog=demo_catalog)
    run(ctx, "search_items", query="vampires", constraints=cons, limit=100)
    assert len(ctx.bus) > 0
    assert all("horror" in genres(demo_catalog, i) for i in bus_ids(ctx))


def test_search_items_no_item_passes_gives_empty_result(demo_catalog):
    ctx = ToolContext(catalog=demo_catalog)
    result = run(ctx, "search_items", query="dragons", constraints=[
        {"field": "year", "op": "gte", "value": 2100}])
    assert result.items == [] and result.candidates == 0 and len(ctx.bus) == 0


def test_search_items_merge_mode_adds_to_candidates(demo_catalog):
    ctx = ToolContext(catalog=demo_catalog)
    run(ctx, "search_items", query="space opera", limit=20)
    first = bus_ids(ctx)
    run(ctx, "search_items", query="cozy village mystery", limit=20, mode="merge")
    assert bus_ids(ctx)[:20] == first and len(ctx.bus) > 20
    run(ctx, "search_items", query="cozy village mystery", limit=20, mode="replace")
    assert len(ctx.bus) == 20 and not set(bus_ids(ctx)) & set(first[:5])


def test_search_items_rejects_bad_arguments(demo_catalog):
    ctx = ToolContext(catalog=demo_catalog)
    with pytest.raises(ValidationError):
        run(ctx, "search_items", query="")
    with pytest.raises(ValidationError):
        run(ctx, "search_items", query="x", limit=0)
    with pytest.raises(ValidationError):
        run(ctx, "search_items", query="x", surprise=1)


# --- filter_items -----------------------------------------------------------------------------
@pytest.mark.parametrize("constraints", [
    [{"field": "genres", "op": "include", "value": "Horror"}],
    [{"field": "genres", "op": "exclude", "value": "fantasy"}, {"field": "language", "op": "include", "value": "english"}],
    [{"field": "year", "op": "gte", "value": 2010}, {"field": "year", "op": "lte", "value": 2012}],
    [{"field": "average_rating", "op": "gte", "value": 4.3}, {"field": "authors", "op": "exclude", "value": "J.K. Rowling"}],
    MYSTERY_RECENT,
], ids=["include", "exclude", "year-range", "rating-author", "mixed"])
def test_filter_items_catalog_scope_selects_exactly_the_matching_items(demo_catalog, constraints):
    ctx = ToolContext(catalog=demo_catalog)
    result = run(ctx, "filter_items", constraints=constraints, scope="catalog", limit=100000)
    assert set(bus_ids(ctx)) == brute_force(demo_catalog, constraints)
    assert result.candidates == len(ctx.bus)


def test_filter_items_catalog_scope_is_most_popular_first_and_limited(demo_catalog):
    ctx = ToolContext(catalog=demo_catalog)
    run(ctx, "filter_items", constraints=[{"field": "genres", "op": "include", "value": "horror"}],
        scope="catalog", limit=25)
    counts = [demo_catalog.get(i).numeric["ratings_count"] for i in bus_ids(ctx)]
    assert len(counts) == 25 and counts == sorted(counts, reverse=True)
    every = [it.numeric.get("ratings_count", 0) for it in demo_catalog.items
             if "horror" in {g.lower() for g in it.categorical.get("genres", [])}]
    assert counts[0] == max(every)


def test_filter_items_candidate_scope_only_narrows_the_bus(demo_catalog):
    ctx = ToolContext(catalog=demo_catalog)
    run(ctx, "search_items", query="ghosts and haunted houses", limit=200)
    before = bus_ids(ctx)
    cons = [{"field": "year", "op": "lte", "value": 1990}]
    run(ctx, "filter_items", constraints=cons)
    after = bus_ids(ctx)
    allowed = brute_force(demo_catalog, cons)
    assert after == [i for i in before if i in allowed]  # order kept
    assert 0 < len(after) < len(before)


def test_filter_items_exclude_and_include_ids(demo_catalog):
    ctx = ToolContext(catalog=demo_catalog)
    run(ctx, "filter_items", scope="catalog", limit=10)
    top = bus_ids(ctx)
    run(ctx, "filter_items", exclude_ids=top[:3] + ["no-such-id"])
    assert bus_ids(ctx) == top[3:]
    run(ctx, "filter_items", include_ids=[top[5], top[7], "no-such-id"])
    assert bus_ids(ctx) == [top[5], top[7]]
    run(ctx, "filter_items", include_ids=[])
    assert bus_ids(ctx) == []


def test_filter_items_unknown_value_matches_nothing_unknown_field_is_refused_exclude_keeps_all(demo_catalog):
    ctx = ToolContext(catalog=demo_catalog)
    run(ctx, "filter_items", constraints=[{"field": "genres", "op": "include", "value": "no such genre"}],
        scope="catalog", limit=100000)
    assert len(ctx.bus) == 0
    with pytest.raises(InvalidConstraint, match="numeric field"):
        run(ctx, "filter_items", constraints=[{"field": "pages", "op": "lte", "value": 300}], scope="catalog")
    run(ctx, "filter_items", constraints=[{"field": "genres", "op": "exclude", "value": "no such genre"}],
        scope="catalog", limit=100000)
    assert len(ctx.bus) == len(demo_catalog)


# --- rank_items -------------------------------------------------------------------------------
def popular_pool(catalog, n: int = 300) -> ToolContext:
    ctx = ToolContext(catalog=catalog)
    run(ctx, "filter_items", scope="catalog", limit=n)
    return ctx


def test_rank_items_liked_value_raises_scores_of_matching_items(demo_catalog):
    ctx = popular_pool(demo_catalog)
    base = run(ctx, "rank_items", k=10)
    base_scores = dict(ctx.bus.scores)
    ctx.state = PreferenceState(likes=[Preference(field="genres", value="horror")])
    liked = run(ctx, "rank_items", k=10)
    horror = {r for r in ctx.bus.rows.tolist() if "horror" in genres(demo_catalog, demo_catalog.items[r].id)}
    assert 10 < len(horror) < len(ctx.bus) - 10
    rank_before = {h.id for h in base.items}
    assert sum(demo_catalog.index[i] in horror for i in rank_before) < 10
    assert all(demo_catalog.index[h.id] in horror for h in liked.items)
    assert all("you like horror" in h.reason for h in liked.items)
    gain = {r: ctx.bus.scores[r] - base_scores[r] for r in ctx.bus.rows.tolist()}
    weaker = {r for r in ctx.bus.rows.tolist() if "horror" in demo_catalog.items[r].categorical.get("other_genres", [])}
    assert 10 < len(weaker) and not weaker & horror
    # a main genre counts fully, a genre few readers shelve it under (other_genres) less, none not at all
    assert min(gain[r] for r in horror) > max(gain[r] for r in weaker)
    assert min(gain[r] for r in weaker) > max(gain[r] for r in set(gain) - horror - weaker)


def test_rank_items_disliked_value_lowers_scores(demo_catalog):
    ctx = popular_pool(demo_catalog)
    run(ctx, "rank_items", k=10)
    base_scores = dict(ctx.bus.scores)
    ctx.state = PreferenceState(dislikes=[Preference(field="genres", value="fantasy", weight=-1.0)])
    disliked = run(ctx, "rank_items", k=10)
    fantasy = {r for r in ctx.bus.rows.tolist() if "fantasy" in genres(demo_catalog, demo_catalog.items[r].id)}
    assert all(ctx.bus.scores[r] < base_scores[r] for r in fantasy)
    assert not any(demo_catalog.index[h.id] in fantasy for h in disliked.items)


def test_rank_items_anchor_raises_items_close_to_it(demo_catalog):
    ctx = popular_pool(demo_catalog)
    run(ctx, "rank_items", k=10)
    base_scores = dict(ctx.bus.scores)
    anchor = demo_catalog.get("5")  # The Great Gatsby
    ctx.state = PreferenceState(anchors=[ItemRef(id=anchor.id, title=anchor.title)])
    anchored = run(ctx, "rank_items", k=10)
    rows = ctx.bus.rows
    # closeness to an anchor: half its text, half the kinds (genres) they share
    text = np.asarray(demo_catalog.embeddings[rows]) @ np.asarray(demo_catalog.embeddings[demo_catalog.index["5"]])
    sims = 0.5 * text + 0.5 * _kind_overlap(demo_catalog, rows, demo_catalog.rows(["5"]))[:, 0]
    gain = np.array([ctx.bus.scores[r] - base_scores[r] for r in rows.tolist()])
    assert np.corrcoef(sims, gain)[0, 1] > 0.9  # the closer to the anchor, the bigger the lift
    assert any(f"close to {anchor.title}" in h.reason for h in anchored.items)


def test_rank_items_asked_for_anchor_steers_harder_than_a_liked_item(demo_catalog):
    ctx = ToolContext(catalog=demo_catalog)
    run(ctx, "filter_items", constraints=[{"field": "genres", "op": "include", "value": "horror"}],
        scope="catalog", limit=400)
    it, nos4a2 = demo_catalog.get("176"), demo_catalog.get("1770")  # Stephen King's It, Joe Hill's NOS4A2
    liked_both = [ItemRef(id=i.id, title=i.title) for i in (it, nos4a2)]
    ctx.state = PreferenceState(liked_items=liked_both)
    plain = run(ctx, "rank_items", k=5)
    ctx.state = PreferenceState(liked_items=liked_both, anchors=[ItemRef(id=nos4a2.id, title=nos4a2.title)])
    asked = run(ctx, "rank_items", k=5)
    hill = sum("Joe Hill" in demo_catalog.get(h.id).categorical["authors"] for h in asked.items)
    assert hill > sum("Joe Hill" in demo_catalog.get(h.id).categorical["authors"] for h in plain.items)
    assert any(f"close to {nos4a2.title}" in h.reason for h in asked.items)


def test_rank_items_uses_the_scorer_in_context(demo_catalog):
    class ByRowScorer:
        name = "by-row"

        def __init__(self):
            self.seen = []

        def score(self, ctx, rows, query):
            self.seen.append((rows.copy(), query))
            return -rows.astype(float), [["lowest row first"] for _ in rows]

    ctx = popular_pool(demo_catalog, 50)
    ctx.scorer = ByRowScorer()
    result = run(ctx, "rank_items", k=7, query="anything")
    expected = sorted(ctx.bus.rows.tolist())[:7]
    assert [h.id for h in result.items] == [demo_catalog.items[r].id for r in expected]
    assert result.note == "scorer: by-row" and all(h.reason == "lowest row first" for h in result.items)
    assert len(ctx.scorer.seen) == 1 and ctx.scorer.seen[0][1] == "anything"


def test_rank_items_obscure_sort_lowers_popular_items(demo_catalog):
    ctx = popular_pool(demo_catalog)
    normal = run(ctx, "rank_items", k=10)
    ctx.state = PreferenceState(sort="obscure")
    obscure = run(ctx, "rank_items", k=10)
    pop = demo_catalog.popularity
    mean = lambda hits: float(np.mean([pop[demo_catalog.index[h.id]] for h in hits]))  # noqa: E731
    assert mean(obscure.items) < mean(normal.items)
    most_popular = demo_catalog.items[int(max(ctx.bus.rows, key=lambda r: pop[r]))].id
    assert most_popular in {h.id for h in normal.items} and most_popular not in {h.id for h in obscure.items}


def test_rank_items_query_pulls_matching_items_up(demo_catalog):
    ctx = popular_pool(demo_catalog)
    result = run(ctx, "rank_items", k=5, query="vampires and werewolves")
    assert sum(bool(genres(demo_catalog, h.id) & {"paranormal", "horror", "paranormal romance"}) for h in result.items) >= 4


def test_rank_items_empty_bus_returns_nothing(demo_catalog):
    ctx = ToolContext(catalog=demo_catalog)
    result = run(ctx, "rank_items", k=5)
    assert result.items == [] and result.candidates == 0


def test_default_scorer_returns_one_reason_list_per_row(demo_catalog):
    ctx = popular_pool(demo_catalog, 40)
    scores, reasons = DEFAULT_SCORER.score(ctx, ctx.bus.rows, "pirates")
    assert scores.shape == (40,) and len(reasons) == 40 and np.isfinite(scores).all()


# --- similar_items ----------------------------------------------------------------------------
def test_similar_items_unknown_id_is_a_typed_error(demo_catalog):
    with pytest.raises(UnknownItem) as info:
        run(ToolContext(catalog=demo_catalog), "similar_items", item_id="no-such-id")
    assert info.value.item_id == "no-such-id"


def test_similar_items_excludes_the_item_and_finds_its_neighbours(demo_catalog):
    ctx = ToolContext(catalog=demo_catalog)
    result = run(ctx, "similar_items", item_id="2", limit=10, mode="replace")  # Harry Potter 1
    ids = bus_ids(ctx)
    assert "2" not in ids and len(ids) == 10 == len(set(ids))
    assert sum("Harry Potter" in demo_catalog.get(i).title for i in ids) >= 5
    scores = [h.score for h in result.items]
    assert scores == sorted(scores, reverse=True)


def test_similar_items_merge_keeps_existing_candidates(demo_catalog):
    ctx = ToolContext(catalog=demo_catalog)
    run(ctx, "filter_items", scope="catalog", limit=5)
    first = bus_ids(ctx)
    run(ctx, "similar_items", item_id="5", limit=20)
    assert bus_ids(ctx)[:5] == first and len(ctx.bus) > 5 and len(set(bus_ids(ctx))) == len(ctx.bus)


# --- item_details -----------------------------------------------------------------------------
def test_item_details_has_public_fields_under_catalog_names(demo_catalog):
    details = run(ToolContext(catalog=demo_catalog), "item_details", item_id="1")
    assert isinstance(details, ItemDetails)
    raw = demo_catalog.get("1")
    assert details.id == "1" and details.title == raw.title
    assert details.fields["year"] == int(raw.numeric["year"]) and isinstance(details.fields["year"], int)
    assert details.fields["authors"] == raw.categorical["authors"]
    assert details.fields["genres"] == raw.categorical["genres"]
    assert details.fields["average_rating"] == raw.numeric["average_rating"]
    assert "id" not in details.fields and "title" not in details.fields


def test_item_details_unknown_id_is_a_typed_error(demo_catalog):
    with pytest.raises(UnknownItem):
        run(ToolContext(catalog=demo_catalog), "item_details", item_id="999999")


# --- recall_memory ----------------------------------------------------------------------------
def test_recall_memory_without_memory_or_user_is_empty(demo_catalog, demo_settings, user_id):
    assert run(ToolContext(catalog=demo_catalog, user_id=user_id), "recall_memory") == []
    assert run(ToolContext(catalog=demo_catalog, memory=LongTermMemory(demo_settings)), "recall_memory") == []


def test_recall_memory_returns_own_entries_only(demo_catalog, demo_settings, user_id):
    memory = LongTermMemory(demo_settings)
    state = PreferenceState(likes=[Preference(field="genres", value="horror", origin="taste")],
                            rejected_items=[ItemRef(id="3", title="Twilight")])
    memory.remember(user_id, "old-session", demo_catalog.name, state)
    mine = run(ToolContext(catalog=demo_catalog, memory=memory, user_id=user_id, session_id="new"), "recall_memory")
    assert {(m.kind, m.value) for m in mine} == {("like", "horror"), ("rejected_item", "3")}
    other = run(ToolContext(catalog=demo_catalog, memory=memory, user_id=user_id + "-other"), "recall_memory")
    assert other == []
    same_session = run(ToolContext(catalog=demo_catalog, memory=memory, user_id=user_id, session_id="old-session"),
                       "recall_memory")
    assert same_session == []  # the current session is not "memory"


# --- the registry -----------------------------------------------------------------------------
def test_tools_registry_holds_every_tool_once():
    assert set(TOOLS) == {"search_items", "filter_items", "rank_items", "similar_items", "collaborative_items",
                          "item_details", "recall_memory"}
    assert all(isinstance(t, Tool) and t.name == name for name, t in TOOLS.items())


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_tool_schema_is_valid_json_schema_with_docstring_description(name):
    tool = TOOLS[name]
    schema = tool.schema()
    assert schema["name"] == name
    jsonschema.Draft202012Validator.check_schema(schema["parameters"])
    assert schema["parameters"]["type"] == "object"
    doc = inspect.getdoc(tool.fn)
    assert schema["description"] and doc.startswith(schema["description"])
    assert "Args:" not in schema["description"]
    args_section = doc.split("Args:", 1)[1]
    for field in schema["parameters"]["properties"]:
        assert f"{field}:" in args_section, f"{name}: argument {field} is not documented"
    assert tool.args.model_config.get("extra") == "forbid"  # a model's typo is an error, not ignored
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"surprise": 1} | _minimal_args(name), schema["parameters"])
    jsonschema.validate(_minimal_args(name), schema["parameters"])
    tool.args.model_validate(_minimal_args(name))


def _minimal_args(name: str) -> dict:
    return {"search_items": {"query": "dragons"}, "similar_items": {"item_id": "1"},
            "item_details": {"item_id": "1"}}.get(name, {})


class GoodArgs(BaseModel):
    model_config = {"extra": "forbid"}
    n: int = 1


def good_tool(ctx, args: GoodArgs) -> int:
    """Returns n.

    Args:
        n: a number.
    """
    return args.n


def untyped_tool(ctx, args) -> int:
    """Returns n.

    Args:
        n: a number.
    """
    return 1


def dict_tool(ctx, args: dict) -> int:
    """Returns n.

    Args:
        n: a number.
    """
    return 1


def undocumented_tool(ctx, args: GoodArgs) -> int:
    return 1


def no_args_section_tool(ctx, args: GoodArgs) -> int:
    """Returns n, but says nothing about its arguments."""
    return 1


@pytest.mark.parametrize("fn", [untyped_tool, dict_tool, undocumented_tool, no_args_section_tool])
def test_tool_registry_rejects_function_without_typed_args_or_docstring(fn):
    with pytest.raises(TypeError, match=fn.__name__):
        _tool(fn)


def test_tool_registry_accepts_typed_documented_function_and_validates_calls():
    tool = _tool(good_tool)
    assert tool.name == "good_tool" and tool.description == "Returns n." and tool.args is GoodArgs
    assert tool(None, {"n": 3}) == 3 and tool(None, GoodArgs(n=4)) == 4
    with pytest.raises(ValidationError):
        tool(None, {"n": "three"})
    with pytest.raises(ValidationError):
        tool(None, {"m": 1})


def test_constraint_objects_pass_through_tool_arguments(demo_catalog):
    """The planner passes model_dump()ed constraints; the tools accept them unchanged."""
    c = Constraint(field="genres", op="include", value="horror", source="horror please")
    ctx = ToolContext(catalog=demo_catalog)
    run(ctx, "filter_items", constraints=[c.model_dump()], scope="catalog", limit=5)
    assert len(ctx.bus) == 5 and all("horror" in genres(demo_catalog, i) for i in bus_ids(ctx))


def test_filter_items_from_the_catalog_can_merge_into_the_candidates(demo_catalog):
    ctx = ToolContext(catalog=demo_catalog)
    run(ctx, "search_items", query="a haunted house on a hill", limit=20)
    searched = bus_ids(ctx)
    run(ctx, "filter_items", scope="catalog", limit=10, mode="merge")
    assert bus_ids(ctx)[:20] == searched and len(ctx.bus) > 20  # the popular ones join, the rest stay first
    run(ctx, "filter_items", scope="catalog", limit=10)
    assert len(ctx.bus) == 10  # replace, as before


def test_the_catalog_schema_decides_how_much_popularity_weighs_in_ranking(demo_catalog, monkeypatch):
    ctx = ToolContext(catalog=demo_catalog)
    run(ctx, "search_items", query="a quiet literary novel about grief", limit=100)
    ranking = demo_catalog.schema.ranking
    monkeypatch.setattr(demo_catalog.schema, "ranking", ranking.model_copy(update={"popularity": 5.0}))
    loud = run(ctx, "rank_items", k=5)
    most_popular = max(ctx.bus.rows.tolist(), key=lambda r: demo_catalog.popularity[r])
    assert loud.items[0].id == demo_catalog.items[most_popular].id
    monkeypatch.setattr(demo_catalog.schema, "ranking", ranking.model_copy(update={"popularity": 0.0}))
    quiet = run(ctx, "rank_items", k=5)
    assert [h.id for h in quiet.items] != [h.id for h in loud.items]
