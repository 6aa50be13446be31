"""The planner: one plan of tool calls per turn, decided from the typed state, then executed.

Plan-first, as in the design: the plan is fixed before any tool runs, and the tools pass
candidates over the bus. The plan is derived from the preference state by rules (no LLM
call), which keeps a turn at one or two LLM calls and makes every plan inspectable.
"""

from __future__ import annotations

from recpilot.agent.series import known_series, series_rows
from recpilot.agent.steps import Plan, PlannedCall
from recpilot.catalog import Catalog
from recpilot.preferences import PreferenceState, StateUpdate

RETRIEVE = 300
COLLABORATIVE = 100
POPULAR = 100
#: the longest retrieval query (the tools accept 2000 characters; an embedding reads far fewer)
MAX_QUERY_CHARS = 1000


def build_query(state: PreferenceState, catalog: Catalog) -> str | None:
    """The text the user wants items to be about: their descriptors and liked values. Never an
    anchor's title: items are embedded without titles, so its words would only meet unrelated
    words ("Dragon" in a thriller's title, "dragons" in fantasy); similar_items follows anchors."""
    parts = list(state.keywords)
    # (what a user praised in a book they liked leans the ranking, it is not searched for)
    parts += [p.meaning or p.value for p in state.likes if p.weight >= 0.8]
    parts += [str(c.value) for c in state.constraints if c.op == "include" and c.field not in catalog.schema.people]
    if _titles_only(catalog):  # its items are embedded by their titles: a title is all there is to search by
        parts += [a.title for a in state.anchors[-2:]]
    text = ", ".join(dict.fromkeys(p for p in parts if p))
    if len(text) > MAX_QUERY_CHARS:  # a huge free-text message: keep whole words up to the limit
        text = text[: MAX_QUERY_CHARS + 1].rsplit(" ", 1)[0][:MAX_QUERY_CHARS].rstrip(" ,")
    return text or None


def _titles_only(catalog: Catalog) -> bool:
    """A catalog with neither text nor categorical fields (ReDial's movie list): its items are
    embedded by title."""
    return not catalog.schema.text and not catalog.schema.categorical


def plan_turn(state: PreferenceState, update: StateUpdate, catalog: Catalog, *, k: int, shown: set[str],
              collaborative: bool = False) -> Plan:
    """``collaborative``: a trained ranker is there to bring in items from ratings."""
    intent = update.intent
    if intent == "reset":
        return Plan(respond_with="reset")
    if intent == "chitchat":
        return Plan(respond_with="chitchat")
    if intent == "out_of_domain":
        return Plan(respond_with="out_of_domain")
    if intent == "ask_item" and update.asked_item:
        return Plan(respond_with="details",
                    calls=[PlannedCall(tool="item_details", args={"item_id": update.asked_item.id}, why="asked about it")])
    if intent == "accept" and update.accepted_item:
        return Plan(respond_with="accept",
                    calls=[PlannedCall(tool="item_details", args={"item_id": update.accepted_item.id}, why="chosen")])

    calls: list[PlannedCall] = []
    constraints = [c.model_dump() for c in state.constraints]
    query = build_query(state, catalog)
    if query:
        calls.append(PlannedCall(tool="search_items", args={"query": query, "constraints": constraints, "limit": RETRIEVE},
                                 why="retrieve by what the user described"))
        # what many people liked competes too: a text search alone never reaches a popular item
        # whose text says little (a film known by its title only)
        calls.append(PlannedCall(tool="filter_items", args={"constraints": constraints, "scope": "catalog",
                                                            "limit": POPULAR, "mode": "merge"},
                                 why="the most popular items that fit"))
    else:
        calls.append(PlannedCall(tool="filter_items", args={"constraints": constraints, "scope": "catalog", "limit": RETRIEVE},
                                 why="no description yet: the most popular items that fit"))
    for anchor in list({r.id: r for r in state.anchors[-2:] + state.liked_items[-1:]}.values()):
        calls.append(PlannedCall(tool="similar_items", args={"item_id": anchor.id, "limit": 100, "mode": "merge"},
                                 why=f"like {anchor.title}"))
    if collaborative and (state.anchors or state.liked_items or state.read_items or state.accepted_item):
        calls.append(PlannedCall(tool="collaborative_items", args={"limit": COLLABORATIVE, "mode": "merge"},
                                 why="liked by people who liked the same"))
    known = series_rows(catalog, known_series(catalog, state, shown))
    exclude = sorted(state.seen_ids() | {a.id for a in state.anchors} | shown
                     | {catalog.items[r].id for r in known.tolist()})
    calls.append(PlannedCall(tool="filter_items", args={"constraints": constraints, "exclude_ids": exclude},
                             why="hard constraints, nothing rejected or already shown"))
    calls.append(PlannedCall(tool="rank_items", args={"k": k, "query": query}, why="order by fit"))
    ask = clarifying_question(state, catalog) if state.is_vague() else None
    return Plan(calls=calls, ask=ask)


def clarifying_question(state: PreferenceState, catalog: Catalog) -> str:
    """One question about the most informative field the user has not talked about yet."""
    schema = catalog.schema
    talked = {c.field for c in state.constraints} | {p.field for p in state.likes}
    for name in schema.attribute_fields:
        if name in talked:
            continue
        vocab = catalog.categorical.get(name, {})
        if len(vocab) < 3:
            continue
        top = sorted(vocab, key=lambda v: -len(vocab[v]))[:4]
        shown = [catalog.display[name][v] for v in top]
        return f"What kind are you in the mood for — {', '.join(shown[:-1])} or {shown[-1]}? Or name one you loved."
    return "Could you tell me a bit more about what you are looking for, or name one you loved?"
