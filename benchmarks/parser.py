"""The distilled parser against the LLM it stands in for: a command that prints numbers.

    .venv/bin/python -m benchmarks.parser --home DIR [--n 200] [--catalog demo]

Takes the held-out messages of the corpus ``recpilot train parser`` saved in ``DIR`` (for the
parser shipped with the demo catalog: its held-out messages, generated again) on which
the rules would call the LLM, and reads each one three ways: rules alone, rules + distilled
parser (as deployed: used when sure, else the rules' reading), rules + the configured LLM
(``RECPILOT_LLM__*``; the embedded SmolLM2 by default). Prints per-slot scores in the
corpus' label space and the time per message of each.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--catalog", default="demo")
    ap.add_argument("--n", type=int, default=200, help="held-out messages the rules would send to the LLM")
    args = ap.parse_args()

    from recpilot.agent.distilled import checkpoint_paths, load_distilled
    from recpilot.agent.parse_labels import rule_label
    from recpilot.agent.parser import Parser
    from recpilot.agent.rules import ParseContext
    from recpilot.ingest import ensure_catalog
    from recpilot.llm.base import build_chat_model
    from recpilot.settings import Settings
    from recpilot.training import corpus
    from recpilot.training.distillation import slot_scores

    settings = Settings(home=args.home, catalog=args.catalog)
    catalog = ensure_catalog(settings)
    distilled = load_distilled(settings, catalog)
    if distilled is None:
        raise SystemExit(f"no distilled parser in {args.home}: run `recpilot train parser` first")
    llm = build_chat_model(settings.llm)
    path, _ = checkpoint_paths(settings, catalog)
    saved = path.with_name("parser-corpus.jsonl")
    if saved.exists():
        held = [e for e in corpus.load(saved) if e.part == "heldout"]
    else:  # the shipped parser: its held-out examples again (same seed; it was trained without paraphrases)
        meta = distilled.meta
        held = corpus.generate(catalog, int(meta.get("heldout_examples", 2000)), int(meta.get("seed", 0)), "heldout")
    plain = Parser(catalog, None)
    chosen = [e for e in held if plain.rules.parse(e.text, ParseContext(last_shown=e.shown)).needs_llm][: args.n]
    ways = {"rules": Parser(catalog, None), "rules+distilled": Parser(catalog, None, distilled=distilled)}
    if llm is not None:
        ways["rules+llm"] = Parser(catalog, llm)
    out: dict = {"messages": len(chosen), "llm": getattr(llm, "name", "none")}
    for name, parser in ways.items():
        preds, ms, calls = [], [], 0
        for e in chosen:
            ctx = ParseContext(last_shown=e.shown)
            t0 = time.perf_counter()
            result = parser.parse(e.text, ctx)
            ms.append((time.perf_counter() - t0) * 1000)
            calls += len(result.calls)
            rule = parser.rules.parse(e.text, ctx)  # for the leftover words
            label = rule_label(result.update, rule, distilled.kind_field)
            if result.used_distilled:
                label.residual = distilled.read_one(catalog, e.text, rule, bool(e.shown)).label.residual
            preds.append(label)
        out[name] = {**slot_scores([e.label for e in chosen], preds), "ms_p50": round(statistics.median(ms), 1),
                     "ms_mean": round(statistics.fmean(ms), 1), "llm_calls": calls}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
