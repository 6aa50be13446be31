"""Copies a process keeps under ``HOME/cache`` for the next one.

Some inputs take a noticeable part of a one-turn command to read and never change: the English
word list, a catalog version's item rows, the parser's per-catalog structures. ``kept`` loads
such a copy, or builds the value and writes it whole for the next process. Plain dicts, lists
and strings are kept as ``marshal`` (several times faster to load than JSON or pickle; its
format belongs to one Python version, so the file name carries it); objects as pickle.
"""

from __future__ import annotations

import logging
import marshal
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger("recpilot.cache")


@dataclass(frozen=True)
class Codec:
    dumps: Callable[[Any], bytes]
    loads: Callable[[bytes], Any]
    suffix: str  # added to the stem to name the file


MARSHAL = Codec(marshal.dumps, marshal.loads, f"-py{sys.version_info[0]}{sys.version_info[1]}-m{marshal.version}.marshal")
PICKLE = Codec(lambda value: pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), pickle.loads, ".pkl")


def kept(stem: Path | None, build: Callable[[], T], codec: Codec = MARSHAL) -> T:
    """``build()``, or the copy an earlier process kept at ``stem`` + the codec's suffix (no
    copy is kept when ``stem`` is None). A copy that cannot be read (damaged, foreign, or
    refused by ``codec.loads``) is rebuilt; a read-only home only costs time."""
    if stem is None:
        return build()
    path = stem.with_name(stem.name + codec.suffix)
    try:
        return codec.loads(path.read_bytes())
    except FileNotFoundError:
        pass
    except Exception:  # noqa: BLE001 - whatever a bad copy raises, the answer is to rebuild it
        log.warning("rebuilding %s: the kept copy could not be read", path, exc_info=True)
    value = build()
    try:
        from recpilot.weights import atomic_write

        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, codec.dumps(value))
    except (OSError, ValueError):  # read-only, full, or not marshal-able: the next process rebuilds
        log.warning("could not keep a copy at %s", path)
    return value
