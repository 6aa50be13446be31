"""Refine or start over: whether a message narrows the current request or asks for something new.

"A fantasy novel from the 90s" then "a cozy mystery" is a new request: piling the mystery on
top of fantasy-from-the-90s would answer a question nobody asked. "Something newer" or "by
Stephen King" refines. The parser reports explicit markers ("now I'd like", "actually,
something different": ``StateUpdate.topic``); without one, a different kind of item (another
value of the catalog's kind field, e.g. another genre) while one is in force starts over when
it is asked for as a thing of its own ("a cozy mystery", "a horror novel") or when the two
together would leave almost nothing; "make it horror" after "graphic novels" narrows to horror
graphic novels. Item verdicts (liked, rejected, read) always carry over.
"""

from __future__ import annotations

import re

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
    if not (wanted and current) or wanted & current:
        return False
    # another kind: "a cozy mystery", "a horror novel" is a request of its own; "make it horror"
    # adds to the current one unless the two together leave (almost) nothing to show
    said = [c.source or "" for c in update.add_constraints if c.field == kind and c.op == "include"]
    said += [p.source or "" for p in update.likes if p.field == kind and p.origin == "request"]
    if any(_ARTICLE.search(text) for text in said):
        return True
    together = list(state.constraints) + list(update.add_constraints)
    return int(catalog.mask(together).sum()) < TOO_FEW


#: fewer items than this fit the current request and the new kind together: read as a new request
TOO_FEW = 5
_ARTICLE = re.compile(r"\b(?:a|an|another)\b")
