"""Top-k ranking metrics over held-out positives: HR@10, NDCG@10, Recall@50.

For each evaluated user (one with at least one held-out item) the ranker orders every item
that is not excluded (the user's known positives: their train and valid items), and:

- HR@k: 1 if any held-out item is in the top k, else 0;
- NDCG@k: DCG of the top k (gain 1 per held-out item, discount log2(rank + 1)) divided by
  the best possible DCG for that user, min(#held-out, k) hits at the top;
- Recall@k: held-out items in the top k / min(#held-out, k) (so a perfect ranking scores 1).

Each is averaged over evaluated users.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from recpilot.tools.rankers.data import UserItems

if TYPE_CHECKING:
    from recpilot.tools.rankers.base import Ranker

METRICS = ("hr@10", "ndcg@10", "recall@50")


def topk_metrics(top: np.ndarray, relevant: np.ndarray) -> dict[str, np.ndarray]:
    """Per-user metrics from ``top`` (n, >=50) ranked item rows and a 0/1 ``relevant`` (n, n_items)."""
    relevant = np.asarray(relevant)
    hits = np.take_along_axis(relevant, np.asarray(top, dtype=np.int64), 1)  # (n, K)
    n_rel = relevant.sum(1)
    discount = 1.0 / np.log2(np.arange(2, 12))
    dcg = (hits[:, :10] * discount[: hits[:, :10].shape[1]]).sum(1)
    idcg = np.cumsum(discount)[np.clip(np.minimum(n_rel, 10).astype(int) - 1, 0, 9)]
    return {
        "hr@10": (hits[:, :10].sum(1) > 0).astype(np.float64),
        "ndcg@10": dcg / idcg,
        "recall@50": hits[:, :50].sum(1) / np.clip(np.minimum(n_rel, 50), 1, None),
    }


def evaluate(ranker: Ranker, history: UserItems, heldout: UserItems, exclude: UserItems | None = None,
             *, known_users: bool = True, batch: int = 1024, max_users: int | None = None,
             seed: int = 0) -> dict[str, float]:
    """Mean HR@10, NDCG@10 and Recall@50 of ``ranker`` on ``heldout``.

    Args:
        history: (n_users, n_items) what the ranker knows of each user (its input).
        heldout: (n_users, n_items) the items to find.
        exclude: (n_users, n_items) items never ranked (default: ``history``).
        known_users: pass each user's index (learned user vectors are used); False treats
            every user as new, so user-embedding models fold the history in instead.
        max_users: evaluate a seeded random sample of at most this many users.
    """
    exclude = history if exclude is None else exclude
    users = np.flatnonzero(heldout.lengths() > 0)
    if max_users is not None and len(users) > max_users:
        users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
    sums = dict.fromkeys(METRICS, 0.0)
    for start in range(0, len(users), batch):
        chunk = users[start:start + batch]
        scores = np.array(ranker.score(history.take(chunk), users=chunk if known_users else None),
                          dtype=np.float32, copy=True)
        scores[exclude.dense(chunk) > 0] = -np.inf
        top = _top(scores, min(50, scores.shape[1]))
        for name, values in topk_metrics(top, heldout.dense(chunk)).items():
            sums[name] += float(values.sum())
    n = max(len(users), 1)
    return {**{name: round(total / n, 5) for name, total in sums.items()}, "users": int(len(users))}


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """(n, k) column indices of each row's k best scores, best first (ties: lower index first)."""
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < scores.shape[1] else \
        np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    vals = np.take_along_axis(scores, part, 1)
    return np.take_along_axis(part, np.lexsort((part, -vals), axis=1), 1)
