"""Ingest a catalog file (CSV, JSONL, optionally gzipped, or Parquet) into a new catalog version.

Malformed rows are reported with line numbers and reasons and counted, never silently
dropped. Re-ingest upserts by id (unchanged items keep their embeddings). The new version
becomes current only when it is complete.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from recpilot.catalog import (
    catalog_dir,
    current_version,
    load_catalog,
    set_current,
    version_dir,
)
from recpilot.embeddings import DIM, ChromaEmbedder, get_embedder
from recpilot.errors import IngestError
from recpilot.schema import CatalogSchema, Item, infer_schema, item_from_row
from recpilot.settings import Settings

DEMO_DIR = Path(__file__).parent / "data" / "demo"
_MAX_REPORTED = 50

Progress = Callable[[str, int, int], None]  # (phase, done, total)


class RowError(BaseModel):
    line: int
    reason: str


class IngestReport(BaseModel):
    catalog: str
    version: str
    source: str
    items: int = Field(description="items in the catalog after ingest")
    ingested: int = Field(description="new items")
    updated: int = Field(description="existing ids whose content changed")
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = Field(default_factory=list, description=f"first {_MAX_REPORTED} rejected rows")
    interactions: int = 0
    interactions_rejected: int = 0
    seconds: float = 0.0
    items_per_second: float = 0.0


# --- reading ----------------------------------------------------------------------------------
def _open_text(path: Path) -> io.TextIOBase:
    # utf-8-sig: a byte-order mark (Excel's CSV export) must not become part of the first column name
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", errors="replace", newline="")
    return path.open(encoding="utf-8-sig", errors="replace", newline="")


def _format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    kind = suffixes[-1] if suffixes else ""
    if kind in (".csv", ".tsv"):
        return kind[1:]
    if kind in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if kind == ".parquet":
        return "parquet"
    raise IngestError(f"unsupported catalog format {path.name!r}: use .csv, .tsv, .jsonl or .parquet")


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Yields (line number, row or None, reason when the row could not be read).

    A file that cannot be read at all (missing, not a file, unknown format, corrupt gzip)
    raises ``IngestError``; a single unreadable row is yielded with its reason.
    """
    if not path.exists():
        raise IngestError(f"file not found: {path}")
    if not path.is_file():
        raise IngestError(f"not a file: {path}")
    fmt = _format(path)
    if fmt == "parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise IngestError("reading Parquet needs pyarrow: pip install pyarrow") from exc
        try:
            table = pq.read_table(path)
        except Exception as exc:
            raise IngestError(f"cannot read {path}: {exc}") from exc
        for i, row in enumerate(table.to_pylist(), start=1):
            yield i, row, None
        return
    try:
        with _open_text(path) as fh:
            yield from (_jsonl_rows(fh) if fmt == "jsonl" else _csv_rows(fh, path, "\t" if fmt == "tsv" else ","))
    except (OSError, EOFError, UnicodeError) as exc:  # gzip.BadGzipFile is an OSError
        raise IngestError(f"cannot read {path}: {exc}") from exc


def _jsonl_rows(fh) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    for lineno, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield lineno, None, f"invalid JSON: {exc.msg}"
            continue
        if not isinstance(row, dict):
            yield lineno, None, "not a JSON object"
            continue
        yield lineno, row, None


def _csv_rows(fh, path: Path, delimiter: str) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    reader = csv.reader(fh, delimiter=delimiter)
    try:
        header = [name.strip() for name in next(reader)]
    except (StopIteration, csv.Error):
        header = []
    if not any(header):
        raise IngestError(f"{path} has no header row")
    width = len(header)
    previous_end = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a field over the csv module's size limit
            yield previous_end + 1, None, f"unreadable CSV row: {exc}"
            previous_end = reader.line_num
            continue
        lineno, previous_end = previous_end + 1, reader.line_num  # a quoted cell may span lines
        if not cells:
            continue  # blank line
        if len(cells) != width:
            yield lineno, None, f"expected {width} columns, found {len(cells)}"
            continue
        yield lineno, dict(zip(header, cells, strict=True)), None


def resolve_schema(path: Path, schema_file: Path | None, overrides: dict[str, Any]) -> CatalogSchema:
    if schema_file:
        return CatalogSchema.from_yaml(schema_file)
    sibling = path.parent / "schema.yaml"
    if sibling.exists() and path.parent == DEMO_DIR:
        return CatalogSchema.from_yaml(sibling)
    sample, unreadable = [], []
    for lineno, row, reason in read_rows(path):
        if row is not None:
            sample.append(row)
        else:
            unreadable.append(f"line {lineno}: {reason}")
        if len(sample) >= 500:
            break
    if not sample and unreadable:
        raise IngestError(f"no valid rows in {path} ({len(unreadable)} rejected; {unreadable[0]})")
    return infer_schema(sample, overrides)


# --- ingest -----------------------------------------------------------------------------------
def ingest(
    settings: Settings,
    path: Path,
    *,
    name: str | None = None,
    schema_file: Path | None = None,
    overrides: dict[str, Any] | None = None,
    interactions: Path | None = None,
    precomputed: Path | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    start = time.perf_counter()
    name = name or settings.catalog
    progress = progress or (lambda *_: None)
    if interactions is not None and not interactions.is_file():  # fail before the expensive part
        raise IngestError(f"interactions file not found: {interactions}")
    schema = resolve_schema(path, schema_file, overrides or {})

    errors: list[RowError] = []
    rejected = 0
    fresh: dict[str, Item] = {}
    for lineno, row, reason in read_rows(path):
        if row is not None:
            try:
                item = item_from_row(row, schema)
            except ValueError as exc:
                reason = str(exc).splitlines()[0] if not hasattr(exc, "errors") else _pydantic_reason(exc)
            else:
                fresh[item.id] = item
                continue
        rejected += 1
        if len(errors) < _MAX_REPORTED:
            errors.append(RowError(line=lineno, reason=reason or "unreadable"))
    if not fresh:
        raise IngestError(f"no valid rows in {path} ({rejected} rejected)")

    previous = None
    if current_version(settings, name):
        previous = load_catalog(settings, name)
        if previous.schema.model_dump() != schema.model_dump():
            previous_schema = previous.schema
            if set(previous_schema.fields) - set(schema.fields):
                # Different fields: this is a new catalog, not an update of the old one.
                previous = None

    merged: dict[str, Item] = {}
    old_vectors: dict[str, np.ndarray] = {}
    ingested = updated = unchanged = 0
    if precomputed is not None:
        old_vectors.update(load_precomputed(precomputed, fresh))
    if previous is not None:
        for i, item in enumerate(previous.items):
            merged[item.id] = item
            old_vectors[item.id] = previous.embeddings[i]
    for item_id, item in fresh.items():
        old = merged.get(item_id)
        if old is None:
            ingested += 1
        elif old.model_dump() == item.model_dump():
            unchanged += 1
        else:
            updated += 1
            if _embed_text(old) != _embed_text(item):
                old_vectors.pop(item_id, None)
        merged[item_id] = item
    items = list(merged.values())

    cdir = catalog_dir(settings, name)
    _remove_stale_versions(settings, name, keep={current_version(settings, name)})
    version = f"v{int(time.time() * 1000)}"
    while version_dir(settings, name, version).exists():  # two ingests within one millisecond
        version = f"v{int(version[1:]) + 1}"
    vdir = version_dir(settings, name, version)
    vdir.mkdir(parents=True)
    collection = f"{_safe(name)}-{version}"
    try:
        embeddings = _embed(settings, items, old_vectors, progress)
        np.save(vdir / "embeddings.npy", embeddings)
        with (vdir / "items.jsonl").open("w") as fh:
            for item in items:
                fh.write(item.model_dump_json(exclude_defaults=True) + "\n")
        _build_collection(settings, collection, items, embeddings, schema, progress)
        n_inter = n_inter_bad = 0
        if interactions is not None:
            n_inter, n_inter_bad = _write_interactions(interactions, {it.id: i for i, it in enumerate(items)}, vdir)
        elif previous is not None and previous.interactions is not None:
            n_inter = _carry_interactions(previous, {it.id: i for i, it in enumerate(items)}, vdir)
        manifest = {
            "name": name, "version": version, "source": str(path), "collection": collection,
            "schema": schema.model_dump(), "items": len(items), "interactions": n_inter,
            "content_hash": _content_hash(items), "embedding_model": get_embedder().name,
            "created": time.time(),
        }
        (vdir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    except BaseException:
        # KeyboardInterrupt included: the old version stays current, and nothing half-built stays
        shutil.rmtree(vdir, ignore_errors=True)
        _drop_collection(settings, collection)
        raise
    set_current(settings, name, version)
    _remove_stale_versions(settings, name, keep={version})
    seconds = time.perf_counter() - start
    (cdir / "last_ingest.json").write_text(json.dumps({"errors": [e.model_dump() for e in errors]}))
    return IngestReport(
        catalog=name, version=version, source=str(path), items=len(items), ingested=ingested,
        updated=updated, unchanged=unchanged, rejected=rejected, errors=errors,
        interactions=n_inter, interactions_rejected=n_inter_bad, seconds=round(seconds, 2),
        items_per_second=round(len(fresh) / seconds, 1) if seconds else 0.0,
    )


def ingest_demo(settings: Settings, progress: Progress | None = None) -> IngestReport:
    return ingest(
        settings, DEMO_DIR / "catalog.jsonl.gz", name="demo", schema_file=DEMO_DIR / "schema.yaml",
        interactions=DEMO_DIR / "interactions.csv.gz", precomputed=DEMO_DIR / "embeddings.npz", progress=progress,
    )


def text_digest(item: Item) -> str:
    return hashlib.sha1(_embed_text(item).encode()).hexdigest()[:16]


def save_precomputed(path: Path, items: list[Item], vectors: np.ndarray) -> None:
    """Embeddings shipped beside a catalog file, keyed by id and a digest of the embedded text."""
    np.savez_compressed(
        path, ids=np.asarray([i.id for i in items]), digests=np.asarray([text_digest(i) for i in items]),
        vectors=vectors.astype(np.float16), model=np.asarray(get_embedder().name),
    )


def load_precomputed(path: Path, items: dict[str, Item]) -> dict[str, np.ndarray]:
    """Vectors whose id and text digest still match (anything stale is embedded again)."""
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as data:
        if str(data["model"]) != get_embedder().name:
            return {}
        out = {}
        for item_id, digest, vector in zip(data["ids"], data["digests"], data["vectors"], strict=True):
            item = items.get(str(item_id))
            if item is not None and text_digest(item) == str(digest):
                out[item.id] = vector.astype(np.float32)
        return out


def ensure_catalog(settings: Settings, notify: Callable[[str], None] | None = None):
    """The active catalog, ingesting the bundled demo first when nothing is ingested yet."""
    if current_version(settings, settings.catalog) is None and settings.catalog == "demo":
        if notify:
            notify("No catalog ingested yet: ingesting the bundled demo catalog (goodbooks-10k) first.")
        ingest_demo(settings)
    return load_catalog(settings)


# --- helpers ----------------------------------------------------------------------------------
def _pydantic_reason(exc: Exception) -> str:
    errs = exc.errors()  # type: ignore[attr-defined]
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errs[:3])


def _embed_text(item: Item) -> str:
    """The item's text fields when it has them, else its categorical values; the title only for an
    item with neither. The title is left out on purpose: a query word that happens to be in a title
    ("dark", "girl", "uplift") must not pull that item up; titles are found by name instead."""
    if item.text:
        return item.text[:1000]
    parts = [", ".join(v[:5]) for v in item.categorical.values()]
    return ". ".join(p for p in parts if p)[:1000] or item.title[:1000]


def _embed(settings: Settings, items: list[Item], old: dict[str, np.ndarray], progress: Progress) -> np.ndarray:
    out = np.zeros((len(items), DIM), dtype=np.float32)
    todo = []
    for i, item in enumerate(items):
        vector = old.get(item.id)
        if vector is None:
            todo.append(i)
        else:
            out[i] = vector
    embedder = get_embedder(settings.embedding.batch_size)
    step = 256
    progress("embed", 0, len(todo))
    for start in range(0, len(todo), step):
        rows = todo[start : start + step]
        out[rows] = embedder.embed([_embed_text(items[i]) for i in rows])
        progress("embed", min(start + step, len(todo)), len(todo))
    return out


def _metadata(item: Item, schema: CatalogSchema) -> dict[str, Any]:
    meta: dict[str, Any] = {"title": item.title[:500]}
    for name, value in item.numeric.items():
        meta[name] = float(value)
    for name, values in item.categorical.items():
        if values:  # chromadb rejects empty lists
            meta[name] = [v.lower() for v in values]
    return meta


def _build_collection(settings, collection, items, embeddings, schema, progress: Progress) -> None:
    from recpilot.vectorstore import get_client

    client = get_client(settings)
    coll = client.create_collection(
        collection, embedding_function=ChromaEmbedder(get_embedder()), metadata={"hnsw:space": "cosine"}
    )
    step = 2000
    progress("index", 0, len(items))
    for start in range(0, len(items), step):
        chunk = items[start : start + step]
        coll.add(
            ids=[it.id for it in chunk],
            embeddings=embeddings[start : start + step].tolist(),
            metadatas=[_metadata(it, schema) for it in chunk],
            documents=[_embed_text(it)[:1000] for it in chunk],
        )
        progress("index", min(start + step, len(items)), len(items))


def _write_interactions(path: Path, index: dict[str, int], vdir: Path) -> tuple[int, int]:
    users, rows, ratings, bad = [], [], [], 0
    user_index: dict[str, int] = {}
    for _, row, _reason in read_rows(path):
        if row is None:
            bad += 1
            continue
        row = {k.lower(): v for k, v in row.items() if k}
        user = str(row.get("user") or row.get("user_id") or "").strip()
        item = str(row.get("item") or row.get("item_id") or row.get("book_id") or "").strip()
        if not user or item not in index:
            bad += 1
            continue
        try:
            rating = float(row["rating"]) if row.get("rating") not in (None, "") else float("nan")
        except ValueError:
            bad += 1
            continue
        users.append(user_index.setdefault(user, len(user_index)))
        rows.append(index[item])
        ratings.append(rating)
    np.savez(
        vdir / "interactions.npz", users=np.asarray(users, dtype=np.int32), items=np.asarray(rows, dtype=np.int32),
        ratings=np.asarray(ratings, dtype=np.float32), user_ids=np.asarray(list(user_index), dtype=str),
    )
    return len(rows), bad


def _carry_interactions(previous, index: dict[str, int], vdir: Path) -> int:
    inter = previous.interactions
    old_ids = [previous.items[r].id for r in inter.items]
    keep = np.asarray([i in index for i in old_ids], dtype=bool)
    np.savez(
        vdir / "interactions.npz", users=inter.users[keep],
        items=np.asarray([index[i] for i, k in zip(old_ids, keep, strict=True) if k], dtype=np.int32),
        ratings=inter.ratings[keep], user_ids=np.asarray(inter.user_ids, dtype=str),
    )
    return int(keep.sum())


def _content_hash(items: list[Item]) -> str:
    h = hashlib.sha256()
    for item in items:
        h.update(item.model_dump_json().encode())
    return h.hexdigest()[:16]


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)[:40] or "catalog"


def _drop_collection(settings: Settings, collection: str) -> None:
    from recpilot.vectorstore import get_client

    try:
        get_client(settings).delete_collection(collection)
    except Exception:  # it may never have been created
        pass


def _remove_stale_versions(settings: Settings, name: str, keep: set[str | None]) -> None:
    """Deletes versions (and their collections) other than ``keep``: leftovers of interrupted
    ingests or superseded versions, including collections whose version folder is gone."""
    cdir = catalog_dir(settings, name)
    if not cdir.exists():
        return
    from recpilot.vectorstore import get_client

    for vdir in cdir.iterdir():
        if not vdir.is_dir() or vdir.name in keep:
            continue
        try:
            collection = json.loads((vdir / "manifest.json").read_text())["collection"]
        except Exception:  # a half-written version may have no manifest
            collection = f"{_safe(name)}-{vdir.name}"
        _drop_collection(settings, collection)
        shutil.rmtree(vdir, ignore_errors=True)
    kept = {f"{_safe(name)}-{v}" for v in keep if v}
    pattern = re.compile(re.escape(_safe(name)) + r"-v\d+")
    try:
        orphans = [c for c in _collection_names(get_client(settings)) if pattern.fullmatch(c) and c not in kept]
    except Exception:
        return
    for collection in orphans:
        _drop_collection(settings, collection)


def _collection_names(client) -> list[str]:
    return [c if isinstance(c, str) else c.name for c in client.list_collections()]
