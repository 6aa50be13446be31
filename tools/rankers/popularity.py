"""Popularity: every user gets the items most users liked. The baseline to beat."""

from __future__ import annotations

import numpy as np

from recpilot.tools.rankers.base import Ranker
from recpilot.tools.rankers.data import UserItems


class PopularityRanker(Ranker):
    """Score = number of training users who liked the item, for everyone."""

    name = "popularity"

    def _fit(self, train: UserItems, valid, *, seed, epochs, progress) -> None:
        return None  # item_counts, set by fit(), is the whole model

    def _score(self, histories: UserItems, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.item_counts[items], (histories.n_users, len(items)))

    def _item_similarity(self, items: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Popularity knows no similarity: the neighbours of any item are the popular ones."""
        return np.broadcast_to(self.item_counts[candidates], (len(items), len(candidates)))

    def _state(self) -> dict[str, np.ndarray]:
        return {}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        return None
