"""What the stance model reads of a message: the words around one mention, masked.

A mention's stance is said in its own clause ("I loved X but hated Y": "I loved X" for X,
"but hated Y" for Y) and sometimes in the sentence after it ("I watched X. It was a bit
boring."). So the context of a mention is its sentence, cut at a contrast word ("but",
"though", ...) that separates it from another mention of the same sentence; ``follow`` adds
the next sentence when that one names nothing (it read slightly worse on ReDial, so the
shipped model does not). The mention itself becomes "it" and other mentions
"that one": the model learns what is said about an item, not which item it is, and a title
that carries sentiment ("Happy Gilmore", "Bad Boys", "Monster") says nothing of the user's.

A reply about items just shown (no span) is read whole.
"""

from __future__ import annotations

import re

from recpilot.agent.stance_lexicon import CONTRAST

Span = tuple[int, int]

_SENTENCE = re.compile(r"[^.!?;\n]*(?:[.!?;\n]+|$)")
REACH = 400


def sentences(text: str) -> list[Span]:
    """(start, end) of each sentence, the end mark included; ';' and newlines end one too."""
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.group().strip()]


def contexts(text: str, spans: list[Span], follow: bool = False) -> list[str]:
    """One masked context per span (see the module's docstring); ``spans == []``: the whole
    message as the single context. ``follow``: add the next sentence when it names nothing.
    A context holds at most ``REACH`` chars either side of its mention (the first ``2 * REACH``
    of a whole message): the embedder reads 128 tokens, and VADER's time grows with length."""
    if not spans:
        return [" ".join(text[: 2 * REACH].split())]
    sents = sentences(text) or [(0, len(text))]
    return [_context(text, spans, i, sents, follow) for i in range(len(spans))]


def context(text: str, spans: list[Span], index: int | None, follow: bool = False) -> str:
    """The masked context of mention ``index``, or of the whole message when ``index`` is None."""
    return contexts(text, spans, follow)[index] if index is not None else contexts(text, [])[0]


def _context(text: str, spans: list[Span], index: int, sents: list[Span], follow: bool) -> str:
    start, end = spans[index]
    k = next((i for i, (a, b) in enumerate(sents) if a <= start < b), len(sents) - 1)
    lo, hi = sents[k]
    for a, b in spans:
        if b <= start and a >= lo:  # another mention before this one in the sentence
            cut = [m.start() for m in CONTRAST.finditer(text, b, start)]
            lo = max(lo, cut[-1]) if cut else lo
        elif a >= end and b <= hi:  # another mention after it
            cut = [m.start() for m in CONTRAST.finditer(text, end, a)]
            hi = min(hi, cut[0]) if cut else hi
    if follow and hi == sents[k][1] and k + 1 < len(sents):
        na, nb = sents[k + 1]
        if not any(na <= a < nb for a, _ in spans):
            hi = nb
    lo, hi = max(lo, start - REACH), min(hi, end + REACH)
    return " ".join(mask(text, spans, index, lo, hi).split())


def mask(text: str, spans: list[Span], index: int, lo: int = 0, hi: int | None = None) -> str:
    """``text[lo:hi]`` with mention ``index`` as "it" and every other mention as "that one"."""
    hi = len(text) if hi is None else hi
    out, at = [], lo
    for i, (a, b) in sorted(enumerate(spans), key=lambda p: p[1]):
        if b <= lo or a >= hi:
            continue
        out.append(text[at:max(a, at)])
        out.append("it" if i == index else "that one")
        at = max(b, at)
    out.append(text[at:hi])
    return "".join(out)
