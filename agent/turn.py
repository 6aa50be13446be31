"""The parse's data: what the parser is given (``ParseContext``), the items it finds
(``Mention``), and ``Turn``, the one utterance being read.

Shared by every reader (items, numbers, values) so each can mark the tokens it has explained
and add to the same ``StateUpdate``; kept apart from ``rules`` so the readers can import it
without importing the parser that combines them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from recpilot.agent.clauses import clause_ids
from recpilot.agent.cues import ORDINALS
from recpilot.preferences import ItemRef, PreferenceState, StateUpdate


@dataclass
class ParseContext:
    last_shown: list[str] = field(default_factory=list)
    focus_item: str | None = None
    state: PreferenceState = field(default_factory=PreferenceState)


@dataclass
class Mention:
    """An item named in the message: where, and what the rules made of it ("liked",
    "more_like", "rejected", "seen"; None: no cue, so only an anchor)."""

    start: int
    end: int
    ref: ItemRef
    label: str | None


@dataclass
class Turn:
    """One utterance being parsed: its tokens and what has been read so far."""

    text: str
    tokens: list[str]
    caps: list[bool]
    ctx: ParseContext
    up: StateUpdate = field(default_factory=StateUpdate)
    mentions: list[Mention] = field(default_factory=list)
    structured: int = 0
    fuzzy_budget: int = 3  # fuzzy title look-ups per message (each scans every title)

    def __post_init__(self) -> None:
        self.joined = " ".join(self.tokens)
        self.taken = np.zeros(len(self.tokens), dtype=bool)
        # tokens of a sentence that turns an item down (what it names there are its reasons), or
        # that praises one ("loved The Martian, the humor and the science": what it liked in it)
        self.reasons = np.zeros(len(self.tokens), dtype=bool)
        self.praise = np.zeros(len(self.tokens), dtype=bool)
        self.clause = clause_ids(self.tokens)
        self.spans = _char_to_token(self.tokens)

    def mark_reasons(self, i: int, praise: bool = False, after: bool = False) -> None:
        """Marks the sentence around token ``i`` as giving reasons for a dislike (or, with
        ``praise``, what the user liked about an item); ``after``: only from ``i`` on ("nothing
        by Tolkien" says nothing of the "dark fantasy" before it)."""
        lo = i
        while not after and lo > 0 and self.tokens[lo - 1] not in (".", "!", "?", ";", "but"):
            lo -= 1
        hi = i
        while hi < len(self.tokens) and self.tokens[hi] not in (".", "!", "?", ";", "but"):
            hi += 1
        if praise:  # "Loved The Martian!! the humor and all the science ..." goes on in the next sentence
            a = hi
            while a < len(self.tokens) and self.tokens[a] in (".", "!", "?"):
                a += 1
            b = a
            while b < len(self.tokens) and self.tokens[b] not in (".", "!", "?", ";", "but"):
                b += 1
            asking = (b < len(self.tokens) and self.tokens[b] == "?") or _ASKING & set(self.tokens[a:b])
            if not asking:  # "... Any good fantasy recommendations?" is the request, not the praise
                hi = b
        (self.praise if praise else self.reasons)[lo:hi] = True

    def clause_start(self, i: int) -> int:
        """The first token of the clause token ``i`` is in."""
        lo = i
        while lo > 0 and self.clause[lo - 1] == self.clause[i]:
            lo -= 1
        return lo

    def span(self, m: re.Match, group: int | str = 0) -> tuple[int, int]:
        return self.spans[m.start(group)], self.spans[max(m.end(group) - 1, m.start(group))] + 1

    def free(self, m: re.Match) -> bool:
        a, b = self.span(m)
        return not self.taken[a:b].any()

    def take(self, m: re.Match, keep_refs: bool = False) -> None:
        a, b = self.span(m)
        for i in range(a, b):
            if not (keep_refs and _ref_word(self.tokens[i])):
                self.taken[i] = True


#: words of a sentence that asks for something rather than describes a book read
_ASKING = frozenset("""looking recommend recommendations recommendation rec recs suggest suggestions suggestion
    want need any anything something what mood""".split())


def _ref_word(tok: str) -> bool:
    """A word that may name a shown item ("#2", "second", "one", "it"), kept for the reference reader."""
    return tok in ORDINALS or tok.isdigit() or tok.startswith("#") or tok in ("one", "it", "that", "this", "last")


def _char_to_token(tokens: list[str]) -> dict[int, int]:
    spans, pos = {}, 0
    for i, t in enumerate(tokens):
        for k in range(len(t) + 1):
            spans[pos + k] = i
        pos += len(t) + 1
    return spans
