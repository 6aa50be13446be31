"""``report.html``: one self-contained page per run (plots embedded as base64 PNG).

A table of the metrics, the success-by-turn curve, the distribution of turns to success,
a latency histogram and two example transcripts (the quickest success, the worst failure).
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from recpilot.simulator.models import DialogueRecord, Summary

CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}.plots img{max-width:32%;margin-right:1%}.u{color:#1a4d8f}.a{color:#444}
.hit{background:#d8f5d0;font-weight:bold}.dlg{border:1px solid #ddd;padding:.5em 1em;margin:1em 0}
.state{color:#777;font-size:.85em}code{font-size:.85em}"""

LABELS = [
    ("success_rate", "success rate (Hit@k by turn T)"), ("avg_turns", "avg turns (AT@k, failures = T+1)"),
    ("recall_at_k", "one-turn Recall@k"), ("ndcg_at_k", "one-turn NDCG@k"),
    ("violation_rate", "constraint-violation rate (agent's state)"),
    ("stated_violation_rate", "violation rate (user's stated facts)"), ("hallucination_rate", "hallucinated-item rate"),
    ("leak_rate", "leak rate"), ("llm_calls_per_turn", "LLM calls / turn"), ("tokens_per_turn", "tokens / turn"),
    ("sim_llm_calls_per_turn", "simulator LLM calls / turn"), ("latency_ms_p50", "latency p50 (ms)"),
    ("latency_ms_p95", "latency p95 (ms)"), ("dialogues_per_min", "dialogues / min"),
    ("dialogues", "dialogues"), ("scored_dialogues", "scored dialogues"), ("leaked_dialogues", "leaked"),
    ("error_dialogues", "errors"),
]


def write_report(path: Path, summary: Summary, records: list[DialogueRecord]) -> None:
    path.write_text(render_report(summary, records), encoding="utf-8")


def render_report(summary: Summary, records: list[DialogueRecord]) -> str:
    title = f"RecPilot simulation — {summary.agent} ({summary.agent_llm}), {summary.simulator} simulator"
    rows = "".join(f"<tr><th>{html.escape(label)}</th><td>{_fmt(getattr(summary, key))}</td></tr>"
                   for key, label in LABELS)
    plots = [success_curve({summary.agent: summary}), turns_plot(summary), latency_plot(records)]
    imgs = "".join(f'<img alt="plot" src="data:image/png;base64,{p}">' for p in plots if p)
    examples = pick_examples(records)
    body = "".join(f"<h3>{html.escape(name)}</h3>{transcript(r)}" for name, r in examples) or "<p>(none)</p>"
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<p>k = {summary.k}, T = {summary.max_turns}, targets: {html.escape(summary.targets)}; "
            f"ranker: {html.escape(summary.ranker)}, learned parser: {'on' if summary.learned_parser else 'off'}; "
            f"pool: {html.escape(str(summary.pool))}, workers: {summary.workers}</p>"
            f"<table>{rows}</table><div class='plots'>{imgs}</div><h2>Example dialogues</h2>{body}</body></html>")


def pick_examples(records: list[DialogueRecord]) -> list[tuple[str, DialogueRecord]]:
    scored = [r for r in records if not r.leaked]
    out = []
    wins = [r for r in scored if r.success_turn is not None]
    if wins:
        out.append(("Best: the quickest success", min(wins, key=lambda r: (r.success_turn, r.id))))
    losses = [r for r in scored if r.success_turn is None]
    if losses:
        out.append(("Worst: a failure (most turns)", max(losses, key=lambda r: (len(r.turns), r.id))))
    leaked = [r for r in records if r.leaked]
    if leaked:
        out.append(("Leaked (not scored)", leaked[0]))
    return out


def transcript(r: DialogueRecord) -> str:
    p = r.profile
    head = (f"<p><b>{html.escape(r.id)}</b> — target <code>{html.escape(r.target_id)}</code> "
            f"{html.escape(r.target_title)} (hidden from the simulator; it knew: {html.escape(p.summary)}); "
            f"persona: {html.escape(r.persona.description)}; outcome: <b>{r.outcome}</b>"
            f"{f' at turn {r.success_turn}' if r.success_turn else ''}</p>")
    lines = []
    for t in r.turns:
        lines.append(f"<div class='u'>user ({t.act.kind}): {html.escape(t.user)}</div>")
        items = "".join(f"<li class='{'hit' if i == r.target_id else ''}'>{html.escape(title)} "
                        f"<code>{html.escape(i)}</code></li>" for i, title in zip(t.reply.item_ids, t.reply.titles, strict=False))
        q = f"<div class='a'>question: {html.escape(t.reply.question)}</div>" if t.reply.question else ""
        state = ""
        if t.reply.state is not None:
            cons = "; ".join(f"{c['field']} {c['op']} {c['value']}" for c in t.reply.state.get("constraints", []))
            state = f"<div class='state'>state: {html.escape(cons or '(no constraints)')}</div>"
        lines.append(f"<div class='a'>agent: {html.escape(t.reply.text)}</div><ol>{items}</ol>{q}{state}")
    if r.closing:
        lines.append(f"<div class='u'>user: {html.escape(r.closing)}</div>")
    if r.error:
        lines.append(f"<pre>{html.escape(r.error)}</pre>")
    return f"<div class='dlg'>{head}{''.join(lines)}</div>"


def success_curve(summaries: dict[str, Summary]) -> str | None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    for label, s in summaries.items():
        if s.success_by_turn:
            ax.plot(range(1, len(s.success_by_turn) + 1), s.success_by_turn, marker="o", label=label)
    ax.set(xlabel="turn", ylabel="Hit@k by turn", ylim=(0, 1.02), title="success by turn")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return _png(fig)


def turns_plot(summary: Summary) -> str | None:
    if not summary.turns_distribution:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    labels = [str(t) for t in range(1, summary.max_turns + 1)] + ["fail"]
    ax.bar(labels, summary.turns_distribution, color=["#4c9a2a"] * summary.max_turns + ["#b33"])
    ax.set(xlabel="turn of success", ylabel="dialogues", title="turns to success (AT distribution)")
    return _png(fig)


def latency_plot(records: list[DialogueRecord]) -> str | None:
    values = [t.reply.latency_ms for r in records for t in r.turns]
    if not values:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    ax.hist(values, bins=30, color="#3b6ea5")
    ax.set(xlabel="agent latency per turn (ms)", ylabel="turns", title="latency")
    return _png(fig)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=90)
    _plt().close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return html.escape(str(value))
