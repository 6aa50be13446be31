"""The planner's retrieval query: what the user described, and an anchor's title only where a
catalog has nothing but titles to search."""

from __future__ import annotations

from types import SimpleNamespace

from recpilot.agent.planner import build_query
from recpilot.preferences import Constraint, ItemRef, PreferenceState
from recpilot.schema import CatalogSchema

HOBBIT = ItemRef(id="7", title="The Hobbit")


def test_build_query_leaves_an_anchors_title_out_of_a_described_catalog(demo_catalog):
    state = PreferenceState(anchors=[HOBBIT], keywords=["dragons"],
                            constraints=[Constraint(field="genres", op="include", value="fantasy")])

    query = build_query(state, demo_catalog)

    assert query == "dragons, fantasy"  # items are embedded without titles: "Hobbit" would meet nothing


def test_build_query_searches_by_anchor_titles_in_a_titles_only_catalog():
    movies = SimpleNamespace(schema=CatalogSchema(numeric=["year"], year="year"))
    state = PreferenceState(anchors=[ItemRef(id="1", title="Paranormal Activity"), ItemRef(id="2", title="Saw")])

    assert build_query(state, movies) == "Paranormal Activity, Saw"
