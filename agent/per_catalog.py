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
import pickle
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from recpilot.catalog import Catalog
from recpilot.disk_cache import PICKLE, Codec, kept

T = TypeVar("T")


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

    def _stem(self, catalog: Catalog) -> Path:
        return catalog.settings.home / "cache" / catalog.name / catalog.version / f"{self._name}-{code_hash()}"

    def _load_or_build(self, catalog: Catalog) -> T:
        if self._name is None:
            return self._build(catalog)
        stem = self._stem(catalog)
        built: list[T] = []

        def build() -> T:
            built.append(self._build(catalog))
            return built[0]

        def attached(raw: bytes) -> T:  # a copy that cannot take its catalog back counts as damaged
            obj = pickle.loads(raw)
            obj.attach(catalog)
            return obj

        obj = kept(stem, build, Codec(PICKLE.dumps, attached, PICKLE.suffix))
        if built:  # copies built by older code are never read again
            for stale in stem.parent.glob(f"{self._name}-*{PICKLE.suffix}"):
                if stale.name != stem.name + PICKLE.suffix:
                    try:
                        stale.unlink(missing_ok=True)
                    except OSError:  # a read-only home keeps them
                        break
        return obj
