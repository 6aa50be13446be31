"""Items similar to a given item, by embedding similarity (exact on small catalogs, else the
vector store's index: ``Catalog.exact_nearest``)."""

from __future__ import annotations

import numpy as np

from recpilot.errors import UnknownItem
from recpilot.tools.context import ToolContext
from recpilot.tools.models import ItemHit, SimilarArgs, ToolResult


def similar_items(ctx: ToolContext, args: SimilarArgs) -> ToolResult:
    """Finds the items most similar to one catalog item (the item itself excluded).

    Args:
        item_id: a catalog item id.
        limit: how many similar items to return.
        mode: "merge" into the candidate set or "replace" it.
    """
    catalog = ctx.catalog
    if not catalog.has(args.item_id):
        raise UnknownItem(args.item_id)
    row = catalog.index[args.item_id]
    vec = np.asarray(catalog.embeddings[row])
    exact = catalog.exact_nearest(vec, args.limit + 1)
    if exact is not None:
        pairs = [(int(r), float(s)) for r, s in zip(*exact, strict=True) if r != row][: args.limit]
    else:
        res = catalog.collection.query(query_embeddings=[vec.tolist()], n_results=min(args.limit + 1, len(catalog)),
                                       include=["distances"])
        pairs = [(catalog.index[i], 1.0 - d) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)
                 if i in catalog.index and i != args.item_id][: args.limit]
    rows = np.asarray([p[0] for p in pairs], dtype=np.int64)
    ctx.bus.put(rows, f"similar_items({args.item_id})", args.mode)
    hits = [ItemHit(id=catalog.items[r].id, title=catalog.items[r].title, score=round(float(s), 4)) for r, s in pairs[:10]]
    return ToolResult(items=hits, candidates=len(ctx.bus))
