"""The candidate bus: the working set of items that tools read and write during one turn.

Tools pass row indices and scores through the bus, never item lists through the LLM.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class CandidateBus:
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: semantic similarity of each candidate row to the current query, when a retrieval ran
    similarity: dict[int, float] = field(default_factory=dict)
    #: final scores and the reasons behind them, written by the ranker
    scores: dict[int, float] = field(default_factory=dict)
    reasons: dict[int, list[str]] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def replace(self, rows: np.ndarray, note: str) -> None:
        self.rows = np.asarray(rows, dtype=np.int64)
        self.history.append(f"{note}: {len(self)}")

    def merge(self, rows: np.ndarray, note: str) -> None:
        """Adds rows not yet present, keeping the current order first."""
        present = set(self.rows.tolist())
        extra = [r for r in np.asarray(rows).tolist() if r not in present]
        self.rows = np.concatenate([self.rows, np.asarray(extra, dtype=np.int64)])
        self.history.append(f"{note}: +{len(extra)} = {len(self)}")

    def put(self, rows: np.ndarray, note: str, mode: str) -> None:
        """``merge`` or ``replace``, as a tool's ``mode`` argument says."""
        (self.merge if mode == "merge" else self.replace)(rows, note)

    def keep(self, mask: np.ndarray, note: str) -> None:
        """``mask`` is over all catalog rows; candidates where it is False are dropped."""
        self.rows = self.rows[mask[self.rows]] if len(self) else self.rows
        self.history.append(f"{note}: {len(self)}")

    def ranked(self) -> list[int]:
        return sorted(self.rows.tolist(), key=lambda r: -self.scores.get(r, 0.0))
