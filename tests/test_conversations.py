"""The conversations model: items named together in dialogues, blended into the ranking."""

from __future__ import annotations

import numpy as np
import pytest

from recpilot.errors import UserError
from recpilot.preferences import ItemRef, PreferenceState
from recpilot.tools.context import ToolContext
from recpilot.tools.rank import PreferenceScorer
from recpilot.tools.rankers.conversations import ConversationScorer, fit_conversations

HP1, HP2 = "2", "23"  # Harry Potter #1 and #2 in goodbooks


def _ids(catalog, *rows):
    return [catalog.items[r].id for r in rows]


@pytest.fixture(scope="module")
def talk(demo_catalog):
    """Two dialogues name rows 500 and 501 together, one names 502 with 503; HP1 sits with 504."""
    a, b, c, d, e = _ids(demo_catalog, 500, 501, 502, 503, 504)
    return fit_conversations(demo_catalog, [[a, b], [b, a, "not-an-item"], [c, d], [HP1, e]])


def _ctx(catalog, liked=(), rejected=(), scorer=None) -> ToolContext:
    def refs(ids):
        return [ItemRef(id=i, title=catalog.get(i).title) for i in ids]

    return ToolContext(catalog=catalog, state=PreferenceState(liked_items=refs(liked), rejected_items=refs(rejected)),
                       scorer=scorer)


def test_an_item_named_with_a_liked_one_rises_and_says_why(demo_catalog, talk):
    scorer = ConversationScorer(PreferenceScorer(), talk, demo_catalog, weight=0.5)
    liked = _ids(demo_catalog, 500)
    rows = np.arange(501, 560)
    scores, reasons = scorer.score(_ctx(demo_catalog, liked=liked), rows, None)
    base, _ = PreferenceScorer().score(_ctx(demo_catalog, liked=liked), rows, None)
    best = int(np.argmax(scores))
    assert rows[best] == 501 and int(np.argmax(base)) != best
    assert f"often suggested alongside {demo_catalog.items[500].title}" in reasons[best]
    # 502 was named with 503 only: it gains nothing from liking 500
    assert scores[rows == 502][0] == pytest.approx(0.5 * base[rows == 502][0])


def test_without_a_liked_item_the_base_scores_are_unchanged(demo_catalog, talk):
    scorer = ConversationScorer(PreferenceScorer(), talk, demo_catalog)
    rows = np.arange(500, 560)
    scores, _ = scorer.score(_ctx(demo_catalog), rows, None)
    base, _ = PreferenceScorer().score(_ctx(demo_catalog), rows, None)
    assert np.allclose(scores, base)
    assert scorer.named_together(_ctx(demo_catalog)) is None


def test_a_rejected_item_teaches_nothing(demo_catalog, talk):
    scorer = ConversationScorer(PreferenceScorer(), talk, demo_catalog)
    a = _ids(demo_catalog, 500)
    assert scorer.named_together(_ctx(demo_catalog, liked=a, rejected=a)) is None


def test_an_item_read_and_turned_down_is_never_given_as_the_reason(demo_catalog):
    from recpilot.preferences import ItemRef

    a, b = _ids(demo_catalog, 500, 501)
    # b sits with HP1 once and with a (more strongly) twice
    model = fit_conversations(demo_catalog, [[HP1, b], [a, b], [a, b]])
    ctx = _ctx(demo_catalog, liked=[HP1], rejected=[a])
    ctx.state.read_items.append(ItemRef(id=a, title=demo_catalog.get(a).title))  # "read it, hated it"
    scorer = ConversationScorer(PreferenceScorer(), model, demo_catalog, weight=0.5)
    _, reasons = scorer.score(ctx, demo_catalog.rows([b, *_ids(demo_catalog, 502, 503)]), None)
    assert f"often suggested alongside {demo_catalog.get(HP1).title}" in reasons[0]
    assert not any(demo_catalog.get(a).title in r for rs in reasons for r in rs)


def test_fitting_needs_a_dialogue_that_names_two_catalog_items(demo_catalog):
    with pytest.raises(UserError, match="nothing to learn"):
        fit_conversations(demo_catalog, [[HP1], [HP2, "not-an-item"], []])


def test_the_weight_and_the_catalog_are_checked(demo_catalog, talk):
    with pytest.raises(UserError, match="weight"):
        ConversationScorer(PreferenceScorer(), talk, demo_catalog, weight=1.5)
    small = fit_conversations(demo_catalog, [[HP1, HP2]])
    small.n_items = 10
    with pytest.raises(UserError, match="knows 10 items"):
        ConversationScorer(PreferenceScorer(), small, demo_catalog)


def test_collaborative_items_brings_in_what_was_named_together_without_a_ranker(demo_catalog, talk):
    from recpilot.tools import TOOLS

    scorer = ConversationScorer(PreferenceScorer(), talk, demo_catalog)
    ctx = _ctx(demo_catalog, liked=[HP1], scorer=scorer)
    result = TOOLS["collaborative_items"](ctx, {"limit": 20})
    ids = [demo_catalog.items[r].id for r in ctx.bus.rows.tolist()]
    assert ids == _ids(demo_catalog, 504) and result.candidates == 1  # only what was named with it
    # the preference scorer's other attributes are still reached through the wrapper
    assert scorer.overrides == {}


def test_the_trained_ranker_and_the_conversations_both_bring_candidates(demo_catalog, talk):
    from recpilot.tools import TOOLS
    from recpilot.tools.rankers.data import positives
    from recpilot.tools.rankers.factory import make_ranker
    from recpilot.tools.rankers.scorer import TrainedScorer

    knn = make_ranker("itemknn")
    knn.fit(positives(demo_catalog.interactions, len(demo_catalog)))
    scorer = ConversationScorer(TrainedScorer(knn, demo_catalog), talk, demo_catalog)
    ctx = _ctx(demo_catalog, liked=[HP1], scorer=scorer)
    TOOLS["collaborative_items"](ctx, {"limit": 20})
    ids = [demo_catalog.items[r].id for r in ctx.bus.rows.tolist()]
    assert HP2 in ids and _ids(demo_catalog, 504)[0] in ids and len(ids) == len(set(ids)) == 21
