"""The stance reader on human dialogues: a command that prints numbers.

    .venv/bin/python -m benchmarks.stance [--redial FILE] [--folds 5] [--runs 300] [--threads N]

Cross-validates the stance reader on ReDial (nested and grouped by dialogue: the figures are
on held-out dialogues only) against every movie liked, a plain negative-phrase list and
VADER alone, at the example level and at ReDial's dialogue level under three aggregation
policies; then times ``StanceModel.read`` of the shipped model on a message with two
mentions and on a reply (embedding included) and gives the weights' size. Nothing is saved.
The default data is the ReDial dev subset in the project's ``shared/`` folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
_DEFAULT_DATA = [REPO / "shared" / "data" / "redial" / "dev.jsonl", REPO.parent / "shared" / "data" / "redial" / "dev.jsonl"]

TWO_MENTIONS = "I loved The Hunger Games, but the second one, Catching Fire, was way too slow for me."
SPANS = [(TWO_MENTIONS.index(t), TWO_MENTIONS.index(t) + len(t)) for t in ("The Hunger Games", "Catching Fire")]
REPLY = "I haven't seen it yet but it sounds good, I'll check it out!"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--redial", type=Path, default=next((p for p in _DEFAULT_DATA if p.exists()), None))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=300, help="timed reads of each message")
    ap.add_argument("--threads", type=int, default=0, help="onnxruntime threads of the embedder (0: the shared one)")
    args = ap.parse_args()
    if args.redial is None:
        raise SystemExit("no ReDial file found in shared/data/redial/; give --redial FILE")

    from recpilot.agent.stance import SHIPPED, StanceModel
    from recpilot.training.stance import train_stance
    from recpilot.training.stance_report import report_lines

    report = train_stance(args.redial, folds=args.folds, save=False, on_phase=lambda m: print(f"  {m}", flush=True))
    print("\n".join(report_lines(report)))

    model = StanceModel.load()
    embedder = None
    if args.threads:
        from recpilot.embeddings import Embedder

        embedder = Embedder(threads=args.threads)
    print(f"\nshipped weights: {SHIPPED.stat().st_size / 1024:.0f} KB (+ {SHIPPED.with_suffix('.json').stat().st_size / 1024:.0f} KB json); "
          f"{len(model.meta.features)} features")
    for name, text, spans in (("two mentions", TWO_MENTIONS, SPANS), ("a reply", REPLY, [])):
        readings = model.read(text, spans, embedder=embedder)  # warm-up: the embedder and VADER load once
        wall, cpu = [], []
        for _ in range(args.runs):
            t0, c0 = time.perf_counter(), time.process_time()
            model.read(text, spans, embedder=embedder)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)  # all threads: robust to other processes' load
        wall.sort()
        print(f"read, {name}: wall p50 {statistics.median(wall):.1f} ms, p95 {wall[int(0.95 * len(wall)) - 1]:.1f} ms, "
              f"CPU p50 {statistics.median(cpu):.1f} ms ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
              f"embedder threads {args.threads or 'default'}); {[r.label for r in readings]}")


if __name__ == "__main__":
    main()
