"""Recall of the user's long-term memory (past sessions' preferences and feedback)."""

from __future__ import annotations

from recpilot.memory.longterm import MemoryEntry
from recpilot.tools.context import ToolContext
from recpilot.tools.models import RecallArgs


def recall_memory(ctx: ToolContext, args: RecallArgs) -> list[MemoryEntry]:
    """Recalls what this user said or chose in earlier sessions; never another user's memory.

    Args:
        query: optional text to rank memories by relevance; without it, the newest come first.
        limit: the most memories returned.
    """
    if ctx.memory is None or not ctx.user_id:
        return []
    return ctx.memory.recall(ctx.user_id, ctx.catalog.name, args.query, args.limit, exclude_session=ctx.session_id)
