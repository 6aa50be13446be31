"""Ranker benchmarks: a command that prints numbers (not a test).

    .venv/bin/python -m benchmarks.rankers [--models slim mf ...] [--train] [--threads N] [--out FILE]

- score: per ranker, the time to score 1,000 candidates for one reader from their history
  (a real demo reader, about 76 liked books; p50/p95 over repeats), for a known user and a
  new user folded in; the default ``PreferenceScorer`` alone on the same 1,000 candidates
  (the part of the ranking tool's scorer that is not the trained ranker), and
  ``TrainedScorer.score`` (ranker + that preference score + blend + reasons), first call and
  cached, and what it adds to the preference scorer (interleaved runs, median difference).
  Torch models are fitted for one epoch here: scoring cost does not depend on training.
- train (``--train``): the full ``recpilot train ranker`` pipeline per model (fit with early
  stopping, evaluation against the baselines), wall and CPU seconds, and its metrics.

Runs on a temporary RECPILOT_HOME with the demo catalog ingested (about 15 s).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import torch  # noqa: E402

from recpilot.catalog import load_catalog  # noqa: E402
from recpilot.ingest import ingest_demo  # noqa: E402
from recpilot.preferences import ItemRef, PreferenceState  # noqa: E402
from recpilot.settings import LLMSettings, Settings  # noqa: E402
from recpilot.tools.context import ToolContext  # noqa: E402
from recpilot.tools.rank import PreferenceScorer  # noqa: E402
from recpilot.tools.rankers.data import positives  # noqa: E402
from recpilot.tools.rankers.factory import RANKERS, make_ranker  # noqa: E402
from recpilot.tools.rankers.scorer import TrainedScorer  # noqa: E402
from recpilot.training.rankers import train_ranker  # noqa: E402


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(fn, repeats: int) -> dict[str, float]:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": round(statistics.median(times), 3), "p95_ms": round(float(np.percentile(times, 95)), 3)}


def overhead(base, full, repeats: int) -> dict[str, float]:
    """Median of (full - base) over interleaved runs: what ``full`` adds, under the same load."""
    base(), full()
    diffs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        base()
        t1 = time.perf_counter()
        full()
        t2 = time.perf_counter()
        diffs.append(((t2 - t1) - (t1 - t0)) * 1000)
    return {"p50_ms": round(statistics.median(diffs), 3), "p95_ms": round(float(np.percentile(diffs, 95)), 3)}


def bench_score(settings: Settings, names: list[str], repeats: int, seed: int = 0) -> list[dict]:
    catalog = load_catalog(settings)
    pos = positives(catalog.interactions, len(catalog))
    rng = np.random.default_rng(seed)
    reader = int(np.argsort(pos.lengths())[len(pos.lengths()) // 2])  # a median reader
    history = pos.take([reader])
    candidates = np.sort(rng.choice(len(catalog), 1000, replace=False))
    out = []
    for name in names:
        ranker = make_ranker(name)
        ranker.fit(pos, seed=seed, epochs=1)
        row = {"bench": "score", "model": name, "candidates": len(candidates), "history": history.nnz}
        row["known_user"] = timed(lambda r=ranker: r.score(history, candidates, np.array([reader])), repeats)
        row["new_user"] = timed(lambda r=ranker: r.score(history, candidates), repeats)
        scorer = TrainedScorer(ranker, catalog)
        liked = [ItemRef(id=catalog.items[i].id, title=catalog.items[i].title) for i in history.indices[:3]]
        ctx = ToolContext(catalog=catalog, state=PreferenceState(liked_items=liked), user_id="bench-new-reader")

        def first(s=scorer, c=ctx):
            s._cache.clear()
            s.score(c, candidates, None)

        row["preference_only"] = timed(lambda c=ctx: PreferenceScorer().score(c, candidates, None), repeats)
        row["scorer_first_call"] = timed(first, repeats)
        row["scorer_cached"] = timed(lambda s=scorer, c=ctx: s.score(c, candidates, None), repeats)
        row["added_by_trained_scorer"] = overhead(lambda c=ctx: PreferenceScorer().score(c, candidates, None),
                                                  first, repeats)
        print(json.dumps(row), flush=True)
        out.append(row)
    return out


def bench_train(settings: Settings, names: list[str], seed: int = 0) -> list[dict]:
    catalog = load_catalog(settings)
    out = []
    for name in names:
        c0, t0 = cpu_seconds(), time.perf_counter()
        report = train_ranker(settings, catalog, name, seed=seed, save=False)
        row = {"bench": "train", "model": name, "wall_s": round(time.perf_counter() - t0, 1),
               "cpu_s": round(cpu_seconds() - c0, 1), "train_seconds": report["train_seconds"],
               **{k: report[k] for k in ("hr@10", "ndcg@10", "recall@50", "hr@10_vs_popularity", "epochs_run",
                                         "best_epoch", "valid_ndcg@10")},
               "baselines": {b: {k: m[k] for k in ("hr@10", "ndcg@10", "recall@50")}
                             for b, m in report["baselines"].items()}}
        if "fold_in" in report:
            row["fold_in"] = report["fold_in"]
        print(json.dumps(row), flush=True)
        out.append(row)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list(RANKERS), choices=list(RANKERS))
    parser.add_argument("--train", action="store_true", help="also time the full training pipeline")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", help="also write the rows as JSON to this file")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(json.dumps({"threads": torch.get_num_threads(), "cpus": os.cpu_count(),
                      "load_avg": [round(x, 2) for x in os.getloadavg()]}), flush=True)
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=home, llm=LLMSettings(backend="none"))
        ingest_demo(settings)
        rows = bench_score(settings, args.models, args.repeats)
        if args.train:
            rows += bench_train(settings, args.models)
    print(json.dumps({"load_avg_after": [round(x, 2) for x in os.getloadavg()]}), flush=True)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(rows, fh, indent=2)


if __name__ == "__main__":
    main()
