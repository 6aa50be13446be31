"""Candidates from ratings: what people who liked what this user liked also liked."""

from __future__ import annotations

import numpy as np

from recpilot.tools.context import ToolContext
from recpilot.tools.models import CollaborativeArgs, ItemHit, ToolResult


def collaborative_items(ctx: ToolContext, args: CollaborativeArgs) -> ToolResult:
    """Finds the items that people who liked the same items as this user also liked: the trained
    ranker scores the whole catalog from the items the user liked, named as liked or chose.

    Args:
        limit: how many of the ranker's best items join the candidate set.
        mode: "merge" into the candidate set or "replace" it.
    """
    # search and similar_items find items by their text; this is the only source that reaches
    # items whose text says nothing of the user's words, which is what ratings know best
    scorer = ctx.scorer
    if scorer is None or not hasattr(scorer, "user_scores"):
        return ToolResult(candidates=len(ctx.bus), note="no trained ranker")
    user, history, seen = scorer.history(ctx)
    full = scorer.user_scores(user, history)
    if full is None:
        return ToolResult(candidates=len(ctx.bus), note="no liked items to start from")
    scores = np.array(full, dtype=np.float64, copy=True)
    scores[seen] = -np.inf
    limit = min(args.limit, int(np.isfinite(scores).sum()))
    rows = np.argpartition(-scores, limit - 1)[:limit] if 0 < limit < len(scores) else np.arange(limit)
    rows = rows[np.argsort(-scores[rows], kind="stable")]
    ctx.bus.put(rows, "collaborative_items", args.mode)
    catalog = ctx.catalog
    hits = [ItemHit(id=catalog.items[r].id, title=catalog.items[r].title, score=round(float(scores[r]), 4))
            for r in rows[:10].tolist()]
    return ToolResult(items=hits, candidates=len(ctx.bus))
