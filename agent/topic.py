"""Refine or start over: whether a message narrows the current request or asks for something new.

"A fantasy novel from the 90s" then "a cozy mystery" is a new request: piling the mystery on
top of fantasy-from-the-90s would answer a question nobody asked. "Something newer" or "by
Stephen King" refines. The parser reports explicit markers ("now I'd like", "actually,
something different": ``StateUpdate.topic``); without one, a request for a different kind of
item (another value of the catalog's kind field, e.g. another genre) while one is in force
starts over. Item verdicts (liked, rejected, read) always carry over.
"""

from __future__ import annotations

from recpilot.catalog import Catalog, kind_field
from recpilot.preferences import PreferenceState, StateUpdate


def decide_topic(state: PreferenceState, update: StateUpdate, catalog: Catalog) -> bool:
    """True when ``update`` starts a new request over ``state``'s current one."""
    if update.reset or update.intent not in ("recommend", "refine") or state.request_part() is None:
        return False
    if update.topic is not None:
        return update.topic == "new"
    kind = kind_field(catalog)
    if kind is None:
        return False
    wanted = {str(c.value).lower() for c in update.add_constraints if c.field == kind and c.op == "include"}
    wanted |= {p.value.lower() for p in update.likes if p.field == kind and p.origin == "request"}
    current = {str(c.value).lower() for c in state.constraints if c.field == kind and c.op == "include"}
    current |= {p.value.lower() for p in state.likes if p.field == kind and p.origin == "request"}
    return bool(wanted and current and not wanted & current)
