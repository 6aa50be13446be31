"""A turn's answer as text, for chat transcripts (web page, OpenAI-compatible endpoint)."""

from __future__ import annotations

from recpilot.agent.steps import TurnResult


def reply_markdown(message: str, items: list[tuple[str, str]], question: str | None) -> str:
    """``message``, then the items as a numbered list of (title, reason), then the question."""
    lines = [message]
    if items:
        lines.append("")
        lines += [f"{i}. **{title}** — {reason}" if reason else f"{i}. **{title}**"
                  for i, (title, reason) in enumerate(items, 1)]
    if question:
        lines += ["", question]
    return "\n".join(lines)


def result_markdown(result: TurnResult) -> str:
    return reply_markdown(result.message, [(i.title, i.reason) for i in result.items], result.question)
