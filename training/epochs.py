"""The epoch loop the torch rankers share: progress, validation, early stopping.

A ranker scores with numpy arrays (``tools/rankers``) while torch trains a module: ``publish``
copies the module's weights into the ranker's arrays, before each validation and at the end."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable

import torch

from recpilot.tools.rankers.base import FitReport, ProgressFn, Ranker, TrainProgress
from recpilot.tools.rankers.data import UserItems
from recpilot.tools.rankers.metrics import evaluate

#: epoch_fn(epoch, on_step) -> mean loss; on_step(step, steps, loss, samples) after each batch
StepFn = Callable[[int, int, float, int], None]
EpochFn = Callable[[int, StepFn], float]

#: an epoch only counts as better when validation NDCG@10 gains more than this (on the demo
#: its standard error is about 0.004; smaller gains are noise and not worth more epochs)
MIN_DELTA = 5e-4


def numpy_state(module: torch.nn.Module) -> dict:
    """The module's parameters and buffers as numpy arrays (copies), by their torch names:
    what the run-time models score with."""
    return {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}


def run_epochs(ranker: Ranker, module: torch.nn.Module, epoch_fn: EpochFn, *, train: UserItems,
               valid: UserItems | None, epochs: int, patience: int, publish: Callable[[], None],
               progress: ProgressFn | None = None) -> FitReport:
    """Runs up to ``epochs`` epochs; after each, validation NDCG@10 (``valid`` ranked from
    ``train``); stops after ``patience`` epochs without a gain of ``MIN_DELTA`` and restores
    the best weights. Without ``valid`` it runs every epoch and keeps the last weights."""
    report = FitReport()
    best_state: dict | None = None
    best, bad = float("-inf"), 0
    validate = valid is not None and valid.nnz > 0
    for epoch in range(1, epochs + 1):
        t0, seen, last = time.perf_counter(), 0, (0, 0)

        def on_step(step: int, steps: int, loss: float, samples: int, _epoch: int = epoch,
                    _t0: float = t0) -> None:
            nonlocal seen, last
            seen, last = seen + samples, (step, steps)
            if progress is not None:
                rate = seen / max(time.perf_counter() - _t0, 1e-9)
                progress(TrainProgress(_epoch, epochs, step, steps, loss, rate))

        module.train()
        loss = epoch_fn(epoch, on_step)
        report.losses.append(round(loss, 6))
        report.epochs_run = epoch
        module.eval()
        if not validate:
            continue
        publish()
        score = evaluate(ranker, train, valid, exclude=train)["ndcg@10"]
        report.valid.append(score)
        if progress is not None:
            progress(TrainProgress(epoch, epochs, *last, loss, seen / max(time.perf_counter() - t0, 1e-9), score))
        if score > best + MIN_DELTA:
            best, bad, report.best_epoch = score, 0, epoch
            best_state = copy.deepcopy(module.state_dict())
        else:
            bad += 1
            if bad >= patience:
                report.stopped_early = epoch < epochs
                break
    if best_state is not None:
        module.load_state_dict(best_state)
        report.best_valid = best
    else:
        report.best_epoch = report.epochs_run
    module.eval()
    publish()
    return report
