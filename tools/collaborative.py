"""Candidates from ratings and dialogues: what people who liked what this user liked also liked,
and what people named together with it."""

from __future__ import annotations

import numpy as np

from recpilot.tools.context import ToolContext
from recpilot.tools.models import CollaborativeArgs, ItemHit, ToolResult


def collaborative_items(ctx: ToolContext, args: CollaborativeArgs) -> ToolResult:
    """Finds the items that people who liked the same items as this user also liked: the trained
    ranker scores the whole catalog from the items the user liked, named as liked or chose; with
    a conversations model, the items people named together with those in dialogues join too.

    Args:
        limit: how many of the ranker's best items join the candidate set (and up to half as many
            named together with the user's items in dialogues).
        mode: "merge" into the candidate set or "replace" it.
    """
    # search and similar_items find items by their text; this is the only source that reaches
    # items whose text says nothing of the user's words, which is what ratings know best
    scorer = ctx.scorer
    picked: list[np.ndarray] = []
    first = None  # the scores the hits report
    if scorer is not None and hasattr(scorer, "user_scores"):
        user, history, seen = scorer.history(ctx)
        full = scorer.user_scores(user, history)
        if full is not None:
            picked.append(_best(full, seen, args.limit))
            first = full
    # items people named together with the user's in dialogues (a conversations model): up to
    # half as many, and only those named with them at all
    together = getattr(scorer, "named_together", None)
    found = together(ctx) if together is not None else None
    if found is not None:
        named, _, seen = found
        rows = _best(named, seen, max(1, args.limit // 2))
        picked.append(rows[named[rows] > 0])
        first = named if first is None else first
    if first is None:
        note = "no trained ranker" if scorer is None or not hasattr(scorer, "user_scores") else \
            "no liked items to start from"
        return ToolResult(candidates=len(ctx.bus), note=note)
    rows = np.concatenate(picked)
    rows = rows[np.sort(np.unique(rows, return_index=True)[1])]
    ctx.bus.put(rows, "collaborative_items", args.mode)
    catalog = ctx.catalog
    hits = [ItemHit(id=catalog.items[r].id, title=catalog.items[r].title, score=round(float(first[r]), 4))
            for r in rows[:10].tolist()]
    return ToolResult(items=hits, candidates=len(ctx.bus))


def _best(full: np.ndarray, seen: np.ndarray, limit: int) -> np.ndarray:
    """The ``limit`` best-scored rows not in ``seen``, best first."""
    scores = np.array(full, dtype=np.float64, copy=True)
    scores[seen] = -np.inf
    limit = min(limit, int(np.isfinite(scores).sum()))
    rows = np.argpartition(-scores, limit - 1)[:limit] if 0 < limit < len(scores) else np.arange(limit)
    return rows[np.argsort(-scores[rows], kind="stable")]
