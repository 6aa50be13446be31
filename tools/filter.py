"""Exact filtering by hard constraints and ids, over the candidates or the whole catalog."""

from __future__ import annotations

import numpy as np

from recpilot.tools.context import ToolContext
from recpilot.tools.models import FilterArgs, ItemHit, ToolResult


def filter_items(ctx: ToolContext, args: FilterArgs) -> ToolResult:
    """Keeps only items that satisfy every hard constraint.

    Args:
        constraints: hard constraints (categorical include/exclude, numeric gte/lte).
        exclude_ids: item ids that must not appear (rejected or already shown).
        include_ids: if given, keep only these ids.
        scope: "candidates" filters the current candidate set; "catalog" selects from the
            whole catalog, most popular first.
        limit: the most items kept when scope is "catalog".
        mode: with scope "catalog", "replace" the candidate set or "merge" into it.
    """
    catalog = ctx.catalog
    mask = catalog.mask([catalog.checked(c) for c in args.constraints])  # InvalidConstraint says why
    if args.exclude_ids:
        mask[catalog.rows(args.exclude_ids)] = False
    if args.include_ids is not None:
        only = np.zeros_like(mask)
        only[catalog.rows(args.include_ids)] = True
        mask &= only
    if args.scope == "catalog":
        rows = np.flatnonzero(mask)
        rows = rows[np.argsort(-catalog.popularity[rows], kind="stable")][: args.limit]
        ctx.bus.put(rows, "filter_items(catalog)", args.mode)
    else:
        ctx.bus.keep(mask, "filter_items")
    hits = [ItemHit(id=catalog.items[r].id, title=catalog.items[r].title) for r in ctx.bus.rows[:10].tolist()]
    return ToolResult(items=hits, candidates=len(ctx.bus), note=f"{int(mask.sum())} catalog items pass")
