"""Builds the ranker and the distilled parser shipped for the bundled demo catalog, so a fresh
install serves them without training (``recpilot/data/models/demo/``).

Run with the project's venv after build_demo_catalog.py and build_demo_embeddings.py:
    .venv/bin/python scripts/build_demo_models.py [--only ranker|parser] [--threads 1]

It ingests the shipped demo data into a temporary home, trains exactly what
``recpilot train ranker --model slim`` and ``recpilot train parser`` train there (seed 0, the
same split, corpus and options), and writes into the output folder:

- ``slim.npz`` / ``slim.json``: the ranker, stored compactly (neighbour rows as int16, weights
  as float16; they load back into the usual float32 model) and its report, scored as stored;
- ``parser.npz`` / ``parser.json``: the distilled parser and its report;
- ``manifest.json``: the catalog content hash, item count and ratings digest the models were
  trained on (a catalog with any other content does not use them), the files' sha256, and
  how they were built; ``README.md``: what they are and their licence.

Same data, code, torch version and thread count: the same weights (the script pins
PYTHONHASHSEED, which the mention head's training examples depend on). The reports carry timings.
A model trained in HOME (``recpilot train ...``) is used instead of a shipped one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

#: report keys that only describe the temporary home the models were trained in
_LOCAL_KEYS = ("checkpoint", "catalog_version", "created")

README = """# Models shipped for the demo catalog

Built by `scripts/build_demo_models.py` from the bundled demo data (`recpilot/data/demo/`);
used by RecPilot for a catalog whose content is exactly that data (the content hash, item
count and ratings digest in `manifest.json`) when HOME has no model of the same kind trained
for it. `recpilot train ranker` / `recpilot train parser` train new ones into HOME, which
then take precedence; `RECPILOT_LEARNED__SHIPPED=false` leaves these unused.

| file | what |
|---|---|
| `slim.npz`, `slim.json` | the SLIM ranker (`recpilot train ranker --model slim`, seed 0), neighbour rows stored as int16 and weights as float16; its report, scored as stored |
| `parser.npz`, `parser.json` | the distilled parser (`recpilot train parser`, seed 0) and its held-out report |
| `manifest.json` | what they were trained on and how they were built, with each file's sha256 |

Rebuild after the demo data or the training code changes (`tests/test_shipped_models.py`
fails when the demo catalog's content no longer matches):

```bash
.venv/bin/python scripts/build_demo_models.py      # both; --only ranker|parser for one
```

## Licence

These weights are derived from the demo catalog and ratings, an adaptation of
**goodbooks-10k by Zygmunt Zając**, licensed under Creative Commons Attribution-ShareAlike 4.0
International (CC BY-SA 4.0): see `recpilot/data/demo/README.md` and `LICENSE` there. They are
likewise distributed under CC BY-SA 4.0 with that attribution.
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _clean(report: dict) -> dict:
    return {k: v for k, v in report.items() if k not in _LOCAL_KEYS}


def build_ranker(settings, catalog, out: Path, seed: int) -> dict:
    """Trains slim as ``recpilot train ranker --model slim`` does, stores it compactly in ``out``."""
    import numpy as np

    from recpilot.tools.rankers.base import Ranker
    from recpilot.tools.rankers.checkpoint import catalog_hash, interactions_hash
    from recpilot.training.rankers import catalog_split, evaluate_on, train_ranker
    from recpilot.weights import atomic_write, load_weights, save_weights

    t0 = time.perf_counter()
    report = train_ranker(settings, catalog, "slim", seed=seed, on_phase=lambda m: print(f"  {m}", flush=True))
    header, arrays = load_weights(Path(report["checkpoint"]))
    index = np.int16 if len(catalog) <= np.iinfo(np.int16).max else np.int32
    arrays["state/neighbours"] = arrays["state/neighbours"].astype(index)
    arrays["state/weight"] = arrays["state/weight"].astype(np.float16)
    save_weights(out / "slim.npz", header, arrays)
    stored = evaluate_on(Ranker.load(out / "slim.npz"), catalog_split(catalog, seed))
    meta = {
        **_clean(report), **{k: stored[k] for k in ("hr@10", "ndcg@10", "recall@50")},
        "full_precision": {k: report[k] for k in ("hr@10", "ndcg@10", "recall@50")},
        "storage": f"neighbours {np.dtype(index).name}, weights float16",
        "model": "slim", "catalog": catalog.name, "content_hash": catalog_hash(settings, catalog),
        "interactions_hash": interactions_hash(catalog), "n_items": len(catalog),
        "build_seconds": round(time.perf_counter() - t0, 1),
    }
    atomic_write(out / "slim.json", json.dumps(meta, indent=2))
    return meta


def build_parser(settings, catalog, out: Path, seed: int, examples: int, heldout: int, epochs: int) -> dict:
    """Trains the distilled parser as ``recpilot train parser`` does and copies it to ``out``."""
    from recpilot.tools.rankers.checkpoint import catalog_hash
    from recpilot.training.distillation import train_parser
    from recpilot.weights import atomic_write

    t0 = time.perf_counter()
    report = train_parser(settings, catalog, examples=examples, heldout=heldout, epochs=epochs, seed=seed,
                          on_phase=lambda m: print(f"  {m}", flush=True))
    shutil.copyfile(report["checkpoint"], out / "parser.npz.tmp")
    os.replace(out / "parser.npz.tmp", out / "parser.npz")
    meta = {**_clean(report), "catalog": catalog.name, "content_hash": catalog_hash(settings, catalog),
            "build_seconds": round(time.perf_counter() - t0, 1)}
    atomic_write(out / "parser.json", json.dumps(meta, indent=2))
    return meta


def main() -> None:
    from recpilot.tools.rankers.checkpoint import SHIPPED_DIR

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=SHIPPED_DIR)
    ap.add_argument("--only", choices=("ranker", "parser"), help="rebuild one model, keep the other")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (the weights depend on it)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--examples", type=int, default=8000, help="parser training utterances (train parser's default)")
    ap.add_argument("--heldout", type=int, default=2000, help="parser held-out utterances")
    ap.add_argument("--epochs", type=int, default=60, help="parser epochs at most")
    ap.add_argument("--home", type=Path, help="train in this home (kept) instead of a temporary one")
    args = ap.parse_args()

    import torch

    from recpilot.catalog import load_catalog
    from recpilot.ingest import DEMO_DIR, ingest_demo
    from recpilot.settings import LearnedSettings, LLMSettings, Settings
    from recpilot.tools.rankers.checkpoint import catalog_hash, interactions_hash
    from recpilot.weights import atomic_write

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    args.out.mkdir(parents=True, exist_ok=True)
    for legacy in ("slim.pt", "parser.pt"):  # the format before .npz
        (args.out / legacy).unlink(missing_ok=True)
    t_all = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="recpilot-demo-models-") as tmp:
        home = args.home or Path(tmp)
        settings = Settings(home=home, llm=LLMSettings(backend="none"), learned=LearnedSettings(shipped=False))
        print(f"ingesting the demo catalog into {home}", flush=True)
        ingest_demo(settings)
        catalog = load_catalog(settings)
        built: dict = {}
        if args.only in (None, "ranker"):
            print("training the ranker (slim)", flush=True)
            built["ranker"] = build_ranker(settings, catalog, args.out, args.seed)
        if args.only in (None, "parser"):
            print("training the distilled parser", flush=True)
            built["parser"] = build_parser(settings, catalog, args.out, args.seed, args.examples, args.heldout,
                                           args.epochs)
        files = {name: {"sha256": sha256(args.out / name), "bytes": (args.out / name).stat().st_size}
                 for name in ("slim.npz", "slim.json", "parser.npz", "parser.json") if (args.out / name).exists()}
        manifest = {
            "catalog": catalog.name, "content_hash": catalog_hash(settings, catalog), "n_items": len(catalog),
            "interactions_hash": interactions_hash(catalog), "ranker": "slim", "parser": "parser",
            "files": files,
            "data": {name: sha256(DEMO_DIR / name) for name in ("catalog.jsonl.gz", "interactions.csv.gz",
                                                                "schema.yaml", "embeddings.npz")},
            "built_with": {"script": "scripts/build_demo_models.py", "seed": args.seed, "threads": args.threads,
                           "parser_examples": args.examples, "parser_heldout": args.heldout,
                           "parser_epochs": args.epochs, "torch": torch.__version__,
                           "machine": platform.machine(), "python": platform.python_version()},
        }
        atomic_write(args.out / "manifest.json", json.dumps(manifest, indent=2))
        (args.out / "README.md").write_text(README)
    summary = {"seconds": round(time.perf_counter() - t_all, 1), "out": str(args.out),
               "bytes": {k: v["bytes"] for k, v in files.items()}}
    for kind, meta in built.items():
        if kind == "ranker":
            summary["ranker"] = {k: meta[k] for k in ("hr@10", "ndcg@10", "recall@50", "full_precision",
                                                      "build_seconds")}
        else:
            held = meta["heldout"]
            summary["parser"] = {"exact": held["rules+distilled"]["exact"], "rules_exact": held["rules"]["exact"],
                                 "llm_calls_saved": held["llm_calls_saved"], "build_seconds": meta["build_seconds"]}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    if os.environ.get("PYTHONHASHSEED") != "0":
        # the rules link mentions in set order, which follows the string hash seed: pin it, or
        # the mention head's training examples (and so its weights) differ from run to run
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable, *sys.argv])
    main()
