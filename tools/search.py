"""Semantic retrieval from the vector store, with hard constraints applied exactly."""

from __future__ import annotations

import numpy as np

from recpilot.tools.context import ToolContext
from recpilot.tools.models import ItemHit, SearchArgs, ToolResult
from recpilot.vectorstore import to_where


def search_items(ctx: ToolContext, args: SearchArgs) -> ToolResult:
    """Finds catalog items whose text is semantically close to a query.

    Args:
        query: what to look for, in the user's words (themes, moods, descriptions).
        constraints: hard constraints every returned item satisfies (field, op, value).
        limit: how many candidates to retrieve into the candidate set.
        mode: "replace" the candidate set or "merge" into it.
    """
    catalog = ctx.catalog
    qvec = catalog.embed_query(args.query)
    mask = catalog.mask(args.constraints) if args.constraints else None
    exact = catalog.exact_nearest(qvec, args.limit, np.flatnonzero(mask) if mask is not None else None)
    rows, sims = exact if exact is not None else _ann(ctx, qvec, args, mask)
    for r, s in zip(rows.tolist(), sims.tolist(), strict=True):
        ctx.bus.similarity[r] = float(s)
    ctx.bus.put(rows, "search_items", args.mode)
    hits = [ItemHit(id=catalog.items[r].id, title=catalog.items[r].title, score=round(float(s), 4))
            for r, s in zip(rows[:10].tolist(), sims[:10].tolist(), strict=True)]
    return ToolResult(items=hits, candidates=len(ctx.bus))


def _ann(ctx: ToolContext, qvec: np.ndarray, args: SearchArgs, mask) -> tuple[np.ndarray, np.ndarray]:
    """chromadb query with the constraints as a ``where`` filter, re-checked exactly."""
    catalog = ctx.catalog
    where = to_where([_where(c) for c in args.constraints])
    res = catalog.collection.query(
        query_embeddings=[qvec.tolist()], n_results=min(args.limit, len(catalog)), where=where,
        include=["distances"],
    )
    ids, dists = res["ids"][0], res["distances"][0]
    rows = np.asarray([catalog.index[i] for i in ids if i in catalog.index], dtype=np.int64)
    sims = np.asarray([1.0 - d for i, d in zip(ids, dists, strict=True) if i in catalog.index])
    if mask is not None and len(rows):
        keep = mask[rows]
        rows, sims = rows[keep], sims[keep]
    return rows, sims


def _where(c) -> dict:
    if c.op == "include":
        return {c.field: {"$contains": str(c.value).lower()}}
    if c.op == "exclude":
        return {c.field: {"$not_contains": str(c.value).lower()}}
    return {c.field: {"$gte" if c.op == "gte" else "$lte": float(c.value)}}
