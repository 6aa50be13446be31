"""Ranking the candidate set: preference match x popularity, with a pluggable scorer.

A scorer returns one score per candidate row plus the reasons behind it; the default one
blends semantic closeness to what the user described, matches with their soft likes and
dislikes, closeness to items they named or liked, popularity and rating. A trained ranker
plugs in through the same ``Scorer`` interface.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from recpilot.catalog import audience_words, minmax
from recpilot.tools.context import ToolContext
from recpilot.tools.models import ItemHit, RankArgs, ToolResult


class Scorer(Protocol):
    name: str

    def score(self, ctx: ToolContext, rows: np.ndarray, query: str | None) -> tuple[np.ndarray, list[list[str]]]:
        """Scores for ``rows`` (shape (n,)) and, per row, short human-readable reasons."""
        ...


# A value found only in a field's evidence field counts 0.35 of a main hit. The weaker field holds
# what few readers said: in the demo a genre is weaker when its labels fall under about a third of
# the book's strongest genre's, so about a third of the weight mirrors the evidence. It orders items
# that otherwise tie and lifts a book a reader may still enjoy, yet for the same preference an item
# with the main value always scores higher.
EVIDENCE_WEIGHT = 0.35


def _value_hits(catalog, rows: np.ndarray, field: str, value: str) -> tuple[np.ndarray, np.ndarray]:
    """Per row: 1.0 where ``field`` holds ``value``; and 1.0 where only its evidence field does."""
    main = catalog.categorical.get(field, {}).get(value.lower())
    hit = np.isin(rows, main) if main is not None else np.zeros(len(rows), dtype=bool)
    weaker_field = catalog.schema.evidence.get(field)
    weak = catalog.categorical.get(weaker_field, {}).get(value.lower()) if weaker_field else None
    weaker = np.isin(rows, weak) & ~hit if weak is not None else np.zeros(len(rows), dtype=bool)
    return hit.astype(float), weaker.astype(float)


# An item the user asked for more of ("more like this", "something like X") steers harder than one
# they only liked: while there is such an anchor, liked items count 0.9 of their closeness. Item
# texts are thin (no plot), so books by one author sit very close together, and without this a
# liked book by a prolific author would fill the list and hide what was just asked for.
LIKED_ANCHOR_WEIGHT = 0.9


class PreferenceScorer:
    name = "preference"

    def __init__(self, **weights: float):
        """``weights``: overrides of the catalog schema's ``ranking`` weights (ablations)."""
        self.overrides = weights

    def score(self, ctx: ToolContext, rows: np.ndarray, query: str | None) -> tuple[np.ndarray, list[list[str]]]:
        catalog, state = ctx.catalog, ctx.state
        n = len(rows)
        reasons: list[list[str]] = [[] for _ in range(n)]
        if n == 0:
            return np.zeros(0), reasons
        emb = np.asarray(catalog.embeddings[rows])
        w = {**catalog.schema.ranking.model_dump(exclude={"ranker"}), **self.overrides}

        # closeness to the described wants
        if query:
            qvec = catalog.embed_query(query)
            sim_q = emb @ qvec
        else:
            sim_q = np.array([ctx.bus.similarity.get(int(r), 0.0) for r in rows])
            if not sim_q.any():
                w["query"] = 0.0
        # soft likes and dislikes on categorical values; free-text ones by embedding
        prefs = np.zeros(n)
        text_prefs = [p for p in state.likes + state.dislikes if p.field is None]
        if text_prefs:
            vecs = [catalog.embed_query(p.meaning or p.value) for p in text_prefs]
            for p, v in zip(text_prefs, vecs, strict=True):
                prefs += p.weight * np.clip(emb @ v - 0.2, 0, None)
        for p in state.likes + state.dislikes:
            if p.field is None:
                continue
            hit, weaker = _value_hits(catalog, rows, p.field, p.value)
            prefs += p.weight * (hit + EVIDENCE_WEIGHT * weaker)
            if p.weight > 0:
                for i in np.flatnonzero(hit):
                    reasons[i].append(f"you like {p.value}")
        # closeness to named, liked or (less) read items: their text, and the kinds they are
        anchor_rows, anchor_weight = _anchors(catalog, state)
        anchors = np.zeros(n)
        if len(anchor_rows):
            sims = 0.5 * (emb @ np.asarray(catalog.embeddings[anchor_rows]).T) + 0.5 * _kind_overlap(catalog, rows,
                                                                                                anchor_rows)
            sims *= anchor_weight[None, :]
            best = sims.argmax(axis=1)
            anchors = sims.max(axis=1)
            for i in np.argsort(-anchors)[: min(n, 20)]:
                if anchors[i] > 0.5:
                    reasons[i].append(f"close to {catalog.items[anchor_rows[best[i]]].title}")
        else:
            w["anchors"] = 0.0
        pop = catalog.popularity[rows]
        rating = np.zeros(n)
        if catalog.schema.rating:
            rating = minmax(catalog.numeric[catalog.schema.rating])[rows]
        if state.sort == "popular":
            w["popularity"] += 0.3
        elif state.sort == "obscure":
            w["popularity"] = -0.3
        elif state.sort == "better_rated":
            w["rating"] += 0.3
        order = None  # (values in [0, 1], weight): a sort by a numeric field
        if state.sort == "series_order" and catalog.schema.series_position:
            position = np.nan_to_num(catalog.numeric[catalog.schema.series_position], nan=99.0)
            order = (minmax(position)[rows], -2.0)  # a series from its start: the order decides
        elif state.sort in ("newer", "older") and catalog.schema.year:
            order = (minmax(catalog.numeric[catalog.schema.year])[rows], 0.6 if state.sort == "newer" else -0.6)
        if order is not None:
            w["order"] = order[1]
        total = sum(abs(v) for v in w.values()) or 1.0
        score = (w["query"] * sim_q + w["prefs"] * np.tanh(prefs) + w["anchors"] * anchors
                 + w["popularity"] * pop + w["rating"] * rating)
        if order is not None:
            score += order[1] * order[0]
        score /= total
        _, did = audience_words(catalog)
        popular = f"widely {did}" if did != "tried" else "popular"
        for i in range(n):
            if query and sim_q[i] > 0.45:
                reasons[i].insert(0, "matches what you described")
            if pop[i] > 0.85:
                reasons[i].append(popular)
        return score, reasons


DEFAULT_SCORER = PreferenceScorer()
#: a read item says less about taste than one named as liked or "like X"
READ_ANCHOR = 0.7


def _anchors(catalog, state) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the items to be close to, and how much each counts."""
    weights: dict[str, float] = {}
    explicit = {a.id for a in state.anchors}
    for ref in state.read_items:
        weights[ref.id] = READ_ANCHOR
    for ref in state.liked_items:  # "more like this one" outranks what was liked before it
        weights[ref.id] = 1.0 if ref.id in explicit or not explicit else LIKED_ANCHOR_WEIGHT
    for ref in state.anchors:
        weights[ref.id] = 1.0
    ids = [i for i in weights if catalog.has(i)]
    return catalog.rows(ids), np.asarray([weights[i] for i in ids])


def _kind_overlap(catalog, rows: np.ndarray, anchor_rows: np.ndarray) -> np.ndarray:
    """(len(rows), len(anchor_rows)): Jaccard overlap of the items' kinds (the catalog's kind field:
    a thriller is close to a thriller), 0 where a catalog has no kind field."""
    from recpilot.catalog import kind_field

    out = np.zeros((len(rows), len(anchor_rows)))
    field = kind_field(catalog)
    if field is None:
        return out
    wanted = [set(catalog.items[int(a)].categorical.get(field, [])) for a in anchor_rows]
    for i, row in enumerate(rows.tolist()):
        kinds = set(catalog.items[row].categorical.get(field, []))
        for j, other in enumerate(wanted):
            union = kinds | other
            out[i, j] = len(kinds & other) / len(union) if union else 0.0
    return out


def rank_items(ctx: ToolContext, args: RankArgs) -> ToolResult:
    """Orders the candidate set by how well each item fits the user's preferences.

    Args:
        k: how many top items to return.
        query: optional text the items should be close to (the user's own words).
    """
    scorer = ctx.scorer or DEFAULT_SCORER
    rows = ctx.bus.rows
    scores, reasons = scorer.score(ctx, rows, args.query)
    ctx.bus.scores = {int(r): float(s) for r, s in zip(rows.tolist(), scores.tolist(), strict=True)}
    ctx.bus.reasons = {int(r): rs for r, rs in zip(rows.tolist(), reasons, strict=True)}
    top = ctx.bus.ranked()[: args.k]
    catalog = ctx.catalog
    hits = [ItemHit(id=catalog.items[r].id, title=catalog.items[r].title, score=round(ctx.bus.scores[r], 4),
                    reason="; ".join(ctx.bus.reasons.get(r, [])[:2])) for r in top]
    return ToolResult(items=hits, candidates=len(ctx.bus), note=f"scorer: {scorer.name}")
