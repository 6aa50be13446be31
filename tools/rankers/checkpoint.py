"""Where trained rankers live: ``HOME/models/<catalog>/<catalog version>/``.

Each model is ``<model>.npz`` (the ranker, ``Ranker.save``; a legacy ``<model>.pt`` is read
too) beside ``<model>.json`` (what it was trained on and how well it did); ``ACTIVE`` names
the model the ranking tool uses (the last one trained). Writing them is training's job
(``recpilot.training.rankers.save_checkpoint``); this module finds and reads them. A
checkpoint belongs to one catalog version: ingesting again makes a new version, and the old
model is simply not found for it (item rows may have moved).

Shipped models: ``recpilot/data/models/demo/`` holds a ranker and a distilled parser built
from the bundled demo data (``scripts/build_demo_models.py``), with a ``manifest.json``
naming the catalog content (and, for the ranker, the ratings) they were trained on. They
are used for any catalog version whose content is exactly that one and for which HOME has
no model of the same kind: a model trained in HOME always comes first.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from recpilot.catalog import Catalog, version_dir
from recpilot.errors import UserError
from recpilot.settings import Settings
from recpilot.weights import LEGACY_SUFFIX, weights_path

if TYPE_CHECKING:
    from recpilot.tools.rankers.base import Ranker


#: the models shipped for the bundled demo catalog (scripts/build_demo_models.py)
SHIPPED_DIR = Path(str(files("recpilot"))) / "data" / "models" / "demo"
SHIPPED_MANIFEST = "manifest.json"


def models_dir(settings: Settings) -> Path:
    return settings.home / "models"


def checkpoint_dir(settings: Settings, catalog: Catalog) -> Path:
    return models_dir(settings) / catalog.name / catalog.version


def catalog_hash(settings: Settings, catalog: Catalog) -> str | None:
    manifest = version_dir(settings, catalog.name, catalog.version) / "manifest.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text()).get("content_hash")


def legacy_files(folder: Path, name: str) -> list[Path]:
    """Checkpoints of model ``name`` in the format before ``.npz`` (``.pt``), if any."""
    path = Path(folder) / f"{name}{LEGACY_SUFFIX}"
    return [path] if path.exists() else []


def active_model(settings: Settings, catalog: Catalog) -> str | None:
    """The model ``ACTIVE`` names in HOME for this catalog version (shipped ones not included:
    see ``resolve_ranker``)."""
    pointer = checkpoint_dir(settings, catalog) / "ACTIVE"
    if not pointer.exists():
        return None
    return pointer.read_text().strip() or None


# --- shipped models ---------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _read_manifest(path: Path, mtime_ns: int) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def shipped_manifest(folder: Path | None = None) -> dict | None:
    """The shipped models' manifest (None when there is none)."""
    path = (folder or SHIPPED_DIR) / SHIPPED_MANIFEST
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    return _read_manifest(path, mtime)


def interactions_hash(catalog: Catalog) -> str | None:
    """A digest of the catalog version's ratings (who rated which row how), None without any."""
    inter = catalog.interactions
    if inter is None:
        return None
    h = hashlib.sha256()
    for array, dtype in ((inter.users, "<i4"), (inter.items, "<i4"), (inter.ratings, "<f4")):
        h.update(np.ascontiguousarray(array, dtype=dtype).tobytes())
    h.update("\n".join(inter.user_ids).encode())
    return h.hexdigest()[:16]


def shipped_dir(settings: Settings, catalog: Catalog, folder: Path | None = None) -> Path | None:
    """The shipped models' folder when they were built from exactly this catalog's content and
    ``settings.learned.shipped`` allows them, else None. (The ranker also checks the ratings.)"""
    if not settings.learned.shipped:
        return None
    folder = folder or SHIPPED_DIR
    manifest = shipped_manifest(folder)
    if manifest is None or manifest.get("n_items") != len(catalog):
        return None
    if manifest.get("content_hash") != catalog_hash(settings, catalog):
        return None
    return folder


def resolve_ranker(settings: Settings, catalog: Catalog, model: str | None = None) -> tuple[str, Path, str] | None:
    """(model, folder, source) of the ranker to use: HOME's active one (source ``"home"``),
    else the shipped one when it applies to this catalog (``"shipped"``), else None.
    With ``model``, that model from HOME, else from the shipped folder."""
    home = checkpoint_dir(settings, catalog)
    name = model or active_model(settings, catalog)
    if name is not None and weights_path(home, name) and (home / f"{name}.json").exists():
        return name, home, "home"
    folder = shipped_dir(settings, catalog)
    if folder is None:
        return None
    manifest = shipped_manifest(folder) or {}
    name = model or manifest.get("ranker")
    if not name or not weights_path(folder, name) or not (folder / f"{name}.json").exists():
        return None
    try:
        meta = json.loads((folder / f"{name}.json").read_text())
    except (OSError, ValueError):
        return None
    if meta.get("interactions_hash") != interactions_hash(catalog):
        return None  # same books, other ratings: a model of the shipped ratings does not fit them
    return name, folder, "shipped"


def load_checkpoint(settings: Settings, catalog: Catalog, model: str | None = None) -> tuple[Ranker, dict] | None:
    """The ranker (default: the active one; see ``resolve_ranker``) and its metadata for this
    catalog version, or None when there is none. A checkpoint that does not match the catalog
    (other items, other content) is a ``UserError``, as is an unreadable one. The metadata
    says where the model came from: ``source`` is ``"home"`` or ``"shipped"``."""
    found = resolve_ranker(settings, catalog, model)
    if found is None:
        return None
    model, folder, source = found
    ranker, meta = read_model(settings, catalog, weights_path(folder, model), f"{model} ranker", "recpilot train ranker")
    return ranker, {**meta, "source": source}


def read_model(settings: Settings, catalog: Catalog, path: Path, what: str, command: str) -> tuple[Ranker, dict]:
    """The model at ``path`` and its metadata (``<stem>.json`` beside it), checked against the
    catalog: unreadable, or fitted on other content, is a ``UserError`` that names ``command``."""
    from recpilot.tools.rankers.base import Ranker

    try:
        meta = json.loads(path.with_suffix(".json").read_text())
        model = Ranker.load(path)
    except Exception as exc:  # a truncated or foreign file fails in json, zip or numpy
        raise UserError(f"cannot read the {what} at {path}: {exc}") from exc
    if model.n_items != len(catalog) or meta.get("content_hash") != catalog_hash(settings, catalog):
        raise UserError(f"the {what} at {path} was trained on other catalog content; run `{command}` again")
    return model, meta
