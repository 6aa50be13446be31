"""BPR matrix factorisation (Rendle et al., 2009) in torch.

score(u, i) = p_u · q_i + b_i. Each epoch visits every training positive (u, i) once in a
seeded random order, pairs it with an item j drawn uniformly among the items u has not
liked, and minimises -log σ(score(u, i) - score(u, j)) + L2 on the rows touched (Adam).

A new user (not in training) is folded in without retraining: their vector is the ridge
least-squares fit that scores their history items 1 and every item ``alpha`` weight towards
0 (the implicit-ALS "recalculate user" step, on the frozen item vectors):
p = (alpha QᵀQ + Q_Hᵀ Q_H + λI)⁻¹ Q_Hᵀ 1.
"""

from __future__ import annotations

import numpy as np
import torch
from pydantic import Field

from recpilot.tools.rankers.base import Ranker, RankerOptions
from recpilot.tools.rankers.data import UserItems
from recpilot.tools.rankers.training import run_epochs


class MFOptions(RankerOptions):
    factors: int = Field(64, ge=1, le=1024)
    lr: float = Field(0.005, gt=0, le=1.0)
    reg: float = Field(1e-4, ge=0, description="L2 on the user, item and bias rows of each batch")
    batch_size: int = Field(2048, ge=1)
    epochs: int = Field(60, ge=1, le=10_000)
    patience: int = Field(5, ge=1, description="epochs without validation gain before stopping")
    fold_in_alpha: float = Field(0.01, ge=0, description="weight of 'every item scores 0' in fold-in")
    fold_in_reg: float = Field(1.0, gt=0)


class BPRModule(torch.nn.Module):
    def __init__(self, n_users: int, n_items: int, factors: int):
        super().__init__()
        self.users = torch.nn.Embedding(n_users, factors)
        self.items = torch.nn.Embedding(n_items, factors)
        self.bias = torch.nn.Embedding(n_items, 1)
        torch.nn.init.normal_(self.users.weight, std=0.1)
        torch.nn.init.normal_(self.items.weight, std=0.1)
        torch.nn.init.zeros_(self.bias.weight)


class MFRanker(Ranker):
    name = "mf"
    Options = MFOptions

    @property
    def uses_users(self) -> bool:
        return True

    def _fit(self, train: UserItems, valid, *, seed, epochs, progress):
        opts = self.options
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        self.module = BPRModule(self.n_users, self.n_items, opts.factors)
        optim = torch.optim.Adam(self.module.parameters(), lr=opts.lr)
        users_all, items_all = train.user_of_each(), train.indices
        known = users_all * self.n_items + items_all  # sorted: CSR order
        n = len(items_all)
        steps = max(1, -(-n // opts.batch_size))

        def epoch_fn(epoch: int, on_step) -> float:
            order = rng.permutation(n)
            neg = rng.integers(0, self.n_items, n)
            clash = _contains(known, users_all[order] * self.n_items + neg)
            neg[clash] = rng.integers(0, self.n_items, int(clash.sum()))  # one redraw: collisions ~1%
            total, self._gram = 0.0, None
            for step in range(steps):
                idx = order[step * opts.batch_size:(step + 1) * opts.batch_size]
                u = torch.from_numpy(users_all[idx])
                i = torch.from_numpy(items_all[idx])
                j = torch.from_numpy(neg[step * opts.batch_size:(step + 1) * opts.batch_size])
                pu, qi, qj = self.module.users(u), self.module.items(i), self.module.items(j)
                bi, bj = self.module.bias(i).squeeze(1), self.module.bias(j).squeeze(1)
                x = (pu * (qi - qj)).sum(1) + bi - bj
                loss = -torch.nn.functional.logsigmoid(x).mean()
                loss = loss + opts.reg * (pu.square().sum() + qi.square().sum() + qj.square().sum()
                                          + bi.square().sum() + bj.square().sum()) / len(idx)
                optim.zero_grad()
                loss.backward()
                optim.step()
                total += loss.item()
                on_step(step + 1, steps, loss.item(), len(idx))
            return total / steps

        report = run_epochs(self, self.module, epoch_fn, train=train, valid=valid,
                            epochs=epochs or opts.epochs, patience=opts.patience, progress=progress)
        self._gram = None
        return report

    @property
    def user_vecs(self) -> torch.Tensor:
        return self.module.users.weight.detach()

    @property
    def item_vecs(self) -> torch.Tensor:
        return self.module.items.weight.detach()

    @property
    def item_bias(self) -> torch.Tensor:
        return self.module.bias.weight.detach().squeeze(1)

    def _user_vectors(self, histories: UserItems, users: np.ndarray) -> torch.Tensor:
        """(n, factors): learned vectors for known users, folded-in ones for the rest."""
        out = torch.zeros(len(users), self.item_vecs.shape[1])
        known = users >= 0
        if known.any():
            out[torch.from_numpy(known)] = self.user_vecs[torch.from_numpy(users[known])]
        new = np.flatnonzero(~known)
        if len(new):
            out[torch.from_numpy(new)] = self.fold_in(histories.take(new) if len(new) < len(users) else histories)
        return out

    def fold_in(self, histories: UserItems) -> torch.Tensor:
        """(n, factors) user vectors for new users from their histories (module docstring)."""
        q = self.item_vecs
        if getattr(self, "_gram", None) is None:
            self._gram = self.options.fold_in_alpha * (q.T @ q)
        d = q.shape[1]
        out = torch.empty(histories.n_users, d)
        for r in range(histories.n_users):
            qh = q[torch.from_numpy(histories.row(r))]
            a = self._gram + qh.T @ qh + self.options.fold_in_reg * torch.eye(d)
            out[r] = torch.linalg.solve(a, qh.sum(0))
        return out

    def _score(self, histories: UserItems, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            p = self._user_vectors(histories, users)
            idx = torch.from_numpy(items)
            return (p @ self.item_vecs[idx].T + self.item_bias[idx]).numpy()

    def _item_similarity(self, items: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        q = torch.nn.functional.normalize(self.item_vecs, dim=1)
        return (q[torch.from_numpy(items)] @ q[torch.from_numpy(candidates)].T).numpy()

    def _state(self) -> dict[str, torch.Tensor]:
        return dict(self.module.state_dict())

    def _set_state(self, state: dict[str, torch.Tensor]) -> None:
        self.module = BPRModule(self.n_users, self.n_items, self.options.factors)
        self.module.load_state_dict(state)
        self.module.eval()
        self._gram = None


def _contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    pos = np.searchsorted(sorted_keys, keys).clip(max=len(sorted_keys) - 1)
    return sorted_keys[pos] == keys if len(sorted_keys) else np.zeros(len(keys), dtype=bool)
