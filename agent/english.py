"""How common an English word is: the evidence that tells a title or a name from a plain word.

wordfreq's Zipf scale: 7 for "the", 5.7 for "next", 2.6 for "mockingjay", 0 for a word it has
never seen. The whole English list loads once per process: about 0.5 s from wordfreq (its
import and its compressed list), about 0.15 s from a copy kept in the cache folder
(``use_cache``), which a one-turn command feels.
"""

from __future__ import annotations

import logging
import marshal
import math
import threading
from importlib.metadata import version
from pathlib import Path

_frequencies: dict[str, float] | None = None
_lock = threading.Lock()
_cache_dir: Path | None = None
log = logging.getLogger("recpilot.cache")


def use_cache(folder: Path) -> None:
    """Keep the loaded list in ``folder`` (HOME/cache) for the next process."""
    global _cache_dir
    _cache_dir = Path(folder)


def _load() -> dict[str, float]:
    path = _cache_dir / f"wordfreq-en-{version('wordfreq')}.marshal" if _cache_dir else None
    if path is not None and path.exists():
        try:
            return marshal.loads(path.read_bytes())
        except (ValueError, EOFError, TypeError, OSError):
            log.warning("ignoring an unreadable word list copy at %s", path)
    from wordfreq import get_frequency_dict

    frequencies = get_frequency_dict("en")
    if path is not None:
        try:
            from recpilot.weights import atomic_write

            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, marshal.dumps(frequencies))
        except OSError:  # a read-only HOME: the next process loads from wordfreq again
            log.warning("could not keep a copy of the word list in %s", path.parent)
    return frequencies


def zipf(word: str) -> float:
    global _frequencies
    if _frequencies is None:
        with _lock:
            if _frequencies is None:
                _frequencies = _load()
    freq = _frequencies.get(word)
    return round(math.log10(freq) + 9, 2) if freq else 0.0
