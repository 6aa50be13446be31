"""RecPilot benchmarks: a command that prints numbers (not a test).

    .venv/bin/python -m benchmarks.run [ingest|pipeline|turns|all] [--sizes 10000 100000] [--out DIR]

- ingest: items/s for a synthetic catalog embedded with the shipped model, and for the demo
  catalog with its precomputed embeddings.
- pipeline: retrieve + filter + rank (the tool pipeline of one turn) p50/p95 over synthetic
  catalogs of the given sizes (vectors precomputed: embedding 100k texts would take minutes).
- turns: turn latency p50/p95 and LLM calls per turn over the scripted conversations in
  benchmarks/utterances.txt on the embedded model (llama.cpp, SmolLM2-135M).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from recpilot.catalog import load_catalog  # noqa: E402
from recpilot.embeddings import DIM  # noqa: E402
from recpilot.ingest import ingest, ingest_demo, save_precomputed  # noqa: E402
from recpilot.memory.candidates import CandidateBus  # noqa: E402
from recpilot.preferences import Constraint  # noqa: E402
from recpilot.schema import CatalogSchema, item_from_row  # noqa: E402
from recpilot.settings import LLMSettings, Settings  # noqa: E402
from recpilot.tools import TOOLS  # noqa: E402
from recpilot.tools.context import ToolContext  # noqa: E402

GENRES = ["fantasy", "science fiction", "mystery", "romance", "horror", "thriller", "history", "poetry",
          "biography", "young adult", "classics", "humor", "adventure", "crime", "philosophy", "war"]
WORDS = ("dragon ship detective love war empire island winter city secret garden night star river "
         "ghost king queen machine forest letter storm journey house mountain code").split()
SCHEMA = CatalogSchema(id="id", title="title", text=["description"], categorical=["genres", "authors"],
                       people=["authors"], numeric=["year", "rating", "popularity"], year="year",
                       rating="rating", popularity="popularity")


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def synthetic_rows(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    authors = [f"Author {i}" for i in range(max(50, n // 20))]
    rows = []
    for i in range(n):
        genres = rng.sample(GENRES, rng.randint(1, 3))
        title = " ".join(rng.sample(WORDS, 3)).title()
        rows.append({
            "id": str(i), "title": f"{title} {i}", "genres": genres, "authors": [rng.choice(authors)],
            "year": rng.randint(1900, 2024), "rating": round(rng.uniform(2.5, 5.0), 2),
            "popularity": int(rng.paretovariate(1.2) * 100),
            "description": f"A {', '.join(genres)} story about a {rng.choice(WORDS)} and a {rng.choice(WORDS)}.",
        })
    return rows


def _write_catalog(dirpath: Path, rows: list[dict], vectors: np.ndarray | None) -> Path:
    path = dirpath / "catalog.jsonl"
    with path.open("w") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    (dirpath / "schema.yaml").write_text(json.dumps(SCHEMA.model_dump()))  # JSON is valid YAML
    if vectors is not None:
        items = [item_from_row(r, SCHEMA) for r in rows]
        save_precomputed(dirpath / "embeddings.npz", items, vectors)
    return path


def bench_ingest(n: int = 2000) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = _write_catalog(tmp, synthetic_rows(n), None)
        settings = Settings(home=tmp / "home", llm=LLMSettings(backend="none"))
        report = ingest(settings, path, name="synthetic", schema_file=tmp / "schema.yaml")
        demo = ingest_demo(Settings(home=tmp / "demo", llm=LLMSettings(backend="none")))
    return {"synthetic_items": n, "synthetic_items_per_s": report.items_per_second,
            "demo_items": demo.items, "demo_seconds": demo.seconds, "demo_items_per_s": demo.items_per_second}


def bench_pipeline(sizes: list[int], queries: int = 60) -> dict:
    out = {}
    rng = np.random.default_rng(0)
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            rows = synthetic_rows(n)
            # clustered random unit vectors stand in for text embeddings
            centers = rng.normal(size=(64, DIM)).astype(np.float32)
            vectors = centers[rng.integers(0, 64, n)] + 0.5 * rng.normal(size=(n, DIM)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            path = _write_catalog(tmp, rows, vectors)
            settings = Settings(home=tmp / "home", llm=LLMSettings(backend="none"))
            t0 = time.perf_counter()
            ingest(settings, path, name="synthetic", schema_file=tmp / "schema.yaml",
                   precomputed=tmp / "embeddings.npz")
            build_s = time.perf_counter() - t0
            catalog = load_catalog(settings, "synthetic")
            cases = _pipeline_cases(queries)
            for query, constraints in cases[:3]:  # warm-up: chromadb loads its index lazily
                _pipeline(catalog, query, constraints)
            times = [_pipeline(catalog, q, c) for q, c in cases]
            out[str(n)] = {"p50_ms": round(pct(times, 50), 2), "p95_ms": round(pct(times, 95), 2),
                           "max_ms": round(max(times), 2), "queries": len(times), "build_s": round(build_s, 1)}
    return out


def _pipeline_cases(n: int) -> list[tuple[str, list[Constraint]]]:
    rng = random.Random(1)
    cases = []
    for i in range(n):
        query = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(GENRES)}"
        constraints: list[Constraint] = []
        kind = i % 4
        if kind >= 1:
            constraints.append(Constraint(field="genres", op="include", value=rng.choice(GENRES)))
        if kind >= 2:
            lo = rng.randint(1900, 2010)
            constraints += [Constraint(field="year", op="gte", value=lo), Constraint(field="year", op="lte", value=lo + 15)]
        if kind >= 3:
            constraints.append(Constraint(field="genres", op="exclude", value=rng.choice(GENRES)))
            constraints.append(Constraint(field="rating", op="gte", value=3.5))
        cases.append((query, constraints))
    return cases


def _pipeline(catalog, query: str, constraints: list[Constraint]) -> float:
    ctx = ToolContext(catalog=catalog, bus=CandidateBus())
    t0 = time.perf_counter()
    TOOLS["search_items"](ctx, {"query": query, "constraints": [c.model_dump() for c in constraints], "limit": 300})
    TOOLS["filter_items"](ctx, {"constraints": [c.model_dump() for c in constraints], "exclude_ids": ["1", "2"]})
    TOOLS["rank_items"](ctx, {"k": 5, "query": query})
    return (time.perf_counter() - t0) * 1000


def bench_turns(path: Path = Path(__file__).with_name("utterances.txt")) -> dict:
    from recpilot.agent.agent import RecPilot

    conversations, current = [], []
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            if current:
                conversations.append(current)
            current = []
        else:
            current.append(line.strip())
    if current:
        conversations.append(current)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp), llm=LLMSettings())
        agent = RecPilot.from_settings(settings)
        agent.ask("warm up", user_id="bench-warmup")
        latencies, calls, tokens = [], [], []
        for i, conv in enumerate(conversations):
            session = None
            for text in conv:
                t0 = time.perf_counter()
                result = agent.ask(text, session, user_id=f"bench-{i}")
                latencies.append((time.perf_counter() - t0) * 1000)
                session = result.session_id
                calls.append(result.usage.llm_calls)
                tokens.append(result.usage.prompt_tokens + result.usage.completion_tokens)
    return {"turns": len(latencies), "p50_ms": round(pct(latencies, 50), 1), "p95_ms": round(pct(latencies, 95), 1),
            "llm_calls_per_turn": round(statistics.mean(calls), 2), "tokens_per_turn": round(statistics.mean(tokens), 1),
            "model": "SmolLM2-135M-Instruct Q4_1 (llama.cpp, CPU)"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="?", default="all", choices=["ingest", "pipeline", "turns", "all"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--out", type=Path, default=None, help="also write results.json here")
    args = parser.parse_args()
    results: dict = {"cpu_count": os.cpu_count()}
    if args.what in ("ingest", "all"):
        results["ingest"] = bench_ingest()
        print("ingest  ", json.dumps(results["ingest"]), flush=True)
    if args.what in ("pipeline", "all"):
        results["pipeline"] = bench_pipeline(args.sizes)
        print("pipeline", json.dumps(results["pipeline"]), flush=True)
    if args.what in ("turns", "all"):
        results["turns"] = bench_turns()
        print("turns   ", json.dumps(results["turns"]), flush=True)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
