"""Comparing runs: one table over several ``summary.json`` files, and ``compare.html``."""

from __future__ import annotations

import html
import json
from pathlib import Path

from recpilot.errors import UserError
from recpilot.simulator.models import Summary
from recpilot.simulator.report import CSS, success_curve

COLUMNS = [
    ("success_rate", "success"), ("avg_turns", "AT"), ("recall_at_k", "R@k 1-turn"), ("ndcg_at_k", "NDCG@k"),
    ("violation_rate", "violations"), ("stated_violation_rate", "stated viol."),
    ("hallucination_rate", "halluc."), ("leak_rate", "leaks"), ("llm_calls_per_turn", "LLM calls/turn"),
    ("tokens_per_turn", "tokens/turn"), ("latency_ms_p50", "p50 ms"), ("latency_ms_p95", "p95 ms"),
    ("dialogues_per_min", "dial/min"), ("scored_dialogues", "scored"),
]


def load_summaries(dirs: list[Path]) -> dict[str, Summary]:
    """Label -> summary; a label is the directory name (made unique)."""
    out: dict[str, Summary] = {}
    for d in dirs:
        path = d / "summary.json" if d.is_dir() else d
        if not path.exists():
            raise UserError(f"no summary.json in {d}; run `recpilot simulate --out {d}` first")
        try:
            summary = Summary.model_validate(json.loads(path.read_text()))
        except ValueError as exc:
            raise UserError(f"{path} is not a simulation summary: {exc}") from exc
        label = path.parent.name
        while label in out:
            label += "'"
        out[label] = summary
    return out


def metric_rows(summaries: dict[str, Summary]) -> tuple[list[str], list[list[str]]]:
    """One row per metric, one column per run (fits a terminal)."""
    head = ["metric"] + list(summaries)
    rows = [["agent"] + [f"{s.agent} ({s.agent_llm})" for s in summaries.values()],
            ["simulator"] + [s.simulator for s in summaries.values()],
            ["targets"] + [s.targets for s in summaries.values()],
            ["ranker"] + [s.ranker for s in summaries.values()],
            ["learned parser"] + ["on" if s.learned_parser else "off" for s in summaries.values()]]
    rows += [[h] + [_fmt(getattr(s, key)) for s in summaries.values()] for key, h in COLUMNS]
    return head, rows


def render_compare(summaries: dict[str, Summary]) -> str:
    head_cells, rows = metric_rows(summaries)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in head_cells)
    body = "".join("<tr><th>" + html.escape(row[0]) + "</th>"
                   + "".join(f"<td>{html.escape(c)}</td>" for c in row[1:]) + "</tr>" for row in rows)
    curve = success_curve(summaries)
    img = f'<img alt="success by turn" src="data:image/png;base64,{curve}">' if curve else ""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>RecPilot runs compared</title>"
            f"<style>{CSS}</style></head><body><h1>Runs compared</h1><table><tr>{head}</tr>{body}</table>"
            f"{img}</body></html>")


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)
