"""Expectation checks for scripted dialogues: one ``Check`` per expectation a turn sets.

``_TurnView`` is one turn's reply with the turns before it (to resolve ``shown#N`` and
``turnT#N``); ``check_turn`` compares it with the turn's ``Expect``. Kept apart from the
runner because it reads only a reply and the catalog, never the agent.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from recpilot.agent.steps import TurnResult
from recpilot.simulator.dialogues_format import _REF, Expect, ItemPredicate, SharePredicate

#: what a check reports when the state has no such attribute yet (checks written ahead of the state)


class Check(BaseModel):
    turn: int
    name: str
    expected: str
    actual: str = ""
    passed: bool


class _TurnView:
    """One turn's reply with what came before it, for the checks."""

    def __init__(self, catalog, reply: TurnResult, notes: list[str], history: list[TurnResult]):
        self.catalog, self.reply, self.notes, self.history = catalog, reply, notes, history
        self.ids = [i.id for i in reply.items]

    def resolve(self, ref: str) -> tuple[str | None, str]:
        """(item id or None, how it was resolved)."""
        m = _REF.match(ref)
        if not m:
            return ref, ref
        rank = int(m.group("rank"))
        if m.group("turn"):
            t = int(m.group("turn"))
            items = self.history[t - 1].items if 1 <= t <= len(self.history) else []
        else:
            items = next((h.items for h in reversed(self.history) if h.items), [])
        if not 1 <= rank <= len(items):
            return None, f"{ref} (no such item was shown)"
        return items[rank - 1].id, f"{ref}={items[rank - 1].id}"

    def title(self, item_id: str) -> str:
        return self.catalog.get(item_id).title if self.catalog.has(item_id) else "(not in catalog)"


def _c(name: str, expected: str, actual: str, passed: bool) -> Check:
    return Check(turn=0, name=name, expected=expected, actual=actual, passed=bool(passed))


def check_turn(expect: Expect, v: _TurnView) -> list[Check]:
    """One ``Check`` per expectation that was set."""
    r, state = v.reply, v.reply.state
    out: list[Check] = []
    if expect.intent is not None:
        allowed = expect.intent if isinstance(expect.intent, list) else [expect.intent]
        out.append(_c("intent", " or ".join(allowed), r.intent, r.intent in allowed))
    if expect.question is not None:
        out.append(_c("question", "asked" if expect.question else "not asked", repr(r.question),
                      (r.question is not None) == expect.question))
    if expect.min_items is not None:
        out.append(_c("min_items", f">= {expect.min_items}", str(len(r.items)), len(r.items) >= expect.min_items))
    if expect.max_items is not None:
        out.append(_c("max_items", f"<= {expect.max_items}", str(len(r.items)), len(r.items) <= expect.max_items))
    constraints = "; ".join(c.key for c in state.constraints) or "(none)"
    for spec in expect.has_constraint:
        out.append(_c("has_constraint", str(spec), constraints, any(spec.matches(c) for c in state.constraints)))
    for spec in expect.lacks_constraint:
        out.append(_c("lacks_constraint", str(spec), constraints, not any(spec.matches(c) for c in state.constraints)))
    for name, specs, prefs, want in (("likes", expect.likes, state.likes, True),
                                     ("lacks_like", expect.lacks_like, state.likes, False),
                                     ("dislikes", expect.dislikes, state.dislikes, True),
                                     ("lacks_dislike", expect.lacks_dislike, state.dislikes, False)):
        shown = "; ".join(p.key for p in prefs) or "(none)"
        for spec in specs:
            out.append(_c(name, str(spec), shown, any(spec.matches(p) for p in prefs) == want))
    words = "; ".join(state.keywords) or "(none)"
    for word in expect.keywords:
        out.append(_c("keywords", word, words, any(word.lower() in k.lower() for k in state.keywords)))
    for word in expect.lacks_keyword:
        out.append(_c("lacks_keyword", word, words, not any(word.lower() in k.lower() for k in state.keywords)))
    if expect.sort is not None:
        out.append(_c("sort", expect.sort, str(state.sort), state.sort == expect.sort))
    for name, refs, have in (("liked_items", expect.liked_items, state.liked_items),
                             ("rejected_items", expect.rejected_items, state.rejected_items),
                             ("read_items", expect.read_items, state.read_items),
                             ("anchors", expect.anchors, state.anchors)):
        ids = [x.id for x in have]
        for ref in refs:
            item_id, label = v.resolve(ref)
            out.append(_c(name, label, ", ".join(ids) or "(none)", item_id is not None and item_id in ids))
    if expect.unmentioned:
        named = {name: [x.id for x in getattr(state, name)]
                 for name in ("liked_items", "rejected_items", "anchors", "read_items")}
        named["accepted_item"] = [state.accepted_item.id] if state.accepted_item else []
        for ref in expect.unmentioned:
            item_id, label = v.resolve(ref)
            where = [name for name, ids in named.items() if item_id in ids]
            out.append(_c("unmentioned", label, f"in {', '.join(where)}" if where else "not in the state",
                          item_id is not None and not where))
    for pred in expect.every_item:
        out.append(_every_item(pred, v))
    for share_pred in expect.most_items:
        out.append(_most_items(share_pred, v))
    for ref in expect.items_include:
        item_id, label = v.resolve(ref)
        out.append(_c("items_include", label, ", ".join(v.ids) or "(none)", item_id in v.ids))
    for ref in expect.items_exclude:
        item_id, label = v.resolve(ref)
        out.append(_c("items_exclude", label, ", ".join(v.ids) or "(none)", item_id is not None and item_id not in v.ids))
    for pattern in expect.item_title_matches:
        titles = [i.title for i in r.items]
        out.append(_c("item_title_matches", pattern, " | ".join(titles) or "(no items)",
                      any(re.search(pattern, t, re.I) for t in titles)))
    for pattern in expect.no_item_title_matches:
        hits = [i.title for i in r.items if re.search(pattern, i.title, re.I)]
        out.append(_c("no_item_title_matches", pattern, " | ".join(hits) or "none", not hits))
    if expect.set_aside is not None:
        out.append(_set_aside(expect.set_aside, state))
    out += _remembered(expect, state)
    if expect.no_rejected_items:
        rejected = {x.id for s in [state, *(h.state for h in v.history)] for x in s.rejected_items + s.read_items}
        bad = [i for i in v.ids if i in rejected]
        out.append(_c("no_rejected_items", "no item rejected earlier", ", ".join(bad) or "none", not bad))
    if expect.new_items:
        seen = {i.id for h in v.history for i in h.items}
        again = [i for i in v.ids if i in seen]
        out.append(_c("new_items", "no item shown before", ", ".join(again) or "none", not again))
    details_id = (r.details or {}).get("id")
    if expect.details is not None:
        out.append(_c("details", "given" if expect.details else "not given", str(details_id),
                      (r.details is not None) == expect.details))
    if expect.details_of is not None:
        item_id, label = v.resolve(expect.details_of)
        out.append(_c("details_of", label, str(details_id), item_id is not None and details_id == item_id))
    if expect.mentions_field is not None:
        out.append(_mentions_field(expect.mentions_field, v))
    text = r.message + ("\n" + r.question if r.question else "")
    for pattern in expect.says:
        out.append(_c("says", pattern, text, re.search(pattern, text, re.I) is not None))
    for pattern in expect.says_not:
        found = re.search(pattern, text, re.I)
        out.append(_c("says_not", pattern, f"said {found.group(0)!r} in: {text}" if found else "not said", found is None))
    for pattern in expect.parse_notes:
        out.append(_c("parse_notes", pattern, "; ".join(v.notes) or "(none)",
                      any(re.search(pattern, n, re.I) for n in v.notes)))
    if expect.no_warnings:
        out.append(_c("no_warnings", "no warnings", "; ".join(r.warnings) or "none", not r.warnings))
    return out


def _every_item(pred: ItemPredicate, v: _TurnView) -> Check:
    catalog = v.catalog
    fields = catalog.schema.fields | {"title"}
    if pred.field not in fields:
        return _c("every_item", str(pred), f"unknown field {pred.field!r} (fields: {', '.join(sorted(fields))})", False)
    if not v.ids:
        return _c("every_item", str(pred), "no items", False)
    failing = []
    for item_id in v.ids:
        if not catalog.has(item_id):
            failing.append(f"{item_id} (not in catalog)")
            continue
        value = catalog.get(item_id).public().get(pred.field)
        if not _holds(pred, value):
            failing.append(f"{item_id} ({pred.field}={value})")
    actual = f"{len(v.ids) - len(failing)}/{len(v.ids)} hold" + (f"; fails: {', '.join(failing[:5])}" if failing else "")
    return _c("every_item", str(pred), actual, not failing)


def _most_items(pred: SharePredicate, v: _TurnView) -> Check:
    """At least ``pred.share`` of the items hold; unknown fields and empty lists fail, as in every_item."""
    fields = v.catalog.schema.fields | {"title"}
    if pred.field not in fields:
        return _c("most_items", str(pred), f"unknown field {pred.field!r} (fields: {', '.join(sorted(fields))})", False)
    if not v.ids:
        return _c("most_items", str(pred), "no items", False)
    failing = []
    for item_id in v.ids:
        value = v.catalog.get(item_id).public().get(pred.field) if v.catalog.has(item_id) else None
        if not _holds(pred, value):
            failing.append(f"{item_id} ({pred.field}={value})")
    held = len(v.ids) - len(failing)
    actual = f"{held}/{len(v.ids)} hold" + (f"; fails: {', '.join(failing[:5])}" if failing else "")
    return _c("most_items", str(pred), actual, held >= pred.share * len(v.ids) - 1e-9)


def _set_aside(want: bool, state: Any) -> Check:
    expected = "an earlier request set aside" if want else "nothing set aside"
    shown = "; ".join(a.label for a in state.set_aside) or "(nothing)"
    return _c("set_aside", expected, shown, bool(state.set_aside) == want)


def _remembered(expect: Expect, state: Any) -> list[Check]:
    """Likes and dislikes recalled from long-term memory (``Preference.origin == "memory"``)."""
    specs = [("remembered", s, True) for s in expect.remembered]
    specs += [("lacks_remembered", s, False) for s in expect.lacks_remembered]
    if not specs:
        return []
    recalled = [p for p in state.likes + state.dislikes if p.origin == "memory"]
    shown = "; ".join(p.key for p in recalled) or "(none)"
    return [_c(name, str(spec), shown, any(spec.matches(p) for p in recalled) == want) for name, spec, want in specs]


def _holds(pred: ItemPredicate, value: Any) -> bool:
    if pred.op in ("include", "exclude"):
        values = value if isinstance(value, list) else ([] if value is None else [value])
        wanted = pred.value if isinstance(pred.value, list) else [pred.value]
        hit = bool({str(w).lower() for w in wanted} & {str(x).lower() for x in values})
        return hit if pred.op == "include" else not hit
    if pred.op == "eq" and isinstance(pred.value, str):
        return str(value).lower() == pred.value.lower()
    try:
        a, b = float(value), float(pred.value)
    except (TypeError, ValueError):
        return False
    return {"eq": a == b, "gte": a >= b, "lte": a <= b, "gt": a > b, "lt": a < b}[pred.op]


def _mentions_field(field: str, v: _TurnView) -> Check:
    details = v.reply.details or {}
    value = details.get(field)
    if value in (None, "", []):
        return _c("mentions_field", field, f"the reply has no item with a {field!r} value", False)
    first = str(value[0] if isinstance(value, list) else value)
    return _c("mentions_field", f"{field}: {first}", v.reply.message, first.lower() in v.reply.message.lower())
