"""Mention linking on human-written sentences: precision, recall and traps.

    .venv/bin/python -m benchmarks.mentions [--home DIR] [--gold tests/data/mentions.yaml]

Scores ``recpilot.agent.mentions.link_mentions`` on the demo catalog against the hand-labelled
sentences of ``tests/data/mentions.yaml`` (titles, series and people as people write them, and
traps such as "what should I read next?"). Without ``--home`` the demo catalog is ingested into a
temporary home first (about 10 s, from the vectors that ship with it).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, help="RECPILOT_HOME holding the demo catalog (default: a fresh one)")
    ap.add_argument("--gold", type=Path, default=Path(__file__).parent.parent / "tests/data/mentions.yaml")
    args = ap.parse_args()

    from recpilot.agent.mentions import link_mentions
    from recpilot.ingest import ensure_catalog
    from recpilot.settings import LLMSettings, Settings
    from recpilot.simulator.mention_eval import load_gold, score

    home = args.home or Path(tempfile.mkdtemp(prefix="recpilot-mentions-"))
    catalog = ensure_catalog(Settings(home=home, llm=LLMSettings(backend="none")), print)
    gold = load_gold(args.gold)
    start = time.perf_counter()
    result = score(gold, lambda text: link_mentions(catalog, text))
    took = time.perf_counter() - start
    print(result.report())
    print(f"{len(gold)} sentences in {took:.2f} s ({1000 * took / max(len(gold), 1):.1f} ms each)")


if __name__ == "__main__":
    main()
