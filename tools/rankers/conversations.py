"""What people name together in conversations: "those who asked about X were offered Y".

Ratings say what one person liked; a recommendation dialogue says more: the films a seeker
named and the ones a human recommender answered with sit in one conversation because one was
offered for the other. An item-kNN (``ItemKNNRanker``) fitted with each conversation as one
"user" whose items are every catalog item named in it learns that, and the ranking tool blends
its score for the items the user liked into the ranking (``ConversationScorer``), with the
share the catalog's ``ranking.conversations`` weight gives.

Conversations come from a ReDial-format file (``recpilot train conversations``); the model is
``conversations.npz`` beside the catalog version's rankers. ``eval redial`` never uses that
file's model on the dialogues it was fitted on: it fits one per fold of the evaluated file on
the other folds (``simulator/redial_replay.conversation_models``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from recpilot.catalog import Catalog
from recpilot.errors import UserError
from recpilot.settings import Settings
from recpilot.tools.context import ToolContext
from recpilot.tools.rankers.checkpoint import catalog_hash, checkpoint_dir, read_model
from recpilot.tools.rankers.data import UserItems
from recpilot.tools.rankers.itemknn import ItemKNNRanker
from recpilot.tools.rankers.scorer import session_rows
from recpilot.weights import atomic_write

NAME = "conversations"


def fit_conversations(catalog: Catalog, conversations: list[list[str]]) -> ItemKNNRanker:
    """An item-kNN over ``conversations`` (each: the item ids named in one dialogue; ids not in
    the catalog are left out)."""
    rows = [sorted(set(catalog.rows([i for i in ids if catalog.has(i)]).tolist())) for ids in conversations]
    rows = [r for r in rows if len(r) >= 2]  # a dialogue naming one item pairs it with nothing
    if not rows:
        raise UserError("no conversation names two catalog items: nothing to learn from")
    model = ItemKNNRanker()
    model.fit(UserItems.from_lists(rows, len(catalog)))
    return model


def save_conversations(settings: Settings, catalog: Catalog, model: ItemKNNRanker, meta: dict) -> Path:
    folder = checkpoint_dir(settings, catalog)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{NAME}.npz"
    model.save(path)
    atomic_write(folder / f"{NAME}.json", json.dumps(
        {**meta, "content_hash": catalog_hash(settings, catalog), "created": time.time()}, indent=2))
    return path


def load_conversations(settings: Settings, catalog: Catalog) -> ItemKNNRanker | None:
    """This catalog version's conversations model, None when none was trained (or it is off)."""
    if not settings.learned.conversations:
        return None
    path = checkpoint_dir(settings, catalog) / f"{NAME}.npz"
    if not path.exists():
        return None
    model, _ = read_model(settings, catalog, path, "conversations model", "recpilot train conversations")
    if not isinstance(model, ItemKNNRanker):
        raise UserError(f"{path} holds a {model.name} model, not a conversations model")
    return model


class ConversationScorer:
    """Implements ``recpilot.tools.rank.Scorer``: ``(1 - weight) × base + weight × conversations``,
    the latter min-max scaled over the candidates not yet seen. Everything else (the trained
    ranker's history and scores, which ``collaborative_items`` asks for) is the base scorer's."""

    def __init__(self, base, model: ItemKNNRanker, catalog: Catalog, *, weight: float | None = None,
                 explain_top: int = 20):
        weight = catalog.schema.ranking.conversations if weight is None else weight
        if not 0.0 <= weight <= 1.0:
            raise UserError("weight must be in [0, 1]")
        if model.n_items != len(catalog):
            raise UserError(f"the conversations model knows {model.n_items} items, the catalog has {len(catalog)}")
        self.base, self.model, self.catalog, self.weight = base, model, catalog, weight
        self.explain_top = explain_top
        self.name = f"{getattr(base, 'name', 'preference')}+{NAME}"

    def __getattr__(self, name):
        if name == "base":  # not set yet (a copy being built): no recursion through it
            raise AttributeError(name)
        return getattr(self.base, name)

    def named_together(self, ctx: ToolContext) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(n_items,) how strongly each item was named together with what the user liked; the rows
        that counted (liked and not rejected); the rows not to offer again (liked or rejected).
        None when they liked nothing yet."""
        liked, rejected = session_rows(ctx, self.catalog)
        history = np.asarray(sorted(liked - rejected), dtype=np.int64)
        if len(history) == 0:
            return None
        full = self.model.score(UserItems.from_lists([history], self.model.n_items))[0].astype(np.float64)
        return full, history, np.asarray(sorted(liked | rejected), dtype=np.int64)

    def score(self, ctx: ToolContext, rows: np.ndarray, query: str | None) -> tuple[np.ndarray, list[list[str]]]:
        score, reasons = self.base.score(ctx, rows, query)
        rows = np.asarray(rows, dtype=np.int64)
        found = self.named_together(ctx) if len(rows) and self.weight > 0.0 else None
        if found is None:
            return score, reasons
        full, history, seen = found
        named = full[rows]
        fresh = ~np.isin(rows, seen)
        lo, hi = (named[fresh].min(), named[fresh].max()) if fresh.any() else (0.0, 0.0)
        scaled = np.clip((named - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.zeros_like(named)
        score = (1.0 - self.weight) * np.asarray(score, dtype=np.float64) + self.weight * scaled
        self._explain(rows, score, scaled, fresh, history, reasons)
        return score, reasons

    def _explain(self, rows, score, scaled, fresh, history, reasons) -> None:
        """"often suggested with X" for the best candidates the conversations back, X the liked
        item whose neighbour list holds the candidate with the highest similarity."""
        neighbours, sims = self.model.neighbours[history], self.model.sims[history]
        for i in np.argsort(-score, kind="stable")[: self.explain_top]:
            if not fresh[i] or scaled[i] < 0.5:
                continue
            hit = np.where(neighbours == rows[i], sims, 0.0).max(axis=1)
            if hit.max() > 0:
                title = self.catalog.items[int(history[int(hit.argmax())])].title
                reasons[i].append(f"often suggested alongside {title}")
