"""One object per catalog version and process, built on first use: the vocabulary, the
mention index and the descriptor reader each take a noticeable time to build at 10k items and
are read-only afterwards.

With ``disk=True`` the built object is also kept under ``HOME/cache/``, keyed by the catalog
version and a hash of the agent's source code, so the next process (a CLI call, a new worker)
loads it in a fraction of the build time and a code change rebuilds it. Such an object must not
pickle its catalog: it drops it in ``__getstate__`` and gets it back in ``attach(catalog)``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import pickle
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from recpilot.catalog import Catalog
from recpilot.weights import atomic_write

T = TypeVar("T")
log = logging.getLogger("recpilot.cache")


@functools.cache
def code_hash() -> str:
    """The agent's code, hashed: a cached structure from other code is never used."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class CatalogBound:
    """Built from one catalog and kept with ``PerCatalog(..., name=...)``: pickled without the
    attributes in ``unpickled`` (the catalog itself), which ``attach`` puts back on load."""

    unpickled: tuple[str, ...] = ("catalog",)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in self.unpickled}

    def attach(self, catalog: Catalog) -> None:
        self.catalog = catalog


class PerCatalog(Generic[T]):
    def __init__(self, build: Callable[[Catalog], T], name: str | None = None):
        self._build = build
        self._name = name  # set: also cached on disk under this name
        self._lock = threading.Lock()
        self._built: dict[tuple[str, str, str], T] = {}

    def __call__(self, catalog: Catalog) -> T:
        key = (str(catalog.settings.home), catalog.name, catalog.version)
        with self._lock:
            if key not in self._built:
                self._built[key] = self._load_or_build(catalog)
            return self._built[key]

    def _path(self, catalog: Catalog) -> Path:
        return catalog.settings.home / "cache" / catalog.name / catalog.version / f"{self._name}-{code_hash()}.pkl"

    def _load_or_build(self, catalog: Catalog) -> T:
        if self._name is None:
            return self._build(catalog)
        path = self._path(catalog)
        try:
            with path.open("rb") as f:
                obj = pickle.load(f)
            obj.attach(catalog)
            return obj
        except FileNotFoundError:
            pass
        except Exception:  # a damaged or foreign cache file: rebuild it
            log.warning("rebuilding %s: the cached copy could not be read", path, exc_info=True)
        obj = self._build(catalog)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
            for stale in path.parent.glob(f"{self._name}-*.pkl"):  # built by older code: never read again
                if stale != path:
                    stale.unlink(missing_ok=True)
        except OSError:  # a read-only home still works, only slower to start
            log.warning("could not cache %s", path, exc_info=True)
        return obj
