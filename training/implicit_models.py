"""Rankers trained by the ``implicit`` library; what they learn is kept as numpy arrays."""

from __future__ import annotations

import time

import numpy as np

from recpilot.tools.rankers.base import FitReport
from recpilot.tools.rankers.data import UserItems


def fit_bpr(ranker, train: UserItems, *, seed: int, iterations: int | None = None) -> FitReport:
    """BPR by ``implicit`` (one thread: the same seed gives the same model). implicit keeps the
    item bias as the last item factor, against a user factor fixed at 1."""
    from implicit.cpu.bpr import BayesianPersonalizedRanking

    opts = ranker.options
    model = BayesianPersonalizedRanking(factors=opts.factors, learning_rate=opts.learning_rate,
                                        regularization=opts.regularization, iterations=iterations or opts.iterations,
                                        random_state=seed, num_threads=1)
    start = time.perf_counter()
    model.fit(train.to_scipy(), show_progress=False)
    users, items = np.asarray(model.user_factors), np.asarray(model.item_factors)
    ranker._set_state({"users.weight": users[:, :-1], "items.weight": items[:, :-1], "bias.weight": items[:, -1:]})
    return FitReport(epochs_run=model.iterations, best_epoch=model.iterations,
                     seconds=round(time.perf_counter() - start, 3))
