"""From ratings to the positives rankers learn from, and the seeded per-user holdout split.

Positives policy: a rating of 4 or 5 (of 1–5) is a positive, "this reader liked this book";
ratings of 1–3 are neither positives nor explicit negatives (a 3 is lukewarm, not a
dislike), they are simply left out, like every unrated item. Without ratings (an
interactions file with no rating column, NaN here) every interaction is a positive.
Duplicate (user, item) pairs count once.

Split: per user, a seeded random permutation of their positives puts ``test_frac`` of them
in *test* and ``valid_frac`` in *valid* (at least one each), the rest in *train*. Users with
fewer than ``min_items`` positives keep all of them in train (they are still learned from,
never evaluated). The demo ratings carry no timestamps, so the holdout is random, not
"the last items". Train, valid and test are disjoint and cover every positive.

``UserItems`` is a tiny read-only CSR matrix of shape (n_users, n_items): row ``u`` lists the
item rows user ``u`` liked, sorted. It is numpy only, because scoring one reader's history
runs on every turn and importing scipy costs about 0.3 s a command; training hands it to
scipy.sparse and ``implicit`` as ``to_scipy()``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recpilot.catalog import Interactions

POSITIVE_MIN_RATING = 4.0


@dataclass(frozen=True)
class UserItems:
    """CSR (n_users, n_items): ``indices[indptr[u]:indptr[u + 1]]`` are user ``u``'s items."""

    indptr: np.ndarray  # int64 (n_users + 1,)
    indices: np.ndarray  # int64 (nnz,), sorted within each row
    n_items: int

    @classmethod
    def from_pairs(cls, users: np.ndarray, items: np.ndarray, n_users: int, n_items: int) -> UserItems:
        """From parallel (user, item) arrays; duplicates are dropped."""
        users = np.asarray(users, dtype=np.int64)
        items = np.asarray(items, dtype=np.int64)
        if users.size and (users.min() < 0 or users.max() >= n_users or items.min() < 0 or items.max() >= n_items):
            raise ValueError("user or item index out of range")
        keys = np.unique(users * n_items + items)
        rows, cols = np.divmod(keys, n_items)
        indptr = np.zeros(n_users + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_users), out=indptr[1:])
        return cls(indptr, cols.astype(np.int64), n_items)

    @classmethod
    def from_lists(cls, rows: list, n_items: int) -> UserItems:
        """One history per row, e.g. ``[[3, 17], [], [5]]``."""
        users = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
        items = np.concatenate([np.asarray(r, dtype=np.int64) for r in rows]) if rows else np.zeros(0)
        return cls.from_pairs(users, items, len(rows), n_items)

    @property
    def n_users(self) -> int:
        return len(self.indptr) - 1

    @property
    def shape(self) -> tuple[int, int]:
        return self.n_users, self.n_items

    @property
    def nnz(self) -> int:
        return int(self.indices.shape[0])

    def row(self, user: int) -> np.ndarray:
        return self.indices[self.indptr[user]:self.indptr[user + 1]]

    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    def user_of_each(self) -> np.ndarray:
        """(nnz,) the row of every stored entry."""
        return np.repeat(np.arange(self.n_users), self.lengths())

    def take(self, users: np.ndarray) -> UserItems:
        """The sub-matrix of these rows, in this order."""
        users = np.asarray(users, dtype=np.int64)
        rows = [self.row(u) for u in users]
        return UserItems.from_lists(rows, self.n_items)

    def item_counts(self) -> np.ndarray:
        """(n_items,) how many users have each item."""
        return np.bincount(self.indices, minlength=self.n_items).astype(np.float32)

    def union(self, other: UserItems) -> UserItems:
        if other.shape != self.shape:
            raise ValueError(f"shape mismatch: {self.shape} vs {other.shape}")
        users = np.concatenate([self.user_of_each(), other.user_of_each()])
        return UserItems.from_pairs(users, np.concatenate([self.indices, other.indices]), *self.shape)

    def transpose(self) -> UserItems:
        """(n_items, n_users): which users have each item. (Entries are unique and rows sorted, so
        a stable sort by item is the whole job: users stay in order within each item.)"""
        order = np.argsort(self.indices, kind="stable")
        indptr = np.zeros(self.n_items + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.indices, minlength=self.n_items), out=indptr[1:])
        return UserItems(indptr, self.user_of_each()[order].astype(np.int64), self.n_users)

    def to_scipy(self):
        """The same matrix as a ``scipy.sparse.csr_matrix`` of float32 ones (training only)."""
        import scipy.sparse as sp

        return sp.csr_matrix((np.ones(self.nnz, dtype=np.float32), self.indices, self.indptr), shape=self.shape)

    def dense(self, users: np.ndarray | None = None) -> np.ndarray:
        """float32 (len(users), n_items) 0/1 matrix of these rows (all rows by default)."""
        users = np.arange(self.n_users) if users is None else np.asarray(users, dtype=np.int64)
        out = np.zeros((len(users), self.n_items), dtype=np.float32)
        lengths = self.indptr[users + 1] - self.indptr[users]
        if lengths.sum():
            cols = np.concatenate([self.row(u) for u in users])
            out[np.repeat(np.arange(len(users)), lengths), cols] = 1.0
        return out


def positives(interactions: Interactions, n_items: int, min_rating: float = POSITIVE_MIN_RATING) -> UserItems:
    """(n_users, n_items) positives of every ingested user, by the policy in the module docstring."""
    ratings = interactions.ratings
    keep = np.isnan(ratings) | (ratings >= min_rating)
    return UserItems.from_pairs(interactions.users[keep], interactions.items[keep],
                                len(interactions.user_ids), n_items)


@dataclass(frozen=True)
class Split:
    """Disjoint per-user train / valid / test positives, all (n_users, n_items)."""

    train: UserItems
    valid: UserItems
    test: UserItems
    seed: int
    test_frac: float
    valid_frac: float

    def describe(self) -> dict:
        return {"seed": self.seed, "test_frac": self.test_frac, "valid_frac": self.valid_frac,
                "train": self.train.nnz, "valid": self.valid.nnz, "test": self.test.nnz,
                "users": self.train.n_users, "test_users": int((self.test.lengths() > 0).sum())}


def split_positives(pos: UserItems, seed: int = 0, test_frac: float = 0.2, valid_frac: float = 0.1,
                    min_items: int = 5) -> Split:
    """Seeded per-user holdout of ``pos`` (see the module docstring)."""
    if not (0 < test_frac < 1 and 0 <= valid_frac < 1 and test_frac + valid_frac < 1):
        raise ValueError("need 0 < test_frac, 0 <= valid_frac and test_frac + valid_frac < 1")
    rng = np.random.default_rng(seed)
    users = pos.user_of_each()
    lengths = pos.lengths()
    # rank of each entry in a random order within its user
    order = np.lexsort((rng.random(pos.nnz), users))
    rank = np.empty(pos.nnz, dtype=np.int64)
    rank[order] = np.arange(pos.nnz) - pos.indptr[users[order]]
    n = lengths[users]
    n_test = np.maximum(1, np.round(n * test_frac)).astype(np.int64)
    n_valid = np.where(valid_frac > 0, np.maximum(1, np.round(n * valid_frac)), 0).astype(np.int64)
    eligible = n >= min_items
    is_test = eligible & (rank < n_test)
    is_valid = eligible & ~is_test & (rank < n_test + n_valid)
    is_train = ~is_test & ~is_valid

    def part(mask: np.ndarray) -> UserItems:
        return UserItems.from_pairs(users[mask], pos.indices[mask], *pos.shape)

    return Split(part(is_train), part(is_valid), part(is_test), seed, test_frac, valid_frac)
