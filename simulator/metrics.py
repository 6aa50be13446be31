"""Metrics over finished dialogues. Leaked dialogues are counted, never scored.

- success_rate: Hit@k by the last turn; success_by_turn[t-1]: Hit@k by turn t;
- avg_turns (AT@k): the turn of success, failures counted as T+1;
- recall_at_k / ndcg_at_k: one-turn metrics of the first turn's list against the target
  (one relevant item, so Recall@k is a hit and NDCG@k is 1/log2(1 + rank));
- violation_rate: recommended catalog items that break a hard constraint of the agent's own
  state at that turn (an agent without a state is held to the facts the user had stated);
- stated_violation_rate: the same against the facts the user had stated, for every agent;
- hallucination_rate: recommended ids that are not in the catalog;
- llm_calls_per_turn, tokens_per_turn, latency percentiles: over the agent's turns.
"""

from __future__ import annotations

import math

import numpy as np

from recpilot.catalog import Catalog
from recpilot.preferences import Constraint, PreferenceState
from recpilot.simulator.models import DialogueRecord, RunConfig, RunInfo, Summary, TurnLog


def summarize(records: list[DialogueRecord], catalog: Catalog, config: RunConfig,
              runs: list[RunInfo] | None = None) -> Summary:
    T, k = config.max_turns, config.k
    scored = [r for r in records if not r.leaked]
    n = len(scored)
    successes = [r.success_turn for r in scored]
    by_turn = [_mean([s is not None and s <= t for s in successes]) for t in range(1, T + 1)] if n else []
    turns = [s if s is not None else T + 1 for s in successes]
    dist = [sum(1 for s in successes if s == t) for t in range(1, T + 1)] + [sum(1 for s in successes if s is None)]
    first = [first_turn_ranks(r, k) for r in scored]
    all_turns = [t for r in scored for t in r.turns]
    items = violations = stated_violations = hallucinated = total_ids = 0
    for t in all_turns:
        ids = t.reply.item_ids[:k]
        total_ids += len(ids)
        state = own_constraints(t)
        stated = [c for f in t.stated for c in f.constraints()]
        for item_id in ids:
            if not catalog.has(item_id):
                hallucinated += 1
                continue
            item = catalog.get(item_id)
            items += 1
            violations += any(not c.satisfied_by(item) for c in (state if state is not None else stated))
            stated_violations += any(not c.satisfied_by(item) for c in stated)
    latencies = [t.reply.latency_ms for t in all_turns]
    new = sum(r.new_dialogues for r in runs or [])
    wall = sum(r.finished - r.started for r in runs or [])
    last = (runs or [None])[-1]
    return Summary(
        agent=config.agent, agent_llm=config.agent_llm, simulator=config.simulator, targets=config.targets,
        ranker=config.ranker, learned_parser=config.learned_parser, chatter=config.chatter,
        k=k, max_turns=T, dialogues=len(records), scored_dialogues=n, leaked_dialogues=len(records) - n,
        error_dialogues=sum(r.outcome == "error" for r in records),
        success_rate=_mean([s is not None for s in successes]), success_by_turn=by_turn,
        avg_turns=_mean(turns), turns_distribution=dist,
        recall_at_k=_mean([rank is not None for rank in first]),
        ndcg_at_k=_mean([1.0 / math.log2(rank + 1) if rank is not None else 0.0 for rank in first]),
        violation_rate=_ratio(violations, items), stated_violation_rate=_ratio(stated_violations, items),
        hallucination_rate=_ratio(hallucinated, total_ids),
        leak_rate=_ratio(len(records) - n, len(records)) or 0.0,
        llm_calls_per_turn=_mean([t.reply.llm_calls for t in all_turns]),
        parser_llm_calls_per_turn=_mean([t.reply.parser_llm_calls for t in all_turns]),
        distilled_share=_mean([t.reply.used_distilled for t in all_turns]),
        tokens_per_turn=_mean([t.reply.prompt_tokens + t.reply.completion_tokens for t in all_turns]),
        sim_llm_calls_per_turn=_mean([t.sim_llm.calls for t in all_turns]),
        latency_ms_p50=_pct(latencies, 50), latency_ms_p95=_pct(latencies, 95),
        dialogues_per_min=round(new / wall * 60, 2) if wall > 0 and new else None,
        wall_s=round(wall, 2) if runs else None,
        workers=last.workers if last else None, pool=last.pool if last else None,
    )


def first_turn_ranks(record: DialogueRecord, k: int) -> int | None:
    """1-based rank of the target in the first turn's list, or None."""
    if not record.turns:
        return None
    ids = record.turns[0].reply.item_ids[:k]
    return ids.index(record.target_id) + 1 if record.target_id in ids else None


def own_constraints(turn: TurnLog) -> list[Constraint] | None:
    """The hard constraints of the agent's state after this turn, if it reports a state."""
    if turn.reply.state is None:
        return None
    return PreferenceState.model_validate(turn.reply.state).constraints


def _mean(values) -> float | None:
    values = list(values)
    return round(float(np.mean(values)), 4) if values else None


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _pct(values, q) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None
