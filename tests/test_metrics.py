"""Metrics on hand-made transcripts whose answers were worked out by hand."""

from __future__ import annotations

import math

import pytest

from recpilot.preferences import Constraint, PreferenceState
from recpilot.simulator.metrics import summarize
from recpilot.simulator.models import (
    Act,
    AgentReply,
    DialogueRecord,
    Fact,
    Persona,
    RunConfig,
    RunInfo,
    TargetProfile,
    TurnLog,
)

PERSONA = Persona(name="T", style="plain", opening="kind", reveal_order=["kind"])
CLASSICS = Fact(role="kind", field="genres", op="include", value="classics")
NINETIES = Fact(role="year", field="year", op="between", value=1990.0, upper=1999.0, style="decade")
TWENTIES = Fact(role="year", field="year", op="between", value=1920.0, upper=1929.0, style="decade")


def state(*constraints: Constraint) -> dict:
    return PreferenceState(constraints=list(constraints)).model_dump(mode="json")


def turn(n, ids, *, st=None, stated=(), latency=10.0, calls=0, prompt=0, completion=0) -> TurnLog:
    reply = AgentReply(item_ids=ids, titles=ids, state=st, latency_ms=latency, llm_calls=calls,
                       prompt_tokens=prompt, completion_tokens=completion)
    return TurnLog(turn=n, user=f"u{n}", act=Act(kind="reject"), reply=reply, stated=list(stated))


def record(rid, target, turns, outcome, success_turn=None, leaked=False) -> DialogueRecord:
    return DialogueRecord(id=rid, seed=rid, simulator="rule", agent="x", target_id=target, target_title="?",
                          profile=TargetProfile(), persona=PERSONA, turns=turns, outcome=outcome,
                          success_turn=success_turn, leaked=leaked)


@pytest.fixture(scope="module")
def known_items(demo_catalog):
    # the facts the expected numbers below rest on
    years = {i: demo_catalog.get(i).numeric["year"] for i in ("1", "2", "4", "5")}
    assert years == {"1": 2008, "2": 1997, "4": 1960, "5": 1925}
    genres = {i: set(demo_catalog.get(i).categorical["genres"]) for i in ("1", "2", "4", "5")}
    assert "young adult" in genres["1"] & genres["2"]
    assert "classics" in genres["4"] & genres["5"] and "classics" not in genres["1"] | genres["2"]
    assert not demo_catalog.has("bogus")
    return demo_catalog


def hand_made() -> list[DialogueRecord]:
    young_adult = Constraint(field="genres", op="include", value="young adult")
    recent = Constraint(field="year", op="gte", value=2000)
    a = record("A", "2", [turn(1, ["1", "2", "bogus"], st=state(young_adult), stated=[NINETIES], latency=10)],
               "success", 1)
    b = record("B", "4", [
        turn(1, ["5", "1", "2"], st=state(recent), stated=[CLASSICS], latency=20, calls=1, prompt=10, completion=5),
        turn(2, ["1"], st=state(recent), stated=[CLASSICS], latency=30, calls=1, prompt=10, completion=5),
        turn(3, ["4"], st=state(), stated=[CLASSICS], latency=40, calls=1, prompt=10, completion=5),
    ], "success", 3)
    c = record("C", "5", [turn(1, ["1"], stated=[TWENTIES], latency=50), turn(2, ["2"], stated=[TWENTIES], latency=60),
                          turn(3, ["4"], stated=[TWENTIES], latency=70)], "failure")
    d = record("D", "1", [turn(1, ["1"], latency=1000, calls=9)], "leaked", 1, leaked=True)
    return [a, b, c, d]


def test_metrics_success_by_turn_and_average_turns(known_items):
    s = summarize(hand_made(), known_items, RunConfig(max_turns=3, k=3))
    assert (s.dialogues, s.scored_dialogues, s.leaked_dialogues) == (4, 3, 1)
    assert s.success_rate == pytest.approx(2 / 3, abs=1e-4)
    assert s.success_by_turn == pytest.approx([1 / 3, 1 / 3, 2 / 3], abs=1e-4)
    assert s.avg_turns == pytest.approx((1 + 3 + 4) / 3, abs=1e-4)  # the failure counts as T+1
    assert s.turns_distribution == [1, 0, 1, 1]
    assert s.leak_rate == 0.25


def test_metrics_one_turn_recall_and_ndcg(known_items):
    s = summarize(hand_made(), known_items, RunConfig(max_turns=3, k=3))
    assert s.recall_at_k == pytest.approx(1 / 3, abs=1e-4)  # only A has the target in its first list
    assert s.ndcg_at_k == pytest.approx((1 / math.log2(3)) / 3, abs=1e-4)  # at rank 2


def test_metrics_violation_and_hallucination_rates(known_items):
    s = summarize(hand_made(), known_items, RunConfig(max_turns=3, k=3))
    # 11 ids in scored turns, one of them not in the catalog
    assert s.hallucination_rate == pytest.approx(1 / 11, abs=1e-4)
    # own state: A 0/2, B 2/3 + 0/1 + 0/1, C (no state: the stated 1920s) 3/3 -> 5/10
    assert s.violation_rate == pytest.approx(0.5)
    # stated facts: A 1/2 (2008 is not the 90s), B 2/3 + 1/1 + 0/1 (not classics), C 3/3 -> 7/10
    assert s.stated_violation_rate == pytest.approx(0.7)


def test_metrics_usage_latency_and_throughput(known_items):
    runs = [RunInfo(started=100.0, finished=160.0, new_dialogues=3, workers=1, pool="inline"),
            RunInfo(started=200.0, finished=230.0, new_dialogues=1, workers=2, pool="process")]
    s = summarize(hand_made(), known_items, RunConfig(max_turns=3, k=3), runs)
    assert s.llm_calls_per_turn == pytest.approx(3 / 7, abs=1e-4)  # the leaked dialogue is not counted
    assert s.tokens_per_turn == pytest.approx(45 / 7, abs=1e-4)
    assert s.latency_ms_p50 == 40.0
    assert s.latency_ms_p95 == pytest.approx(67.0)
    assert s.dialogues_per_min == pytest.approx(4 / 90 * 60, abs=0.01)
    assert (s.workers, s.pool) == (2, "process")


def test_metrics_count_errors_as_failures_and_handle_nothing(known_items):
    err = record("E", "1", [], "error")
    s = summarize([err], known_items, RunConfig(max_turns=2, k=3))
    assert (s.error_dialogues, s.success_rate, s.avg_turns) == (1, 0.0, 3.0)
    assert s.hallucination_rate is None and s.latency_ms_p50 is None
    empty = summarize([], known_items, RunConfig(max_turns=2, k=3))
    assert empty.success_rate is None and empty.success_by_turn == [] and empty.leak_rate == 0.0
