"""Training ``SlimRanker`` (``recpilot.tools.rankers.slim``, where the model is described) with torch."""

from __future__ import annotations

import numpy as np
import torch

from recpilot.tools.rankers.data import UserItems
from recpilot.tools.rankers.itemknn import ItemKNNRanker
from recpilot.tools.rankers.slim import SlimRanker
from recpilot.training.epochs import numpy_state, run_epochs


class SlimModule(torch.nn.Module):
    def __init__(self, neighbours: torch.Tensor, init: torch.Tensor):
        super().__init__()
        self.register_buffer("neighbours", neighbours)  # (n_items, k) int64
        self.weight = torch.nn.Parameter(init.clone())  # (n_items, k)
        self.bias = torch.nn.Parameter(torch.zeros(neighbours.shape[0]))

    def forward(self, rows: torch.Tensor, items: torch.Tensor, n_rows: int,
                gain: torch.Tensor | None = None) -> torch.Tensor:
        """(n_rows, n_items) scores from history entries (row of each, item of each)."""
        n_items, k = self.neighbours.shape
        contrib = self.weight[items]  # (nnz, k)
        if gain is not None:
            contrib = contrib * gain[:, None]
        flat = (rows[:, None] * n_items + self.neighbours[items]).reshape(-1)
        out = torch.zeros(n_rows * n_items, dtype=contrib.dtype).index_add(0, flat, contrib.reshape(-1))
        return out.view(n_rows, n_items) + self.bias


def fit_slim(ranker: SlimRanker, train: UserItems, valid: UserItems | None, *, seed: int, epochs: int | None,
             progress=None):
    opts = ranker.options
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    knn = ItemKNNRanker(neighbours=opts.neighbours, shrink=0.0)
    knn.fit(train)
    module = SlimModule(torch.from_numpy(knn.neighbours), torch.from_numpy(knn.sims))
    optim = torch.optim.Adam(module.parameters(), lr=opts.lr, weight_decay=opts.weight_decay)
    users = np.flatnonzero(train.lengths() > 0)
    steps = max(1, -(-len(users) // opts.batch_size))

    def epoch_fn(epoch: int, on_step) -> float:
        order = rng.permutation(users)
        total = 0.0
        for step in range(steps):
            batch = train.take(order[step * opts.batch_size:(step + 1) * opts.batch_size])
            rows = torch.from_numpy(batch.user_of_each())
            items = torch.from_numpy(batch.indices)
            keep = (torch.rand(len(items), generator=gen) >= opts.dropout).float()
            logits = module(rows, items, batch.n_users, gain=keep)
            loss = -(torch.log_softmax(logits, 1) * torch.from_numpy(batch.dense())).sum(1).mean()
            optim.zero_grad()
            loss.backward()
            optim.step()
            total += loss.item()
            on_step(step + 1, steps, loss.item(), batch.n_users)
        return total / steps

    def publish() -> None:
        ranker._set_state(numpy_state(module))

    return run_epochs(ranker, module, epoch_fn, train=train, valid=valid, epochs=epochs or opts.epochs,
                      patience=opts.patience, publish=publish, progress=progress)
