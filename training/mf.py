"""Training ``MFRanker`` (BPR; ``recpilot.tools.rankers.mf`` describes the model) with torch."""

from __future__ import annotations

import numpy as np
import torch

from recpilot.tools.rankers.data import UserItems
from recpilot.tools.rankers.mf import MFRanker
from recpilot.training.epochs import numpy_state, run_epochs


class BPRModule(torch.nn.Module):
    def __init__(self, n_users: int, n_items: int, factors: int):
        super().__init__()
        self.users = torch.nn.Embedding(n_users, factors)
        self.items = torch.nn.Embedding(n_items, factors)
        self.bias = torch.nn.Embedding(n_items, 1)
        torch.nn.init.normal_(self.users.weight, std=0.1)
        torch.nn.init.normal_(self.items.weight, std=0.1)
        torch.nn.init.zeros_(self.bias.weight)


def fit_mf(ranker: MFRanker, train: UserItems, valid: UserItems | None, *, seed: int, epochs: int | None,
           progress=None):
    opts = ranker.options
    n_items = ranker.n_items
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    module = BPRModule(ranker.n_users, n_items, opts.factors)
    optim = torch.optim.Adam(module.parameters(), lr=opts.lr)
    users_all, items_all = train.user_of_each(), train.indices
    known = users_all * n_items + items_all  # sorted: CSR order
    n = len(items_all)
    steps = max(1, -(-n // opts.batch_size))

    def epoch_fn(epoch: int, on_step) -> float:
        order = rng.permutation(n)
        neg = rng.integers(0, n_items, n)
        clash = _contains(known, users_all[order] * n_items + neg)
        neg[clash] = rng.integers(0, n_items, int(clash.sum()))  # one redraw: collisions ~1%
        total = 0.0
        for step in range(steps):
            idx = order[step * opts.batch_size:(step + 1) * opts.batch_size]
            u = torch.from_numpy(users_all[idx])
            i = torch.from_numpy(items_all[idx])
            j = torch.from_numpy(neg[step * opts.batch_size:(step + 1) * opts.batch_size])
            pu, qi, qj = module.users(u), module.items(i), module.items(j)
            bi, bj = module.bias(i).squeeze(1), module.bias(j).squeeze(1)
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

    def publish() -> None:
        ranker._set_state(numpy_state(module))

    return run_epochs(ranker, module, epoch_fn, train=train, valid=valid, epochs=epochs or opts.epochs,
                      patience=opts.patience, publish=publish, progress=progress)


def _contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    pos = np.searchsorted(sorted_keys, keys).clip(max=len(sorted_keys) - 1)
    return sorted_keys[pos] == keys if len(sorted_keys) else np.zeros(len(keys), dtype=bool)
