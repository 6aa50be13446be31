"""Clauses and the cue phrases around a span: how a cue word reaches a value (see ``rules``).

Every reader (values, items, numbers) asks which cue governs the words it found, so the
clause split, the cue look-up and the polarity rule they share live here once.
"""

from __future__ import annotations

from recpilot.agent.cues import CLAUSE_BREAKS, POLARITY_CUES, POSTFIX_CUES


def clause_ids(tokens: list[str]) -> list[int]:
    """A clause id per token; a break token gets -1, so that no clause includes it. "but"
    after "anything"/"any genre" means "except" and does not break."""
    out, c = [], 0
    for i, t in enumerate(tokens):
        if t in CLAUSE_BREAKS and not (t == "but" and _except_but(tokens, i)):
            c += 1
            out.append(-1)
            continue
        out.append(c)
    return out


def _except_but(tokens: list[str], i: int) -> bool:
    prev = tokens[i - 1] if i else ""
    return prev in ("anything", "everything", "all", "nothing", "whatever") or i >= 2 and tokens[i - 2] == "any"


def nearest_cue(tokens, clause, start, table, end_at: int | None = None) -> tuple[str, int] | None:
    """The cue phrase nearest before ``start`` in its clause: (label, distance in tokens).
    Overlapping cues resolve to the longest ("not a fan of" over "fan of", "no more" over "more")."""
    if start >= len(tokens) or not tokens:
        return None
    cid = clause[start]
    lo = start
    while lo > 0 and clause[lo - 1] == cid and start - lo < 15:
        lo -= 1
    index = _index(table)
    hits = []  # (end, start, label)
    for s in range(lo, start):
        for phrase, label in index.get(tokens[s], ()):
            n = len(phrase)
            if s + n <= start and tuple(tokens[s : s + n]) == phrase and (end_at is None or s + n == end_at):
                hits.append((s + n, s, label))
    if not hits:
        return None
    last_end, last_start, _ = max(hits, key=lambda h: (h[0], -h[1]))
    cluster = [h for h in hits if h[0] > last_start or h[1] >= last_start]
    end, s, label = min(cluster, key=lambda h: (h[1], -h[0]))
    return label, start - max(end, last_end)


def postfix_cue(tokens, clause, end, table) -> tuple[str, int] | None:
    """The cue phrase nearest after ``end`` in its clause ("horror is fine")."""
    if end >= len(tokens) or end == 0:
        return None
    cid = clause[end - 1]
    index = _index(table)
    for s in range(end, min(len(tokens), end + 15)):
        if clause[s] != cid:
            break
        for phrase, label in sorted(index.get(tokens[s], ()), key=lambda c: -len(c[0])):
            if tuple(tokens[s : s + len(phrase)]) == phrase:
                return label, s - end
    return None


_indexes: dict[int, dict[str, list]] = {}


def _index(table) -> dict[str, list]:
    """Cue phrases by first word (the tables are module constants, indexed once)."""
    key = id(table)
    if key not in _indexes:
        index: dict[str, list] = {}
        for phrase, label in table:
            index.setdefault(phrase[0], []).append((phrase, label))
        _indexes[key] = index
    return _indexes[key]


def polarity_at(tokens: list[str], clause: list[int], start: int, end: int) -> str:
    """How the words at [start, end) are meant: request, soft_pos, soft_neg, hard_neg or retract."""
    before = nearest_cue(tokens, clause, start, POLARITY_CUES)
    after = postfix_cue(tokens, clause, end, POSTFIX_CUES)
    if after is not None and (before is None or after[1] < before[1]):
        return after[0]
    return before[0] if before else "request"
