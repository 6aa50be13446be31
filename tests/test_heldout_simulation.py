"""Heldout targets (a real reader's test-split rating, their other ratings as the history the
agent is told), the caller-given history on sessions, and runs with and without the ranker."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from recpilot.catalog import load_catalog
from recpilot.errors import ConfigError
from recpilot.memory.sessions import SessionStore
from recpilot.preferences import PreferenceState
from recpilot.settings import LLMSettings, Settings
from recpilot.simulator.agents import build_agent
from recpilot.simulator.episode import dialogue_seed, run_dialogue
from recpilot.simulator.leak import LeakDetector
from recpilot.simulator.models import DialogueSpec, RunConfig
from recpilot.simulator.runner import CONFIG, SUMMARY, record_learned, run_simulation
from recpilot.simulator.target import (
    HELDOUT_MAX_HISTORY,
    HELDOUT_MIN_HISTORY,
    eligible_rows,
    heldout_split,
    sample_target,
)
from recpilot.simulator.users import RuleSimulator
from recpilot.tools.context import ToolContext
from recpilot.tools.rankers.factory import make_ranker
from recpilot.tools.rankers.scorer import TrainedScorer
from recpilot.training.rankers import catalog_split, save_checkpoint

HP1, HP2 = "2", "23"  # Harry Potter #1 and #2 in goodbooks
SPLIT_SEED = 3

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture
def home(copy_demo_home):
    """A private copy of the ingested demo home (its vector store included), with no models yet."""
    return copy_demo_home()


def _settings(home, **learned) -> Settings:
    settings = Settings(home=home, llm=LLMSettings(backend="none"))
    return settings.model_copy(update={"learned": settings.learned.model_copy(update=learned)})


def _train_popularity(settings: Settings, seed: int = SPLIT_SEED) -> None:
    """A (fast) popularity checkpoint fitted on the train part of the ``seed`` split, as
    ``recpilot train ranker`` saves it."""
    catalog = load_catalog(settings)
    ranker = make_ranker("popularity")
    ranker.fit(catalog_split(catalog, seed).train, seed=seed)
    save_checkpoint(settings, catalog, ranker, {"seed": seed})


def _popularity_scorer(catalog) -> TrainedScorer:
    ranker = make_ranker("popularity")
    ranker.fit(catalog_split(catalog, 0).train)
    return TrainedScorer(ranker, catalog)


# --- heldout targets ------------------------------------------------------------------------------------
def _readers_of(split, row: int) -> list[int]:
    return [u for u in range(split.test.n_users) if row in set(split.test.row(u).tolist())]


def test_heldout_target_is_a_test_positive_and_its_history_the_readers_other_ratings(demo_catalog):
    split = catalog_split(demo_catalog, 0)
    eligible = set(eligible_rows(demo_catalog).tolist())
    for i in range(8):
        target = sample_target(demo_catalog, random.Random(f"h:{i}"), "heldout")
        history = target.history_rows
        assert target.row in eligible and target.row not in history
        assert HELDOUT_MIN_HISTORY <= len(history) <= HELDOUT_MAX_HISTORY and history == sorted(set(history))
        known = [set(split.train.row(u).tolist()) | set(split.valid.row(u).tolist())
                 for u in _readers_of(split, target.row)]
        assert any(set(history) <= k for k in known), "the history is one test reader's train + valid positives"
        assert set(target.liked_rows) <= set(history) and len(target.liked_rows) <= 3
        detector = LeakDetector(target.item.title, target.item.id)
        assert all(detector.check(demo_catalog.items[r].title) is None for r in target.liked_rows)


def test_heldout_targets_are_seeded_and_follow_the_split_seed(demo_catalog):
    def draw(split_seed: int) -> list[tuple]:
        return [(t.row, tuple(t.history_rows), tuple(t.liked_rows)) for t in
                (sample_target(demo_catalog, random.Random(f"s:{i}"), "heldout", split_seed) for i in range(6))]

    assert draw(0) == draw(0)
    assert draw(0) != draw(SPLIT_SEED)
    assert heldout_split(demo_catalog, SPLIT_SEED) is heldout_split(demo_catalog, SPLIT_SEED)  # cached


def test_heldout_history_never_holds_a_test_item_of_its_reader(demo_catalog):
    split = heldout_split(demo_catalog, 0)
    for user in split.users[:200]:
        assert not set(split.known.row(int(user)).tolist()) & set(split.test.row(int(user)).tolist())


def test_heldout_targets_need_ratings(demo_settings, monkeypatch):
    """Said once, before any dialogue runs (not as an error in every dialogue)."""
    from recpilot.catalog import Catalog
    from recpilot.errors import UserError
    from recpilot.simulator import target

    monkeypatch.setattr(target, "_splits", {})
    monkeypatch.setattr(Catalog, "interactions", property(lambda self: None))
    with pytest.raises(UserError, match="no interactions"):
        record_learned(demo_settings, RunConfig(targets="heldout"))


# --- the caller-given history on a session ----------------------------------------------------------------
class Recording:
    """A scorer that remembers the history each ranking call saw."""

    def __init__(self, inner):
        self.inner, self.name, self.seen = inner, inner.name, []

    def score(self, ctx, rows, query):
        self.seen.append(list(ctx.history))
        return self.inner.score(ctx, rows, query)


def _agent(settings, catalog, scorer=None):
    from recpilot.agent.agent import RecPilot

    return RecPilot(settings, catalog, None, SessionStore(settings.sessions_db), None, scorer)


def test_session_history_persists_extends_and_reaches_the_scorer(home, demo_catalog):
    settings = _settings(home)
    scorer = Recording(_popularity_scorer(demo_catalog))
    agent = _agent(settings, demo_catalog, scorer)
    first = agent.ask("a fantasy book", user_id="u1", history=[HP1, "no-such-book"])
    assert any("unknown item id" in w and "no-such-book" in w for w in first.warnings)
    assert scorer.seen and scorer.seen[-1] == [HP1]
    agent.ask("something newer", first.session_id, "u1", history=[HP2, HP1])
    assert scorer.seen[-1] == [HP1, HP2]
    agent.ask("more please", first.session_id, "u1")
    assert scorer.seen[-1] == [HP1, HP2]  # kept on the session
    reopened = SessionStore(settings.sessions_db).get(first.session_id, "u1")
    assert reopened.history == [HP1, HP2]


def test_unknown_history_ids_are_a_warning_not_an_error(home, demo_catalog):
    agent = _agent(_settings(home), demo_catalog)
    result = agent.ask("a mystery", user_id="u2", history=["nope-1", "nope-2"])
    assert result.items and any("2 unknown item id(s)" in w for w in result.warnings)
    assert agent.session(result.session_id).history == []


def test_trained_scorer_reads_the_history_as_liked_and_read(demo_catalog):
    scorer = _popularity_scorer(demo_catalog)
    ctx = ToolContext(catalog=demo_catalog, state=PreferenceState(), user_id="someone-new", history=[HP1])
    user, history, seen = scorer.history(ctx)
    row = int(demo_catalog.rows([HP1])[0])
    assert user == -1 and row in history.tolist() and row in seen.tolist()
    rows = np.concatenate([[row], np.arange(300, 360)])
    scores, reasons = scorer.score(ctx, rows, None)
    assert scores[0] < scores[1:].min()  # what they read elsewhere sinks
    assert reasons[0][0] == "you have read this already"


# --- the simulator with and without the ranker ---------------------------------------------------------------
def test_build_agent_follows_settings_learned_ranker(home, demo_catalog, tmp_path):
    on = _settings(home)
    _train_popularity(on)
    agent = build_agent("recpilot", on, demo_catalog, tmp_path, None)
    assert isinstance(agent.agent.scorer, TrainedScorer)
    assert agent.agent.scorer.meta["seed"] == SPLIT_SEED
    off = build_agent("recpilot", _settings(home, ranker=False), demo_catalog, tmp_path, None)
    assert off.agent.scorer is None


def test_heldout_dialogue_tells_recpilot_the_readers_history(demo_settings, demo_catalog, tmp_path):
    agent = build_agent("recpilot", demo_settings, demo_catalog, tmp_path, None)
    config = RunConfig(max_turns=2, targets="heldout")
    spec = DialogueSpec(id="d00000", index=0, seed=dialogue_seed(0, 0))
    record = run_dialogue(spec, demo_catalog, agent, RuleSimulator, config)
    assert record.outcome != "error", record.error
    target = sample_target(demo_catalog, random.Random(f"{spec.seed}:target"), "heldout")
    assert record.target_id == target.item.id
    session = agent.agent.session(agent._sessions[spec.id])
    assert session.history == [demo_catalog.items[r].id for r in target.history_rows]
    assert target.item.id not in session.history


def test_run_records_the_ranker_and_refuses_a_resume_with_another(home, tmp_path):
    on, off = _settings(home), _settings(home, ranker=False)
    config = RunConfig(dialogues=1, max_turns=1, targets="heldout")
    # nothing trained in this home yet: the ranker shipped for the demo catalog (split seed 0)
    assert (record_learned(on, config).ranker, record_learned(on, config).split_seed) == ("slim", 0)
    _train_popularity(on)
    recorded = record_learned(on, config)
    assert (recorded.ranker, recorded.learned_parser, recorded.split_seed) == ("popularity", True, SPLIT_SEED)
    without = record_learned(off, config)
    assert (without.ranker, without.split_seed) == ("none", SPLIT_SEED)  # the same targets either way
    assert record_learned(on, config.model_copy(update={"agent": "popularity"})).ranker == "none"
    out = tmp_path / "run"
    summary = run_simulation(off, config, out)
    assert (summary.ranker, summary.targets, summary.error_dialogues) == ("none", "heldout", 0)
    with pytest.raises(ConfigError, match="ranker"):
        run_simulation(on, config, out)


@pytest.mark.slow
def test_cli_simulate_heldout_with_and_without_the_ranker(home, run_cli, tmp_path):
    _train_popularity(_settings(home))
    out = tmp_path / "run"
    args = ("--llm-backend", "none", "simulate", "--targets", "heldout", "--dialogues", "3", "--max-turns", "2",
            "--out", str(out), "--no-progress")
    res = run_cli(home, *args, "--no-ranker")
    assert res.returncode == 0, res.stderr
    assert "ranker none" in res.stdout and "heldout targets" in res.stdout and "LLM calls/turn" in res.stdout
    config = json.loads((out / CONFIG).read_text())
    assert (config["ranker"], config["learned_parser"], config["split_seed"]) == ("none", True, SPLIT_SEED)
    summary = json.loads((out / SUMMARY).read_text())
    assert summary["ranker"] == "none" and summary["dialogues"] == 3 and summary["error_dialogues"] == 0
    res = run_cli(home, *args, "--ranker")
    assert res.returncode == 1 and "ranker" in res.stderr and "Traceback" not in res.stderr
    res = run_cli(home, *args, "--ranker", "--out", str(tmp_path / "with"))  # the last --out wins
    assert res.returncode == 0, res.stderr
    assert json.loads((tmp_path / "with" / CONFIG).read_text())["ranker"] == "popularity"
    assert json.loads((tmp_path / "with" / SUMMARY).read_text())["error_dialogues"] == 0
