"""Where trained rankers live: ``HOME/models/<catalog>/<catalog version>/``.

Each model is ``<model>.pt`` (the ranker, ``Ranker.save``) beside ``<model>.json`` (what it
was trained on and how well it did); ``ACTIVE`` names the model the ranking tool uses (the
last one trained). A checkpoint belongs to one catalog version: ingesting again makes a new
version, and the old model is simply not found for it (item rows may have moved).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from recpilot.catalog import Catalog, version_dir
from recpilot.errors import UserError
from recpilot.settings import Settings

if TYPE_CHECKING:
    from recpilot.tools.rankers.base import Ranker


def models_dir(settings: Settings) -> Path:
    return settings.home / "models"


def checkpoint_dir(settings: Settings, catalog: Catalog) -> Path:
    return models_dir(settings) / catalog.name / catalog.version


def catalog_hash(settings: Settings, catalog: Catalog) -> str | None:
    manifest = version_dir(settings, catalog.name, catalog.version) / "manifest.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text()).get("content_hash")


def save_checkpoint(settings: Settings, catalog: Catalog, ranker: Ranker, meta: dict,
                    activate: bool = True) -> Path:
    """Writes ``<model>.pt`` and ``<model>.json``; with ``activate`` also points ``ACTIVE`` at it."""
    folder = checkpoint_dir(settings, catalog)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ranker.name}.pt"
    ranker.save(path)
    meta = {**meta, "model": ranker.name, "catalog": catalog.name, "catalog_version": catalog.version,
            "content_hash": catalog_hash(settings, catalog), "n_items": ranker.n_items}
    atomic_write(folder / f"{ranker.name}.json", json.dumps(meta, indent=2))
    if activate:
        atomic_write(folder / "ACTIVE", ranker.name)
    return path


def active_model(settings: Settings, catalog: Catalog) -> str | None:
    pointer = checkpoint_dir(settings, catalog) / "ACTIVE"
    if not pointer.exists():
        return None
    return pointer.read_text().strip() or None


def load_checkpoint(settings: Settings, catalog: Catalog, model: str | None = None) -> tuple[Ranker, dict] | None:
    """The ranker (default: the active one) and its metadata for this catalog version, or
    None when there is none. A checkpoint that does not match the catalog (other items, other
    content) is a ``UserError``, as is an unreadable one."""
    model = model or active_model(settings, catalog)
    if model is None:
        return None
    folder = checkpoint_dir(settings, catalog)
    path, meta_path = folder / f"{model}.pt", folder / f"{model}.json"
    if not path.exists() or not meta_path.exists():
        return None
    from recpilot.tools.rankers.base import Ranker  # imports torch: only when there is a model
    try:
        meta = json.loads(meta_path.read_text())
        ranker = Ranker.load(path)
    except Exception as exc:  # a truncated or foreign file fails in pickle, zip or torch
        raise UserError(f"cannot read the {model} ranker at {path}: {exc}") from exc
    if ranker.n_items != len(catalog) or meta.get("content_hash") != catalog_hash(settings, catalog):
        raise UserError(f"the {model} ranker at {path} was trained on other catalog content; "
                        "run `recpilot train ranker` again")
    return ranker, meta


def atomic_write(path: Path, data: str | bytes) -> None:
    """Readers see the old file or the new one, never half of it."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    if isinstance(data, bytes):
        tmp.write_bytes(data)
    else:
        tmp.write_text(data)
    os.replace(tmp, path)
