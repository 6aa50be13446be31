"""Precomputes the demo catalog's embeddings so a fresh install ingests it in seconds.

Run with the project's venv after build_demo_catalog.py:
    .venv/bin/python scripts/build_demo_embeddings.py
Ingest re-embeds any item whose text changed since (vectors are keyed by a text digest).
"""

from __future__ import annotations

import json
import time

from recpilot.embeddings import get_embedder
from recpilot.ingest import DEMO_DIR, _embed_text, read_rows, save_precomputed
from recpilot.schema import CatalogSchema, item_from_row


def main() -> None:
    schema = CatalogSchema.from_yaml(DEMO_DIR / "schema.yaml")
    items = [item_from_row(row, schema) for _, row, _ in read_rows(DEMO_DIR / "catalog.jsonl.gz") if row]
    start = time.perf_counter()
    vectors = get_embedder().embed([_embed_text(i) for i in items])
    save_precomputed(DEMO_DIR / "embeddings.npz", items, vectors)
    print(json.dumps({"items": len(items), "seconds": round(time.perf_counter() - start, 1)}))


if __name__ == "__main__":
    main()
