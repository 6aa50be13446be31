"""BPR matrix factorisation (Rendle et al., 2009).

score(u, i) = p_u · q_i + b_i. Each epoch visits every training positive (u, i) once in a
seeded random order, pairs it with an item j drawn uniformly among the items u has not
liked, and minimises -log σ(score(u, i) - score(u, j)) + L2 on the rows touched (Adam; the
torch loop is ``recpilot.training.mf``, scoring here is numpy).

A new user (not in training) is folded in without retraining: their vector is the ridge
least-squares fit that scores their history items 1 and every item ``alpha`` weight towards
0 (the implicit-ALS "recalculate user" step, on the frozen item vectors):
p = (alpha QᵀQ + Q_Hᵀ Q_H + λI)⁻¹ Q_Hᵀ 1.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from recpilot.tools.rankers.base import Ranker, RankerOptions
from recpilot.tools.rankers.data import UserItems


class MFOptions(RankerOptions):
    factors: int = Field(64, ge=1, le=1024)
    lr: float = Field(0.005, gt=0, le=1.0)
    reg: float = Field(1e-4, ge=0, description="L2 on the user, item and bias rows of each batch")
    batch_size: int = Field(2048, ge=1)
    epochs: int = Field(60, ge=1, le=10_000)
    patience: int = Field(5, ge=1, description="epochs without validation gain before stopping")
    fold_in_alpha: float = Field(0.01, ge=0, description="weight of 'every item scores 0' in fold-in")
    fold_in_reg: float = Field(1.0, gt=0)


class MFRanker(Ranker):
    name = "mf"
    Options = MFOptions

    user_vecs: np.ndarray  # (n_users, factors) float32
    item_vecs: np.ndarray  # (n_items, factors) float32
    item_bias: np.ndarray  # (n_items,) float32
    _gram: np.ndarray | None = None

    @property
    def uses_users(self) -> bool:
        return True

    def _fit(self, train: UserItems, valid, *, seed, epochs, progress):
        from recpilot.training.mf import fit_mf

        return fit_mf(self, train, valid, seed=seed, epochs=epochs, progress=progress)

    def _user_vectors(self, histories: UserItems, users: np.ndarray) -> np.ndarray:
        """(n, factors): learned vectors for known users, folded-in ones for the rest."""
        out = np.zeros((len(users), self.item_vecs.shape[1]), dtype=np.float64)
        known = users >= 0
        if known.any():
            out[known] = self.user_vecs[users[known]]
        new = np.flatnonzero(~known)
        if len(new):
            out[new] = self.fold_in(histories.take(new) if len(new) < len(users) else histories)
        return out

    def fold_in(self, histories: UserItems) -> np.ndarray:
        """(n, factors) user vectors for new users from their histories (module docstring)."""
        q = self.item_vecs.astype(np.float64)
        if self._gram is None:
            self._gram = self.options.fold_in_alpha * (q.T @ q)
        d = q.shape[1]
        out = np.empty((histories.n_users, d))
        for r in range(histories.n_users):
            qh = q[histories.row(r)]
            a = self._gram + qh.T @ qh + self.options.fold_in_reg * np.eye(d)
            out[r] = np.linalg.solve(a, qh.sum(0))
        return out

    def _score(self, histories: UserItems, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        p = self._user_vectors(histories, users)
        return (p @ self.item_vecs[items].T + self.item_bias[items]).astype(np.float32)

    def _item_similarity(self, items: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        q = self.item_vecs / np.maximum(np.linalg.norm(self.item_vecs, axis=1, keepdims=True), 1e-12)
        return q[items] @ q[candidates].T

    # the names are torch's (``users.weight`` …): checkpoints saved by torch load unchanged
    def _state(self) -> dict[str, np.ndarray]:
        return {"users.weight": self.user_vecs, "items.weight": self.item_vecs,
                "bias.weight": self.item_bias[:, None]}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self.user_vecs = state["users.weight"].astype(np.float32)
        self.item_vecs = state["items.weight"].astype(np.float32)
        self.item_bias = state["bias.weight"].reshape(-1).astype(np.float32)
        self._gram = None
