"""Item-kNN: "readers who liked X also liked Y", counted, not learned. A strong baseline.

sim(i, j) = |users(i) ∩ users(j)| / (sqrt(|users(i)| |users(j)|) + shrink) (cosine on binary
positives, shrunk towards 0 for rarely liked items); each item keeps its ``neighbours``
most similar items. A user's score for j is the sum of sim(h, j) over the items h in their
history whose neighbour lists contain j.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from recpilot.tools.rankers.base import Ranker, RankerOptions
from recpilot.tools.rankers.data import UserItems


class ItemKNNOptions(RankerOptions):
    neighbours: int = Field(25, ge=1, le=5000, description="similar items kept per item")
    shrink: float = Field(2.0, ge=0.0, description="added to the cosine's denominator")


class ItemKNNRanker(Ranker):
    name = "itemknn"
    Options = ItemKNNOptions

    def _fit(self, train: UserItems, valid, *, seed, epochs, progress) -> None:
        n_items, k = self.n_items, min(self.options.neighbours, max(self.n_items - 1, 1))
        by_item = train.transpose()
        counts = self.item_counts.astype(np.float64)
        norms = np.sqrt(counts)
        neighbours = np.tile(np.arange(n_items, dtype=np.int64)[:, None], (1, k))
        sims = np.zeros((n_items, k), dtype=np.float32)
        for i in range(n_items):
            users = by_item.row(i)
            if len(users) == 0:
                continue
            co = np.bincount(_gather_rows(train, users), minlength=n_items).astype(np.float64)
            co[i] = 0.0
            sim = co / (norms[i] * norms + self.options.shrink + 1e-9)
            top = np.argpartition(-sim, k - 1)[:k] if k < n_items else np.arange(n_items)[:k]
            neighbours[i], sims[i] = top, sim[top]
        self.neighbours, self.sims = neighbours, sims
        return None

    def _score(self, histories: UserItems, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        n, n_items = histories.n_users, self.n_items
        rows = histories.user_of_each()
        cols = self.neighbours[histories.indices]  # (nnz, k)
        flat = (rows[:, None] * n_items + cols).ravel()
        dense = np.bincount(flat, weights=self.sims[histories.indices].ravel(), minlength=n * n_items)
        return dense.reshape(n, n_items)[:, items].astype(np.float32)

    def _item_similarity(self, items: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        dense = np.zeros((len(items), self.n_items), dtype=np.float32)
        np.put_along_axis(dense, self.neighbours[items], self.sims[items], axis=1)
        return dense[:, candidates]

    def _state(self) -> dict[str, np.ndarray]:
        return {"neighbours": self.neighbours, "sims": self.sims}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self.neighbours, self.sims = state["neighbours"].astype(np.int64), state["sims"].astype(np.float32)


def _gather_rows(matrix: UserItems, rows: np.ndarray) -> np.ndarray:
    """The concatenated entries of ``rows`` of a CSR matrix, without a Python loop."""
    starts, ends = matrix.indptr[rows], matrix.indptr[rows + 1]
    lengths = ends - starts
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return matrix.indices[offsets + np.arange(lengths.sum())]
