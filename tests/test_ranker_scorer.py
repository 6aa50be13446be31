"""``TrainedScorer`` on the demo catalog's real ratings, and ``load_scorer``'s checkpoints."""

from __future__ import annotations

import json

import numpy as np
import pytest

from recpilot.catalog import load_catalog
from recpilot.memory.candidates import CandidateBus
from recpilot.preferences import ItemRef, PreferenceState
from recpilot.settings import LLMSettings, Settings
from recpilot.tools.context import ToolContext
from recpilot.tools.models import RankArgs
from recpilot.tools.rank import PreferenceScorer, rank_items
from recpilot.tools.rankers.checkpoint import checkpoint_dir
from recpilot.tools.rankers.data import positives
from recpilot.tools.rankers.factory import make_ranker
from recpilot.tools.rankers.scorer import NO_RANKER_NOTE, TrainedScorer, load_scorer
from recpilot.training.rankers import save_checkpoint

HP1, HP2 = "2", "23"  # Harry Potter #1 and #2 in goodbooks

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def knn(demo_catalog):
    ranker = make_ranker("itemknn")
    ranker.fit(positives(demo_catalog.interactions, len(demo_catalog)))
    return ranker


@pytest.fixture
def models_home(tmp_path, demo_home):
    """A fresh RECPILOT_HOME that sees the demo catalog (read-only) but has no models yet."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "catalogs").symlink_to(demo_home / "catalogs")
    return Settings(home=home, llm=LLMSettings(backend="none"))


def _ctx(catalog, user_id="someone-new", liked=(), rejected=(), scorer=None) -> ToolContext:
    def refs(ids):
        return [ItemRef(id=i, title=catalog.get(i).title) for i in ids]

    state = PreferenceState(liked_items=refs(liked), rejected_items=refs(rejected))
    return ToolContext(catalog=catalog, state=state, user_id=user_id, scorer=scorer)


def _candidates(catalog, *ids) -> np.ndarray:
    return np.concatenate([catalog.rows(list(ids)), np.arange(300, 360)])


def test_trainedscorer_folds_in_session_likes_for_a_new_reader(demo_catalog, knn):
    scorer = TrainedScorer(knn, demo_catalog)
    rows = _candidates(demo_catalog, HP2)
    scores, reasons = scorer.score(_ctx(demo_catalog, liked=[HP1]), rows, None)
    best = int(np.argmax(scores))
    assert demo_catalog.items[rows[best]].id == HP2
    assert reasons[best][0] == f"readers who liked {demo_catalog.get(HP1).title} also liked this"


def test_trainedscorer_uses_the_ingested_history_of_a_known_reader(demo_catalog, knn):
    inter = demo_catalog.interactions
    user_id = inter.user_ids[0]
    liked = set(positives(inter, len(demo_catalog)).row(0).tolist())
    rated = set(inter.items[inter.users == 0].tolist())
    scorer = TrainedScorer(knn, demo_catalog)
    rows = np.arange(0, 400)
    ctx = _ctx(demo_catalog, user_id=user_id)
    scores, reasons = scorer.score(ctx, rows, None)
    base, _ = PreferenceScorer().score(ctx, rows, None)
    assert not np.allclose(scores, base)
    read = np.isin(rows, list(rated))
    assert read.any() and scores[read].max() < scores[~read].min()  # books already read sink
    explained = [r[0] for r in reasons if r and r[0].startswith("readers who liked")]
    assert explained
    titles = {demo_catalog.items[i].title for i in liked}
    assert all(e.removeprefix("readers who liked ").removesuffix(" also liked this") in titles for e in explained)


def test_trainedscorer_without_history_is_the_preference_scorer(demo_catalog, knn):
    rows = _candidates(demo_catalog, HP2)
    ctx = _ctx(demo_catalog, user_id=None)
    scores, reasons = TrainedScorer(knn, demo_catalog).score(ctx, rows, "a wizard school")
    base, base_reasons = PreferenceScorer().score(ctx, rows, "a wizard school")
    np.testing.assert_array_equal(scores, base)
    assert reasons == base_reasons


def test_trainedscorer_history_drops_rejected_books_and_folds_in(demo_catalog, knn):
    inter = demo_catalog.interactions
    liked = positives(inter, len(demo_catalog)).row(0)
    scorer = TrainedScorer(knn, demo_catalog)
    user, history, _ = scorer.history(_ctx(demo_catalog, user_id=inter.user_ids[0]))
    assert user == 0 and history.tolist() == liked.tolist()
    dropped = demo_catalog.items[int(liked[0])].id
    user, history, _ = scorer.history(_ctx(demo_catalog, user_id=inter.user_ids[0], rejected=[dropped]))
    assert user == -1 and int(liked[0]) not in history.tolist() and len(history) == len(liked) - 1


def test_rank_items_uses_the_trained_scorer(demo_catalog, knn):
    scorer = TrainedScorer(knn, demo_catalog)
    ctx = _ctx(demo_catalog, liked=[HP1], scorer=scorer)
    ctx.bus = CandidateBus()
    ctx.bus.replace(_candidates(demo_catalog, HP2), "test")
    result = rank_items(ctx, RankArgs(k=3))
    assert result.note == "scorer: itemknn+preference"
    assert result.items[0].id == HP2 and "readers who liked" in result.items[0].reason


def test_load_scorer_is_none_without_a_checkpoint(models_home):
    # the demo catalog has a shipped ranker (tests/test_shipped_models.py): without it, none
    no_shipped = models_home.model_copy(update={"learned": models_home.learned.model_copy(update={"shipped": False})})
    assert load_scorer(no_shipped, load_catalog(models_home)) is None
    assert NO_RANKER_NOTE.startswith("no trained ranker")


def test_load_scorer_loads_the_active_checkpoint_of_this_catalog_version(models_home, knn):
    catalog = load_catalog(models_home)
    path = save_checkpoint(models_home, catalog, knn, {"hr@10": 0.5})
    assert path == checkpoint_dir(models_home, catalog) / "itemknn.npz"
    assert (path.parent / "ACTIVE").read_text() == "itemknn"
    scorer = load_scorer(models_home, catalog)
    assert isinstance(scorer, TrainedScorer) and scorer.name == "itemknn+preference"
    assert scorer.meta["catalog_version"] == catalog.version and scorer.meta["hr@10"] == 0.5
    history = positives(catalog.interactions, len(catalog)).take([0])
    np.testing.assert_array_equal(scorer.ranker.score(history), knn.score(history))
    switched_off = models_home.model_copy(update={"learned": models_home.learned.model_copy(update={"ranker": False})})
    assert load_scorer(switched_off, catalog) is None


def test_load_scorer_ignores_a_checkpoint_of_other_catalog_content(models_home, knn):
    catalog = load_catalog(models_home)
    path = save_checkpoint(models_home, catalog, knn, {})
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "content_hash": "something-else"}))
    with pytest.warns(UserWarning, match="other catalog content"):
        assert load_scorer(models_home, catalog) is None
    path.write_bytes(b"not a checkpoint")
    meta_path.write_text(json.dumps(meta))
    with pytest.warns(UserWarning, match="cannot read"):
        assert load_scorer(models_home, catalog) is None


def test_collaborative_items_brings_in_what_readers_of_a_liked_book_also_liked(demo_catalog, knn):
    from recpilot.tools import TOOLS

    scorer = TrainedScorer(knn, demo_catalog)
    ctx = _ctx(demo_catalog, liked=[HP1], scorer=scorer)
    result = TOOLS["collaborative_items"](ctx, {"limit": 30})
    ids = [demo_catalog.items[r].id for r in ctx.bus.rows.tolist()]
    assert len(ids) == 30 and HP2 in ids and HP1 not in ids  # the sequel, never the book itself
    assert result.items[0].id == ids[0]
    # no trained ranker, or nothing liked yet: nothing to start from, the bus is left alone
    for empty in (_ctx(demo_catalog, liked=[HP1]), _ctx(demo_catalog, scorer=scorer)):
        assert TOOLS["collaborative_items"](empty, {"limit": 30}).candidates == 0 and len(empty.bus) == 0


def test_the_planner_asks_the_ratings_only_when_a_ranker_and_a_liked_item_are_there(demo_catalog):
    from recpilot.agent.planner import plan_turn
    from recpilot.preferences import StateUpdate

    update = StateUpdate(intent="recommend")
    liked = PreferenceState(liked_items=[ItemRef(id=HP1, title=demo_catalog.get(HP1).title)])
    tools = lambda state, on: [c.tool for c in plan_turn(state, update, demo_catalog, k=5, shown=set(),  # noqa: E731
                                                         collaborative=on).calls]
    assert "collaborative_items" in tools(liked, True)
    assert "collaborative_items" not in tools(liked, False)
    assert "collaborative_items" not in tools(PreferenceState(), True)


def test_reasons_speak_of_the_catalogs_own_people(demo_catalog, knn, monkeypatch):
    from recpilot.catalog import audience_words, item_noun

    assert item_noun(demo_catalog) == "book" and audience_words(demo_catalog) == ("readers", "read")
    monkeypatch.setattr(demo_catalog.schema, "noun", "movie")
    assert item_noun(demo_catalog, plural=True) == "movies"
    scorer = TrainedScorer(knn, demo_catalog)
    rows = _candidates(demo_catalog, HP2, HP1)
    _, reasons = scorer.score(_ctx(demo_catalog, liked=[HP1]), rows, None)
    flat = [r for rs in reasons for r in rs]
    assert any(r.startswith("viewers who liked") for r in flat) and "you have seen this already" in flat
    assert not any("readers" in r or "reading" in r for r in flat)
