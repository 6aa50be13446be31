"""Train one ranker on a catalog's ratings, evaluate it against the baselines, save it.

The whole of ``recpilot train ranker`` minus the terminal: positives by the policy in
``data``, one seeded per-user split, the model fitted on train with early stopping on valid,
then every model (the trained one, popularity, item-kNN) ranked from the same train
histories, with train and valid items excluded, and scored on the same held-out test items.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any

from recpilot.catalog import Catalog
from recpilot.errors import UserError
from recpilot.settings import Settings
from recpilot.tools.rankers.base import ProgressFn, Ranker
from recpilot.tools.rankers.checkpoint import catalog_hash, checkpoint_dir, legacy_files
from recpilot.tools.rankers.data import POSITIVE_MIN_RATING, Split, positives, split_positives
from recpilot.tools.rankers.factory import BASELINES, make_ranker
from recpilot.tools.rankers.metrics import evaluate
from recpilot.weights import SUFFIX, atomic_write


def catalog_split(catalog: Catalog, seed: int = 0) -> Split:
    """The seeded split of ``catalog``'s positives (a ``UserError`` when it has no ratings)."""
    inter = catalog.interactions
    if inter is None or inter.count == 0:
        raise UserError(f"catalog {catalog.name!r} has no interactions to train on; "
                        "ingest it with --interactions user,item[,rating] first")
    pos = positives(inter, len(catalog))
    if pos.nnz == 0:
        raise UserError(f"catalog {catalog.name!r} has no positive ratings (>= {POSITIVE_MIN_RATING})")
    return split_positives(pos, seed=seed)


def evaluate_on(ranker: Ranker, split: Split, *, known_users: bool = True) -> dict[str, float]:
    return evaluate(ranker, split.train, split.test, exclude=split.train.union(split.valid),
                    known_users=known_users)


def train_ranker(settings: Settings, catalog: Catalog, model: str = "slim", *, epochs: int | None = None,
                 seed: int = 0, options: dict[str, Any] | None = None, progress: ProgressFn | None = None,
                 on_phase=None, save: bool = True) -> dict[str, Any]:
    """Fits ``model``, evaluates it and the baselines on the same split, saves the checkpoint.

    Returns the report: model, hr@10, ndcg@10, recall@50, baselines {name: metrics},
    train_seconds, and how training went. ``on_phase(str)`` hears what happens next."""
    import torch

    phase = on_phase or (lambda _msg: None)
    split = catalog_split(catalog, seed)
    ranker = make_ranker(model, **(options or {}))
    phase(f"training {model} on {split.train.nnz:,} positives of {split.train.n_users:,} users")
    fit = ranker.fit(split.train, split.valid, seed=seed, epochs=epochs, progress=progress)
    phase(f"evaluating {model}")
    metrics = evaluate_on(ranker, split)
    baselines: dict[str, dict] = {}
    for name in BASELINES:
        if name == model:
            baselines[name] = metrics
            continue
        phase(f"evaluating the {name} baseline")
        base = make_ranker(name)
        t0 = time.perf_counter()
        base.fit(split.train, seed=seed)
        baselines[name] = {**evaluate_on(base, split), "train_seconds": round(time.perf_counter() - t0, 3)}
    report: dict[str, Any] = {
        "model": model, **{k: metrics[k] for k in ("hr@10", "ndcg@10", "recall@50")},
        "users": metrics["users"], "baselines": baselines, "train_seconds": fit.seconds,
        "hr@10_vs_popularity": round(metrics["hr@10"] / max(baselines["popularity"]["hr@10"], 1e-9), 3),
        "epochs_run": fit.epochs_run, "best_epoch": fit.best_epoch, "stopped_early": fit.stopped_early,
        "valid_ndcg@10": fit.best_valid, "losses": fit.losses, "valid_curve": fit.valid, "seed": seed, "options": ranker.options.model_dump(),
        "split": split.describe(), "positives": f"rating >= {POSITIVE_MIN_RATING:g} (all when unrated)",
        "threads": torch.get_num_threads(), "machine": platform.machine(), "torch": torch.__version__,
    }
    if ranker.uses_users:  # how well new users are served from their history alone
        report["fold_in"] = {k: v for k, v in evaluate_on(ranker, split, known_users=False).items() if k != "users"}
    if save:
        path = save_checkpoint(settings, catalog, ranker, {**report, "created": time.time()})
        report["checkpoint"] = str(path)
    return report


def save_checkpoint(settings: Settings, catalog: Catalog, ranker: Ranker, meta: dict,
                    activate: bool = True) -> Path:
    """Writes ``<model>.npz`` and ``<model>.json`` where ``checkpoint.resolve_ranker`` finds
    them; with ``activate`` also points ``ACTIVE`` at it."""
    folder = checkpoint_dir(settings, catalog)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ranker.name}{SUFFIX}"
    ranker.save(path)
    for stale in legacy_files(folder, ranker.name):  # an older .pt of this model would shadow nothing, but confuse
        stale.unlink(missing_ok=True)
    meta = {**meta, "model": ranker.name, "catalog": catalog.name, "catalog_version": catalog.version,
            "content_hash": catalog_hash(settings, catalog), "n_items": ranker.n_items}
    atomic_write(folder / f"{ranker.name}.json", json.dumps(meta, indent=2))
    if activate:
        atomic_write(folder / "ACTIVE", ranker.name)
    return path
