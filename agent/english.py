"""How common an English word is: the evidence that tells a title or a name from a plain word.

wordfreq's Zipf scale: 7 for "the", 5.7 for "next", 2.6 for "mockingjay", 0 for a word it has
never seen. The whole English list loads once per process (about 0.3 s).
"""

from __future__ import annotations

import math
import threading

_frequencies: dict[str, float] | None = None
_lock = threading.Lock()


def zipf(word: str) -> float:
    global _frequencies
    if _frequencies is None:
        with _lock:
            if _frequencies is None:
                from wordfreq import get_frequency_dict

                _frequencies = get_frequency_dict("en")
    freq = _frequencies.get(word)
    return round(math.log10(freq) + 9, 2) if freq else 0.0
