"""The grounding property, over random constraint sets and random utterances across several turns:
every recommended item exists in the catalog, satisfies every hard constraint in the returned
state, and is not a rejected item."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from conftest import assert_grounded, make_agent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recpilot.preferences import Constraint

TEMPLATES = [
    "{genre} books", "no {genre}", "nothing {genre} please", "I love {genre}", "{genre} is fine actually",
    "something from the {decade}s", "published after {year}", "written before {year}", "from {year} to {year2}",
    "rated at least {rating}", "rated under {rating}", "nothing by {author}", "more by {author}",
    "more", "more please", "not the first one", "not the second or third one", "more like the second one",
    "older ones", "newer", "something more popular", "hidden gems", "tell me about the third one",
    "I'll take the first one", "start over", "hello", "{genre} from the {decade}s, nothing by {author}",
    "something like {title}", "not {title}", "{free}", "{genre} {free}",
]


@pytest.fixture(scope="module")
def vocab(demo_catalog):
    catalog = demo_catalog
    authors = catalog.categorical["authors"]
    return {
        "genres": sorted(catalog.display["genres"].values()),
        "authors": [catalog.display["authors"][a] for a in sorted(authors, key=lambda a: -len(authors[a]))[:150]],
        "titles": [catalog.items[r].title for r in np.argsort(-catalog.popularity)[:200].tolist()],
    }


@pytest.fixture(scope="module")
def prop_agent(demo_settings):
    return make_agent(demo_settings)


def constraints(vocab):
    genre = st.sampled_from(vocab["genres"])
    return st.one_of(
        st.builds(lambda v: Constraint(field="genres", op="include", value=v), genre),
        st.builds(lambda v: Constraint(field="genres", op="exclude", value=v), genre),
        st.builds(lambda y: Constraint(field="year", op="gte", value=y), st.integers(1800, 2018)),
        st.builds(lambda y: Constraint(field="year", op="lte", value=y), st.integers(1800, 2018)),
        st.builds(lambda r: Constraint(field="average_rating", op="gte", value=r / 100), st.integers(300, 490)),
        st.builds(lambda r: Constraint(field="average_rating", op="lte", value=r / 100), st.integers(300, 490)),
        st.builds(lambda a: Constraint(field="authors", op="exclude", value=a), st.sampled_from(vocab["authors"])),
    )


def utterances(vocab):
    fill = st.fixed_dictionaries({
        "genre": st.sampled_from(vocab["genres"]),
        "author": st.sampled_from(vocab["authors"]),
        "title": st.sampled_from(vocab["titles"]),
        "decade": st.sampled_from(["50", "60", "70", "80", "90", "19", "20", "200"]),
        "year": st.integers(1900, 2020).map(str),
        "year2": st.integers(1900, 2020).map(str),
        "rating": st.sampled_from(["3", "3.5", "4", "4.2", "4.5", "4.8", "5"]),
        "free": st.text(max_size=40),
    })
    templated = st.builds(lambda t, f: t.format(**f), st.sampled_from(TEMPLATES), fill)
    return st.one_of(templated, templated, st.text(max_size=80))


def actions(vocab):
    return st.one_of(
        st.tuples(st.just("say"), utterances(vocab)),
        st.tuples(st.just("say"), utterances(vocab)),
        st.tuples(st.just("edit"), st.lists(constraints(vocab), min_size=1, max_size=4)),
        st.tuples(st.just("remove"), st.integers(0, 20)),
        st.tuples(st.just("feedback"), st.tuples(st.sampled_from(["like", "dislike", "more_like_this"]),
                                                 st.integers(0, 4))),
    )


def check(agent, result, k: int = 5) -> None:
    assert len(result.items) <= k
    assert_grounded(agent, result)
    if not result.items and result.intent in ("recommend", "refine", "reject"):
        assert result.question or result.message  # an empty answer always says something


@pytest.mark.slow
@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_grounding_property_over_random_sessions(prop_agent, vocab, data):
    agent = prop_agent
    user = f"prop-{uuid.uuid4().hex[:10]}"
    first = data.draw(utterances(vocab), label="first utterance")
    result = agent.ask(first, user_id=user)
    check(agent, result)
    sid = result.session_id
    last_items = [i.id for i in result.items]
    for action, arg in data.draw(st.lists(actions(vocab), min_size=1, max_size=4), label="actions"):
        if action == "say":
            result = agent.ask(arg, session_id=sid, user_id=user)
        else:
            if action == "edit":
                agent.edit_state(sid, user, add=arg)
            elif action == "remove":
                chips = agent.session(sid, user).state.chips()
                if chips:
                    agent.edit_state(sid, user, remove=[chips[arg % len(chips)]["key"]])
            elif action == "feedback" and last_items:
                kind, index = arg
                agent.feedback(sid, last_items[index % len(last_items)], kind, user_id=user)
            result = agent.ask("more", session_id=sid, user_id=user)
        check(agent, result)
        if result.items:
            last_items = [i.id for i in result.items]
        assert agent.session(sid, user).state == result.state


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_grounding_property_random_constraint_sets_match_brute_force(prop_agent, vocab, data):
    """Over a random constraint set, the agent returns items iff some catalog item satisfies it."""
    agent = prop_agent
    user = f"prop-{uuid.uuid4().hex[:10]}"
    start = agent.ask("hello", user_id=user)
    added = data.draw(st.lists(constraints(vocab), min_size=1, max_size=5), label="constraints")
    state = agent.edit_state(start.session_id, user, add=added)
    result = agent.ask("more", session_id=start.session_id, user_id=user)
    check(agent, result)
    assert result.state.constraints == state.constraints
    satisfiable = [it for it in agent.catalog.items if all(c.satisfied_by(it) for c in state.constraints)]
    assert bool(result.items) == bool(satisfiable)
    assert len(result.items) == min(5, len(satisfiable))
