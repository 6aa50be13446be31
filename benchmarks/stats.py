"""The percentile the serving and page benchmarks report: nearest rank, no interpolation (a
latency that some request really took)."""

from __future__ import annotations


def pct(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0–100) of ``values``; NaN when there are none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")
