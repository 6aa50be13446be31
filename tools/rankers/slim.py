"""A sparse linear item-item model (SLIM with a k-nearest-neighbour support).

score(u, j) = b_j + Σ_{h in history(u)} W[h, j], where W[h, ·] is non-zero only on the
``neighbours`` items most co-liked with h (the support of item-kNN, as in fsSLIM, Ning &
Karypis 2011) and W[h, h] is 0. W starts at the item-kNN cosine and is then *learned*,
like a denoising autoencoder (as in Mult-DAE, Liang et al. 2018, and EASE, Steck 2019, but
sparse): each user's history, with a random ``dropout`` share of it hidden, must predict
the whole history under a multinomial likelihood (softmax over all items). Weight decay
keeps W near zero where the data says little. (The training loop is torch, in
``recpilot.training.slim``; scoring here is numpy.)

Why this model: it keeps what makes item-kNN strong on 2.7k users (sparse, exact
co-occurrence structure: series, authors), but learns how much each neighbour matters and
corrects for popularity, instead of counting. It needs no order (the demo ratings have no
timestamps), and scores a new user straight from the items they liked (fold-in is free:
there are no user parameters). On the demo's validation split it beat item-kNN, BPR-MF and
a Mult-VAE we tried (see ``recpilot train ranker`` for the numbers).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from recpilot.tools.rankers.base import Ranker, RankerOptions
from recpilot.tools.rankers.data import UserItems


class SlimOptions(RankerOptions):
    neighbours: int = Field(25, ge=1, le=5000, description="support of each item's row of W")
    dropout: float = Field(0.25, ge=0.0, lt=1.0, description="share of the history hidden while training")
    lr: float = Field(0.03, gt=0, le=10.0)
    weight_decay: float = Field(1e-6, ge=0)
    batch_size: int = Field(256, ge=1)
    epochs: int = Field(40, ge=1, le=10_000)
    patience: int = Field(4, ge=1)


class SlimRanker(Ranker):
    name = "slim"
    Options = SlimOptions

    neighbours: np.ndarray  # (n_items, k) int64: the support of each row of W
    weight: np.ndarray  # (n_items, k) float32: W on that support
    bias: np.ndarray  # (n_items,) float32

    def _fit(self, train: UserItems, valid, *, seed, epochs, progress):
        from recpilot.training.slim import fit_slim

        return fit_slim(self, train, valid, seed=seed, epochs=epochs, progress=progress)

    def _score(self, histories: UserItems, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        n, n_items = histories.n_users, self.n_items
        rows = histories.user_of_each()
        flat = (rows[:, None] * n_items + self.neighbours[histories.indices]).ravel()
        dense = np.bincount(flat, weights=self.weight[histories.indices].ravel(), minlength=n * n_items)
        return (dense.reshape(n, n_items)[:, items] + self.bias[items]).astype(np.float32)

    def _item_similarity(self, items: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        dense = np.zeros((len(items), self.n_items), dtype=np.float32)
        np.put_along_axis(dense, self.neighbours[items], self.weight[items], axis=1)
        return dense[:, candidates]

    def _state(self) -> dict[str, np.ndarray]:
        return {"neighbours": self.neighbours, "weight": self.weight, "bias": self.bias}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self.neighbours = state["neighbours"].astype(np.int64)
        self.weight = state["weight"].astype(np.float32)
        self.bias = state["bias"].astype(np.float32)
