"""One object per catalog version and process, built on first use: the vocabulary, the
mention index and the descriptor reader each take a noticeable time to build at 10k items and
are read-only afterwards."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from recpilot.catalog import Catalog

T = TypeVar("T")


class PerCatalog(Generic[T]):
    def __init__(self, build: Callable[[Catalog], T]):
        self._build = build
        self._lock = threading.Lock()
        self._built: dict[tuple[str, str, str], T] = {}

    def __call__(self, catalog: Catalog) -> T:
        key = (str(catalog.settings.home), catalog.name, catalog.version)
        with self._lock:
            if key not in self._built:
                self._built[key] = self._build(catalog)
            return self._built[key]
