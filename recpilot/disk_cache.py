"""Copies a process keeps under ``HOME/cache`` for the next one.

Some inputs take a noticeable part of a one-turn command to read and never change: the English
word list, a catalog version's item rows. They are kept as ``marshal`` files, which load several
times faster than JSON or pickle for plain dicts, lists and strings. marshal's format belongs to
one Python version, so the file name carries it.
"""

from __future__ import annotations

import logging
import marshal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger("recpilot.cache")
_TAG = f"py{sys.version_info[0]}{sys.version_info[1]}-m{marshal.version}"


def kept(stem: Path | None, build: Callable[[], T]) -> T:
    """``build()``, or the copy an earlier process kept at ``stem`` (no copy is kept when
    ``stem`` is None). A damaged copy is rebuilt; a read-only home only costs time."""
    if stem is None:
        return build()
    path = stem.with_name(f"{stem.name}-{_TAG}.marshal")
    try:
        return marshal.loads(path.read_bytes())
    except FileNotFoundError:
        pass
    except (ValueError, EOFError, TypeError, OSError):
        log.warning("rebuilding %s: the kept copy could not be read", path)
    value = build()
    try:
        from recpilot.weights import atomic_write

        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, marshal.dumps(value))
    except (OSError, ValueError):  # read-only, full, or not marshal-able: the next process rebuilds
        log.warning("could not keep a copy at %s", path)
    return value
