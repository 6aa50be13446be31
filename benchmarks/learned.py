"""End to end with and without the learned parts: a command that prints numbers (not a test).

    .venv/bin/python -m benchmarks.learned --home DIR [--dialogues 200] [--llm-dialogues 100]
        [--sim-llm-dialogues 50] [--chatter 0.3] [--out runs/learned] [--train]

Simulated readers whose targets are held-out ratings of real goodbooks readers (the trained
ranker's test split), with their other ratings as history (``--targets heldout``), talk to
RecPilot with the trained ranker on or off and the distilled parser on or off. A share of
their messages (``--chatter``) carries a sentence of context the distilled parser never saw.
Three groups, each a ``recpilot simulate`` run per arm, resumable under ``--out``:

- rule simulator, agent without an LLM: the four on/off combinations;
- rule simulator, agent on the embedded model: parser off / on (ranker on), LLM calls/turn;
- LLM simulator (embedded model), agent on the embedded model: parser off / on (ranker on).

``--train`` first trains what ``DIR`` lacks (``recpilot train ranker`` and ``train parser``).
Prints one markdown table and writes it, with every summary, to ``--out/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).with_name("recpilot")
COLUMNS = ("success_rate", "avg_turns", "llm_calls_per_turn", "parser_llm_calls_per_turn", "distilled_share",
           "violation_rate", "hallucination_rate", "dialogues_per_min")


def arms(args) -> list[tuple[str, list[str]]]:
    none = ["--llm-backend", "none"]
    common = ["--targets", "heldout", "--max-turns", "5", "--k", "5", "--seed", str(args.seed),
              "--chatter", str(args.chatter)]
    out = []
    for ranker in (False, True):
        for parser in (False, True):
            name = f"rule-nollm-{'ranker' if ranker else 'noranker'}-{'distilled' if parser else 'rules'}"
            out.append((name, none + ["simulate", "--dialogues", str(args.dialogues), *common,
                                      "--ranker" if ranker else "--no-ranker",
                                      "--learned-parser" if parser else "--no-learned-parser"]))
    for parser in (False, True):
        flag = "--learned-parser" if parser else "--no-learned-parser"
        if args.llm_dialogues:
            out.append((f"rule-llm-ranker-{'distilled' if parser else 'rules'}",
                        ["simulate", "--dialogues", str(args.llm_dialogues), *common, "--ranker", flag]))
        if args.sim_llm_dialogues:
            out.append((f"llmsim-llm-ranker-{'distilled' if parser else 'rules'}",
                        ["simulate", "--simulator", "llm", "--dialogues", str(args.sim_llm_dialogues), *common,
                         "--ranker", flag]))
    return out


def run(home: Path, argv: list[str], out: Path | None = None) -> None:
    env = {**os.environ, "RECPILOT_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    cmd = [str(BIN), *argv] + (["--out", str(out), "--no-progress"] if out is not None else [])
    print("$", " ".join(cmd[1:]), file=sys.stderr, flush=True)
    subprocess.run(cmd, env=env, check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, required=True, help="RECPILOT_HOME with the demo catalog")
    ap.add_argument("--out", type=Path, default=Path("runs/learned"))
    ap.add_argument("--dialogues", type=int, default=200)
    ap.add_argument("--llm-dialogues", type=int, default=100)
    ap.add_argument("--sim-llm-dialogues", type=int, default=50)
    ap.add_argument("--chatter", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train", action="store_true", help="train the ranker and the parser first if missing")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.train:
        models = list((args.home / "models").glob("*/*/"))
        if not any((m / "ACTIVE").exists() for m in models):
            run(args.home, ["--llm-backend", "none", "train", "ranker", "--model", "slim"])
        if not any((m / "parser.json").exists() for m in models):
            run(args.home, ["train", "parser", "--paraphrases", "400"])
    results = {}
    for name, argv in arms(args):
        run(args.home, argv, args.out / name)
        results[name] = json.loads((args.out / name / "summary.json").read_text())
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    print("| run | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for name, s in results.items():
        cells = [f"{s[c]:.3f}" if isinstance(s.get(c), float) else str(s.get(c)) for c in COLUMNS]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
