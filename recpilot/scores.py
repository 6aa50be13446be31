"""Precision, recall and F1: one definition for every report (ReDial, stance, distilled parser)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel


class PRF(BaseModel):
    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int


def f1(tp: int, fp: int, fn: int) -> float:
    """0 when nothing was found (no true positive), whatever the counts of the rest."""
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def prf(tp: int, fp: int, fn: int) -> PRF:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return PRF(precision=round(p, 4), recall=round(r, 4), f1=round(f1(tp, fp, fn), 4), tp=tp, fp=fp, fn=fn)


def class_prf(gold: Sequence[str], pred: Sequence[str], cls: str) -> PRF:
    """Scores of one class over parallel gold and predicted labels."""
    pairs = list(zip(gold, pred, strict=True))
    tp = sum(g == p == cls for g, p in pairs)
    fp = sum(p == cls != g for g, p in pairs)
    fn = sum(g == cls != p for g, p in pairs)
    return prf(tp, fp, fn)
