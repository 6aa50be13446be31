"""``TrainedScorer``: the ranking tool's ``Scorer`` with a trained ranker blended in.

For the session's reader it builds one history: their ingested positives when the session's
user id is a user of the catalog's interactions, plus the items liked, accepted or named as
"like X" in this session (and, through the turn loop, in long-term memory), plus the history
the caller gave for this user (``Session.history``: items liked in another system), minus the
items rejected. The trained ranker scores the candidates from that history (a new reader is folded
in: no retraining), the scores are min-max scaled over the candidates, and the result is
``weight`` (default: the catalog schema's ``ranking.ranker``) × that + (1 - ``weight``) ×
the preference scorer's score. Books the reader
already rated sink to the bottom. The best candidates get a reason naming the liked book
most specifically co-liked with them in the ratings (shared readers / sqrt(readers of X), at
least ``min_support`` shared readers): "readers who liked X also liked this".

With no history at all the preference scorer's result is returned unchanged.
"""

from __future__ import annotations

import threading
import warnings
from collections import OrderedDict
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from recpilot.catalog import Catalog, audience_words
from recpilot.errors import UserError
from recpilot.settings import Settings
from recpilot.tools.context import ToolContext
from recpilot.tools.rank import PreferenceScorer
from recpilot.tools.rankers.checkpoint import load_checkpoint
from recpilot.tools.rankers.data import UserItems, positives

if TYPE_CHECKING:
    from recpilot.tools.rankers.base import Ranker

NO_RANKER_NOTE = "no trained ranker: using preference × popularity"
SEEN_PENALTY = 1.0  # blended scores live in about [-0.3, 1]: this puts read books last


class TrainedScorer:
    """Implements ``recpilot.tools.rank.Scorer``."""

    def __init__(self, ranker: Ranker, catalog: Catalog, meta: dict | None = None, *, weight: float | None = None,
                 base=None, explain_top: int = 20, min_support: int = 2, cache_size: int = 256):
        weight = catalog.schema.ranking.ranker if weight is None else weight
        if not 0.0 <= weight <= 1.0:
            raise UserError("weight must be in [0, 1]")
        if ranker.n_items != len(catalog):
            raise UserError(f"the ranker knows {ranker.n_items} items, the catalog has {len(catalog)}")
        self.ranker, self.catalog, self.meta = ranker, catalog, meta or {}
        self.name = f"{ranker.name}+preference"
        self.weight, self.base = weight, base or PreferenceScorer()
        self.explain_top, self.min_support = explain_top, min_support
        self._cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    # --- the ingested ratings (built on first use: a turn with no history needs none of them) ---
    @cached_property
    def known(self) -> UserItems:
        """(n_users, n_items) what each ingested user liked."""
        inter = self.catalog.interactions
        return positives(inter, len(self.catalog)) if inter is not None and inter.count else \
            UserItems.from_lists([], len(self.catalog))

    @cached_property
    def rated(self) -> UserItems:
        """(n_users, n_items) what each ingested user rated at all."""
        inter = self.catalog.interactions
        if inter is None or not inter.count:
            return UserItems.from_lists([], len(self.catalog))
        return UserItems.from_pairs(inter.users, inter.items, len(inter.user_ids), len(self.catalog))

    @cached_property
    def user_index(self) -> dict[str, int]:
        inter = self.catalog.interactions
        return {uid: i for i, uid in enumerate(inter.user_ids)} if inter is not None and inter.count else {}

    @cached_property
    def readers(self) -> UserItems:
        """(n_items, n_users): who liked each item."""
        return self.known.transpose()

    # --- the reader --------------------------------------------------------------------------
    def history(self, ctx: ToolContext) -> tuple[int, np.ndarray, np.ndarray]:
        """(user row or -1, liked item rows, rows already read: rated before, in the given history or liked now)."""
        user = self.user_index.get(ctx.user_id, -1) if ctx.user_id is not None else -1
        liked, rejected = session_rows(ctx, self.catalog)
        ingested = set(self.known.row(user).tolist()) if user >= 0 else set()
        history = np.asarray(sorted((ingested | liked) - rejected), dtype=np.int64)
        read = set(self.rated.row(user).tolist()) if user >= 0 else set()
        seen = np.asarray(sorted(read | liked), dtype=np.int64)
        # the learned user vector only describes the ingested history; anything else folds in
        if liked - ingested or rejected & ingested:
            user = -1
        return user, history, seen

    def user_scores(self, user: int, history: np.ndarray) -> np.ndarray | None:
        """(n_items,) the ranker's scores for this reader (cached), None without any history."""
        if len(history) == 0 and user < 0:
            return None
        key = (user, history.tobytes())
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        scores = self.ranker.score(UserItems.from_lists([history], self.ranker.n_items),
                                   users=np.asarray([user]))[0]
        with self._lock:
            self._cache[key] = scores
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return scores

    # --- the Scorer protocol -------------------------------------------------------------------
    def score(self, ctx: ToolContext, rows: np.ndarray, query: str | None) -> tuple[np.ndarray, list[list[str]]]:
        base, reasons = self.base.score(ctx, rows, query)
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) == 0:
            return base, reasons
        user, history, seen = self.history(ctx)
        full = self.user_scores(user, history)
        if full is None:
            return base, reasons
        is_seen = np.isin(rows, seen)
        cf = full[rows].astype(np.float64)
        fresh = cf[~is_seen]
        lo, hi = (fresh.min(), fresh.max()) if fresh.size else (0.0, 0.0)
        cf = np.clip((cf - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.zeros_like(cf)
        score = (1.0 - self.weight) * np.asarray(base, dtype=np.float64) + self.weight * cf
        score[is_seen] -= SEEN_PENALTY
        self._explain(rows, score, cf, is_seen, history, reasons)
        return score, reasons

    def _explain(self, rows: np.ndarray, score: np.ndarray, cf: np.ndarray, is_seen: np.ndarray,
                 history: np.ndarray, reasons: list[list[str]]) -> None:
        """Adds "readers who liked X also liked this" to the best candidates the ranker backs."""
        people, did = audience_words(self.catalog)
        for i in np.flatnonzero(is_seen):
            reasons[i].insert(0, f"you have {did} this already")
        history = history[self.readers.lengths()[history] > 0] if len(history) else history
        if len(history) == 0:
            return
        top = [i for i in np.argsort(-score, kind="stable")[: self.explain_top] if not is_seen[i] and cf[i] >= 0.5]
        if not top:
            return
        co = self.co_likes(history, rows[top])  # (len(top), len(history))
        # the liked book most *specifically* co-liked (cosine-like: a classic everyone read
        # co-occurs with everything), among those with at least min_support shared readers
        affinity = np.where(co >= self.min_support, co / np.sqrt(self.readers.lengths()[history]), -1.0)
        for slot, i in enumerate(top):
            best = int(np.argmax(affinity[slot]))
            if affinity[slot, best] > 0:
                title = self.catalog.items[int(history[best])].title
                reasons[i].insert(0, f"{people} who liked {title} also liked this")
            else:
                reasons[i].append("fits what you liked before")

    def co_likes(self, history: np.ndarray, items: np.ndarray) -> np.ndarray:
        """(len(items), len(history)): how many readers liked both (from the ingested ratings)."""
        n_users = self.known.n_users
        masks = np.zeros((len(items), n_users), dtype=np.int32)
        for slot, item in enumerate(items):
            masks[slot, self.readers.row(int(item))] = 1
        lengths = self.readers.lengths()[history]
        starts = self.readers.indptr[history]
        offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
        users = self.readers.indices[offsets + np.arange(lengths.sum())]
        bounds = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        return np.add.reduceat(masks[:, users], bounds, axis=1)  # every history item has readers


def session_rows(ctx: ToolContext, catalog: Catalog) -> tuple[set[int], set[int]]:
    """(rows the user liked, rows they rejected) in this session and the history given for them:
    liked, accepted, named as "like X", or read (read without a verdict still says something
    about taste: people mostly finish what they chose)."""
    state = ctx.state
    session = [r.id for r in state.liked_items + state.anchors + state.read_items] + list(ctx.history)
    if state.accepted_item is not None:
        session.append(state.accepted_item.id)
    liked = set(catalog.rows(session).tolist())
    rejected = set(catalog.rows([r.id for r in state.rejected_items]).tolist())
    return liked, rejected


def load_scorer(settings: Settings, catalog: Catalog, **kwargs):
    """The active trained ranker for this catalog version as a scorer (the one trained in HOME,
    else the one shipped for the demo catalog's content: ``checkpoint.resolve_ranker``), or
    None when there is none or ``settings.learned.ranker`` switches it off (the caller falls back to the preference
    scorer and says so: ``NO_RANKER_NOTE``). An unreadable or mismatched checkpoint also gives
    None, with a warning."""
    scorer = _trained(settings, catalog, **kwargs)
    from recpilot.tools.rankers.conversations import ConversationScorer, load_conversations

    try:
        model = load_conversations(settings, catalog)
    except UserError as exc:
        warnings.warn(f"ignoring the conversations model: {exc}", stacklevel=2)
        model = None
    if model is None:
        return scorer
    return ConversationScorer(scorer if scorer is not None else kwargs.get("base") or PreferenceScorer(), model,
                              catalog)


def _trained(settings: Settings, catalog: Catalog, **kwargs) -> TrainedScorer | None:
    if not settings.learned.ranker:
        return None
    try:
        found = load_checkpoint(settings, catalog)
    except UserError as exc:
        warnings.warn(f"ignoring the trained ranker: {exc}", stacklevel=2)
        return None
    if found is None:
        return None
    ranker, meta = found
    return TrainedScorer(ranker, catalog, meta, **kwargs)
