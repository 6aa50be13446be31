"""The English word list behind ``zipf``: the same values from wordfreq and from the cached copy."""

from __future__ import annotations

import importlib


def test_zipf_reads_the_same_from_the_cached_copy_as_from_wordfreq(tmp_path):
    from recpilot.agent import english

    english = importlib.reload(english)  # a fresh module: nothing loaded yet
    english.use_cache(tmp_path)
    words = ("the", "next", "mockingjay", "qwzxv")
    first = [english.zipf(w) for w in words]  # from wordfreq, and a copy is kept
    assert list(tmp_path.glob("wordfreq-en-*.marshal"))
    english = importlib.reload(english)
    english.use_cache(tmp_path)
    assert [english.zipf(w) for w in words] == first  # from the copy
    assert first[0] > first[1] > first[2] > 0 == first[3]
    (next(tmp_path.glob("wordfreq-en-*.marshal"))).write_bytes(b"\x00broken")
    english = importlib.reload(english)
    english.use_cache(tmp_path)
    assert [english.zipf(w) for w in words] == first  # a damaged copy: wordfreq again
