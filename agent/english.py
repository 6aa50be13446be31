"""How common an English word is: the evidence that tells a title or a name from a plain word.

wordfreq's Zipf scale: 7 for "the", 5.7 for "next", 2.6 for "mockingjay", 0 for a word it has
never seen. The whole English list loads once per process: about 0.5 s from wordfreq (its
import and its compressed list), about 0.15 s from a copy kept in the cache folder
(``use_cache``), which a one-turn command feels.
"""

from __future__ import annotations

import math
import threading
from importlib.metadata import version
from pathlib import Path

from recpilot.disk_cache import kept

_frequencies: dict[str, float] | None = None
_lock = threading.Lock()
_cache_dir: Path | None = None


def use_cache(folder: Path) -> None:
    """Keep the loaded list in ``folder`` (HOME/cache) for the next process."""
    global _cache_dir
    _cache_dir = Path(folder)


def _load() -> dict[str, float]:
    def from_wordfreq() -> dict[str, float]:
        from wordfreq import get_frequency_dict

        return get_frequency_dict("en")

    stem = _cache_dir / f"wordfreq-en-{version('wordfreq')}" if _cache_dir else None
    return kept(stem, from_wordfreq)


def zipf(word: str) -> float:
    global _frequencies
    if _frequencies is None:
        with _lock:
            if _frequencies is None:
                _frequencies = _load()
    freq = _frequencies.get(word)
    return round(math.log10(freq) + 9, 2) if freq else 0.0
