"""The one small interface every ranker implements (after implicit's ``RecommenderBase``).

Shapes: ``n_items`` is the number of catalog rows, item ids are catalog row indices. A
user is described by a *history*, a row of a ``UserItems`` (n, n_items) CSR matrix of the
items they liked, and optionally by ``users`` (n,), their training-row index, or -1 for a
user the model never saw. Models with learned user vectors (BPR-MF) use them for known users
and fold the history in for new ones; history-based models (item-kNN, Mult-VAE) need only
the history. A row with no history and no known user gets the fallback: training
popularity. Scores are float32; higher is better.

A subclass sets ``name`` and ``Options`` (pydantic, bounded, ``extra="forbid"``) and
implements ``_fit``, ``_score``, ``_item_similarity``, ``_state`` and ``_set_state``; the
base class does fallbacks, top-k, seen-item filtering, saving and loading.

Scoring, saving and loading are numpy only: a command that uses a trained ranker never
imports torch. The models that learn by gradient descent do it in ``recpilot.training``,
which their ``_fit`` imports, and keep numpy arrays of what they learned.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict

from recpilot.errors import UserError
from recpilot.tools.rankers.data import UserItems
from recpilot.weights import WeightsError, load_weights, save_weights

#: 2: an .npz of numpy arrays (``recpilot.weights``); 1: torch.save of tensors, still read
FORMAT = 2
_READABLE = (1, 2)
_REGISTRY: dict[str, type[Ranker]] = {}


class RankerOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass
class TrainProgress:
    """One step of training, for a progress bar."""

    epoch: int  # 1-based
    epochs: int
    step: int  # 1-based within the epoch
    steps: int
    loss: float
    samples_per_s: float
    valid: float | None = None  # validation NDCG@10, on the last step of an epoch


ProgressFn = Callable[[TrainProgress], None]


@dataclass
class FitReport:
    epochs_run: int = 0
    best_epoch: int = 0
    best_valid: float | None = None  # validation NDCG@10 of the kept weights
    stopped_early: bool = False
    seconds: float = 0.0
    losses: list[float] = field(default_factory=list)
    valid: list[float] = field(default_factory=list)


class Ranker(ABC):
    name: ClassVar[str]
    Options: ClassVar[type[RankerOptions]] = RankerOptions

    def __init__(self, **options: Any):
        self.options = self.Options(**options)
        self.n_items = 0
        self.n_users = 0
        self.item_counts = np.zeros(0, dtype=np.float32)  # (n_items,) training positives per item

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            _REGISTRY[cls.name] = cls

    # --- training --------------------------------------------------------------------------
    def fit(self, train: UserItems, valid: UserItems | None = None, *, seed: int = 0,
            epochs: int | None = None, progress: ProgressFn | None = None) -> FitReport:
        """Learns from ``train`` (n_users, n_items) positives; iterative models stop early on
        ``valid`` (same shape: held-out positives of the same users) and keep their best
        weights. Same data and seed: same model."""
        start = time.perf_counter()
        self.n_users, self.n_items = train.shape
        self.item_counts = train.item_counts()
        report = self._fit(train, valid, seed=seed, epochs=epochs, progress=progress) or FitReport()
        report.seconds = round(time.perf_counter() - start, 3)
        return report

    # --- scoring ---------------------------------------------------------------------------
    def score(self, histories: UserItems, items: np.ndarray | None = None,
              users: np.ndarray | None = None) -> np.ndarray:
        """(n, len(items)) scores of ``items`` (default: all n_items) for each history row.

        ``users`` (n,): training-row index per row, -1 (or out of range) for a new user;
        None: all new."""
        self._check_fitted()
        n = histories.n_users
        if histories.n_items != self.n_items:
            raise UserError(f"histories have {histories.n_items} items, the model {self.n_items}")
        items = np.arange(self.n_items) if items is None else np.asarray(items, dtype=np.int64)
        users = np.full(n, -1, dtype=np.int64) if users is None else np.asarray(users, dtype=np.int64)
        users = np.where((users >= 0) & (users < self.n_users), users, -1)
        out = np.empty((n, len(items)), dtype=np.float32)
        known = (histories.lengths() > 0) | (users >= 0) if self.uses_users else histories.lengths() > 0
        out[~known] = self.item_counts[items]
        if known.any():
            rows = np.flatnonzero(known)
            sub = histories if known.all() else histories.take(rows)
            out[rows] = self._score(sub, users[rows], items)
        return out

    def recommend(self, histories: UserItems, k: int = 10, *, items: np.ndarray | None = None,
                  users: np.ndarray | None = None, filter_seen: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` item rows and scores per history row, each (n, k), best first; with
        ``filter_seen`` a row's own history is never recommended. Slots that nothing can
        fill (k larger than what is left) hold -1 and -inf."""
        candidates = np.arange(self.n_items) if items is None else np.asarray(items, dtype=np.int64)
        scores = self.score(histories, candidates, users)
        if filter_seen:
            for i in range(histories.n_users):
                scores[i, np.isin(candidates, histories.row(i))] = -np.inf
        return _topk(scores, candidates, k)

    def similar_items(self, items: np.ndarray, k: int = 10, *,
                      candidates: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` items (rows, (n, k)) most similar to each of ``items`` (n,), with their
        similarities (n, k); an item is never its own neighbour."""
        self._check_fitted()
        items = np.asarray(items, dtype=np.int64).reshape(-1)
        candidates = np.arange(self.n_items) if candidates is None else np.asarray(candidates, dtype=np.int64)
        sims = np.array(self._item_similarity(items, candidates), dtype=np.float32, copy=True)
        sims[items[:, None] == candidates[None, :]] = -np.inf
        return _topk(sims, candidates, k)

    @property
    def uses_users(self) -> bool:
        """Whether the model has learned per-user parameters (then ``users`` matters)."""
        return False

    # --- persistence -----------------------------------------------------------------------
    def save(self, path: Path | str) -> None:
        """One ``.npz`` file: the model's name, options and shapes, and its arrays."""
        self._check_fitted()
        header = {"format": FORMAT, "ranker": self.name, "options": self.options.model_dump(),
                  "n_users": self.n_users, "n_items": self.n_items}
        arrays = {"item_counts": self.item_counts, **{f"state/{k}": v for k, v in self._state().items()}}
        save_weights(Path(path), header, arrays)

    @classmethod
    def load(cls, path: Path | str) -> Ranker:
        """The ranker saved at ``path`` (or a legacy ``.pt``); called on ``Ranker`` it returns
        whichever kind it is."""
        from recpilot.tools.rankers import factory  # noqa: F401  (registers the built-in rankers)

        try:
            header, arrays = load_weights(Path(path))
        except WeightsError as exc:
            raise UserError(str(exc)) from exc
        if header.get("format") not in _READABLE:
            raise UserError(f"{path}: unsupported ranker checkpoint format {header.get('format')!r}")
        klass = _REGISTRY.get(header.get("ranker"))
        if klass is None or not issubclass(klass, cls):
            raise UserError(f"{path} holds a {header.get('ranker')!r} ranker, not a {cls.__name__}")
        ranker = klass(**header["options"])
        ranker.n_users, ranker.n_items = int(header["n_users"]), int(header["n_items"])
        ranker.item_counts = arrays["item_counts"].astype(np.float32)
        ranker._set_state({k.removeprefix("state/"): v for k, v in arrays.items() if k.startswith("state/")})
        return ranker

    # --- for subclasses --------------------------------------------------------------------
    @abstractmethod
    def _fit(self, train: UserItems, valid: UserItems | None, *, seed: int, epochs: int | None,
             progress: ProgressFn | None) -> FitReport | None: ...

    @abstractmethod
    def _score(self, histories: UserItems, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """(n, len(items)) for rows that have a history or a known user."""

    @abstractmethod
    def _item_similarity(self, items: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """(len(items), len(candidates)) similarities."""

    @abstractmethod
    def _state(self) -> dict[str, np.ndarray]: ...

    @abstractmethod
    def _set_state(self, state: dict[str, np.ndarray]) -> None: ...

    def _check_fitted(self) -> None:
        if self.n_items == 0:
            raise UserError(f"the {self.name} ranker is not fitted yet")


def registered() -> dict[str, type[Ranker]]:
    return dict(_REGISTRY)


def _topk(scores: np.ndarray, candidates: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Best ``k`` per row, ties broken deterministically; -1 / -inf where nothing is left."""
    n, m = scores.shape
    k_eff = min(k, m)
    if 0 < k_eff < m:
        part = np.argpartition(-scores, k_eff - 1, axis=1)[:, :k_eff]
    else:
        part = np.broadcast_to(np.arange(k_eff), (n, k_eff))
    part_scores = np.take_along_axis(scores, part, 1)
    top = np.take_along_axis(part, np.lexsort((candidates[part], -part_scores), axis=1), 1)
    vals = np.take_along_axis(scores, top, 1).astype(np.float32)
    rows = np.where(np.isfinite(vals), candidates[top], -1)
    if k_eff < k:
        rows = np.pad(rows, ((0, 0), (0, k - k_eff)), constant_values=-1)
        vals = np.pad(vals, ((0, 0), (0, k - k_eff)), constant_values=-np.inf)
    return rows, vals
