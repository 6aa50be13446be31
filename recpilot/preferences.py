"""The typed, cumulative picture of what a user wants, and the updates that change it.

The parser produces a ``StateUpdate`` per utterance; ``PreferenceState.apply`` folds it in.
Every hard constraint and soft preference carries a stable ``key`` so that a UI chip, an
API PATCH or a later utterance ("actually horror is fine") can remove exactly that entry.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

Intent = Literal["recommend", "refine", "ask_item", "accept", "reject", "chitchat", "reset", "out_of_domain"]
Op = Literal["include", "exclude", "gte", "lte"]
#: Where a soft preference comes from: part of this request ("a dark fantasy"), a statement of
#: taste ("I love fantasy": kept across requests and remembered), or recalled from memory.
Origin = Literal["request", "taste", "memory"]
#: What a parser note is about. ``unapplied`` notes are said back to the user in the reply.
NoteKind = Literal["unapplied", "tell", "read", "retracted", "reset", "injection", "dropped_field", "rejected_shown",
                   "learned", "llm", "new_request", "series", "audience", "info"]
#: How many earlier requests a session keeps set aside (restorable).
MAX_SET_ASIDE = 3
#: Bounds on one session's state: past them the oldest entries go (a turn) or the request is
#: refused (an edit through the API, MCP or LangChain), so no session can grow without end.
MAX_CONSTRAINTS = 50
MAX_PREFERENCES = 100
MAX_ITEM_REFS = 500


def _finite(number: int | float) -> bool:
    """False for NaN, infinity and an integer too large to be a float (10**400, which JSON allows)."""
    try:
        return math.isfinite(number)
    except OverflowError:
        return False


class Constraint(BaseModel):
    """A hard constraint: every recommended item must satisfy it."""

    model_config = {"extra": "forbid"}

    field: str = Field(min_length=1, max_length=100, description="catalog field name, e.g. genres, authors, year")
    op: Op = Field(description="include/exclude a categorical value, or gte/lte a number")
    value: str | float = Field(description="a finite number for gte/lte; a value of the field for include/exclude")
    source: str = Field("", max_length=500, description="the words that produced it")

    @field_validator("value", mode="before")
    @classmethod
    def _plain_value(cls, value: Any) -> Any:
        # true is not 1, NaN and infinity are no bound, and a value is a word or a number
        if isinstance(value, bool):
            raise ValueError("a constraint value is a number or a string, not true/false")
        if isinstance(value, (int, float)) and not _finite(value):
            raise ValueError("a constraint bound must be a finite number")
        if isinstance(value, str) and not 0 < len(value.strip()) <= 200:
            raise ValueError("a constraint value must be 1 to 200 characters")
        return value

    @property
    def key(self) -> str:
        value = self.value.lower() if isinstance(self.value, str) else f"{float(self.value):g}"
        return f"{self.field}:{self.op}:{value}"

    def satisfied_by(self, item: Any) -> bool:
        """``item`` is a ``recpilot.schema.Item``; a missing numeric value fails a range."""
        if self.op in ("include", "exclude"):
            values = {v.lower() for v in item.categorical.get(self.field, [])}
            hit = str(self.value).lower() in values
            return hit if self.op == "include" else not hit
        number = item.numeric.get(self.field)
        if number is None:
            return False
        return number >= float(self.value) if self.op == "gte" else number <= float(self.value)

    def describe(self) -> str:
        words = {"include": "is", "exclude": "is not", "gte": "≥", "lte": "≤"}
        value = self.value if isinstance(self.value, str) else f"{float(self.value):g}"
        return f"{self.field} {words[self.op]} {value}"


class Preference(BaseModel):
    """A soft preference: raises (weight > 0) or lowers (weight < 0) an item's score."""

    model_config = {"extra": "forbid"}

    field: str | None = Field(None, description="catalog field, or None for a free-text descriptor")
    value: str
    weight: float = Field(1.0, ge=-3.0, le=3.0)
    source: str = ""
    origin: Origin = Field("request", description="request, taste (kept across requests) or memory")
    meaning: str | None = Field(None, description="for a free-text descriptor: what it is matched by, by "
                                "embedding ('uplifting' -> 'uplifting hopeful heartwarming feel-good story')")

    @property
    def key(self) -> str:
        return f"{self.field or 'text'}:{self.value.lower()}"


class ItemRef(BaseModel):
    id: str
    title: str
    remembered: bool = Field(False, description="recalled from an earlier session's memory")


class Note(BaseModel):
    """How the parser read something; ``kind`` says what it is about, ``text`` says it to a person."""

    kind: NoteKind = "info"
    text: str
    item_id: str | None = None

    def __str__(self) -> str:
        return self.text


class SetAside(BaseModel):
    """An earlier request the user moved on from: kept so that one click brings it back."""

    key: str
    label: str
    constraints: list[Constraint] = Field(default_factory=list)
    likes: list[Preference] = Field(default_factory=list)
    dislikes: list[Preference] = Field(default_factory=list)
    anchors: list[ItemRef] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    sort: str | None = None


class StateUpdate(BaseModel):
    """What one utterance changes. Produced by the parser, validated, then applied."""

    model_config = {"extra": "forbid"}

    intent: Intent = "recommend"
    add_constraints: list[Constraint] = Field(default_factory=list)
    remove_keys: list[str] = Field(default_factory=list, description="keys of constraints/preferences to drop")
    remove_fields: list[str] = Field(default_factory=list, description="drop every constraint on these fields")
    likes: list[Preference] = Field(default_factory=list)
    dislikes: list[Preference] = Field(default_factory=list)
    liked_items: list[ItemRef] = Field(default_factory=list)
    rejected_items: list[ItemRef] = Field(default_factory=list)
    read_items: list[ItemRef] = Field(default_factory=list, description="already read/seen, no verdict")
    anchors: list[ItemRef] = Field(default_factory=list, description="'something like X'")
    asked_item: ItemRef | None = Field(None, description="item the user asks about")
    asked_about: Literal["people", "year", "rating", "genre", "length", "about"] | None = Field(
        None, description="what the user asks about the item: its author, year, rating, kind, length, or in general")
    accepted_item: ItemRef | None = None
    keywords: list[str] = Field(default_factory=list, description="free-text descriptors for retrieval")
    sort: Literal["newer", "older", "popular", "obscure", "better_rated", "series_order"] | None = None
    reset: bool = False
    topic: Literal["refine", "new"] | None = Field(
        None, description="the parser's reading: refines the current request or starts a new one; None: undecided")
    notes: list[Note] = Field(default_factory=list, description="how the parser read the utterance")

    def is_empty(self) -> bool:
        return not any(
            [self.add_constraints, self.remove_keys, self.remove_fields, self.likes, self.dislikes,
             self.liked_items, self.rejected_items, self.read_items, self.anchors, self.asked_item,
             self.accepted_item, self.keywords, self.sort, self.reset]
        )

    def note(self, text: str, kind: NoteKind = "info", item_id: str | None = None) -> None:
        self.notes.append(Note(kind=kind, text=text, item_id=item_id))

    def says_request(self) -> bool:
        """Whether it states what to look for (not only what the user thinks of items)."""
        return bool(self.add_constraints or [p for p in self.likes + self.dislikes if p.origin == "request"]
                    or self.anchors or self.keywords or self.sort)


class PreferenceState(BaseModel):
    """Cumulative, editable state of one session."""

    constraints: list[Constraint] = Field(default_factory=list)
    likes: list[Preference] = Field(default_factory=list)
    dislikes: list[Preference] = Field(default_factory=list)
    liked_items: list[ItemRef] = Field(default_factory=list)
    rejected_items: list[ItemRef] = Field(default_factory=list)
    read_items: list[ItemRef] = Field(default_factory=list, description="already read/seen: never recommended, "
                                      "still evidence of taste")
    anchors: list[ItemRef] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    sort: str | None = None
    set_aside: list[SetAside] = Field(default_factory=list, description="earlier requests, newest last (restorable)")
    accepted_item: ItemRef | None = None
    last_intent: Intent | None = None
    notes: list[str] = Field(default_factory=list, description="fallbacks in force, e.g. no trained ranker")

    def apply(self, update: StateUpdate) -> PreferenceState:
        """Returns the new state; the old one is untouched (so a failed turn loses nothing)."""
        state = PreferenceState() if update.reset else self.model_copy(deep=True)
        drop = {k.lower() for k in update.remove_keys}
        fields = set(update.remove_fields)
        new_keys = {c.key for c in update.add_constraints}
        new_pref_keys = {p.key for p in update.likes + update.dislikes}

        def keep_c(c: Constraint) -> bool:
            return c.key not in drop and c.field not in fields and not _contradicts(c, update.add_constraints)

        state.constraints = [c for c in state.constraints if keep_c(c) and c.key not in new_keys]
        state.constraints += _dedupe(update.add_constraints, lambda c: c.key)
        # A value the user now asks for can no longer be excluded (a taste or a remembered like
        # does not lift "none by Austen, I've read them all").
        liked_values = {(p.field, p.value.lower()) for p in update.likes if p.origin == "request"}
        state.constraints = [
            c for c in state.constraints
            if not (c.op == "exclude" and (c.field, str(c.value).lower()) in liked_values)
        ]
        state.likes = [p for p in state.likes if p.key not in drop and p.key not in new_pref_keys]
        state.dislikes = [p for p in state.dislikes if p.key not in drop and p.key not in new_pref_keys]
        state.likes += _dedupe(update.likes, lambda p: p.key)
        state.dislikes += _dedupe(update.dislikes, lambda p: p.key)
        if fields:
            state.likes = [p for p in state.likes if p.field not in fields]
            state.dislikes = [p for p in state.dislikes if p.field not in fields]

        # One verdict per item, the latest: liked, rejected or read (read without a verdict).
        rejected = {r.id for r in update.rejected_items}
        liked = {r.id for r in update.liked_items}
        read = {r.id for r in update.read_items} - liked - rejected
        state.liked_items = _merge_refs(state.liked_items, update.liked_items, exclude=rejected | read)
        state.rejected_items = _merge_refs(state.rejected_items, update.rejected_items, exclude=liked | read)
        state.read_items = _merge_refs(state.read_items, [r for r in update.read_items if r.id in read],
                                       exclude=liked | rejected)
        # "something like X" is an anchor even if X was read before: X itself stays excluded
        # from recommendations, but items like it are wanted.
        state.anchors = _merge_refs(state.anchors, update.anchors, exclude=rejected)
        # "something like X" after turning X down: the later statement stands
        wanted = {r.id for r in update.anchors} - rejected
        state.rejected_items = [r for r in state.rejected_items if r.id not in wanted]
        dropped_words = {k.removeprefix("text:") for k in drop if k.startswith("text:")}
        kept = [_without_words(k, dropped_words) for k in state.keywords if k.lower() not in drop]
        state.keywords = list(dict.fromkeys([k for k in kept if k] + update.keywords))[-8:]
        if update.sort:
            state.sort = update.sort
        state.bound()
        if update.accepted_item:
            state.accepted_item = update.accepted_item
        state.last_intent = update.intent
        return state

    def bound(self) -> None:
        """Keeps the newest entries within the session bounds (``MAX_CONSTRAINTS`` ...)."""
        self.constraints = self.constraints[-MAX_CONSTRAINTS:]
        self.likes = self.likes[-MAX_PREFERENCES:]
        self.dislikes = self.dislikes[-MAX_PREFERENCES:]
        for name in ("liked_items", "rejected_items", "read_items", "anchors"):
            setattr(self, name, getattr(self, name)[-MAX_ITEM_REFS:])
        self.notes = self.notes[-20:]

    def remove(self, key: str) -> PreferenceState:
        """Drops one constraint, preference, keyword, item reference or set-aside request by key (a UI chip)."""
        key = key.lower()
        state = self.model_copy(deep=True)
        state.constraints = [c for c in state.constraints if c.key != key]
        state.likes = [p for p in state.likes if p.key != key]
        state.dislikes = [p for p in state.dislikes if p.key != key]
        state.keywords = [k for k in state.keywords if f"text:{k.lower()}" != key and k.lower() != key]
        for name in ("liked_items", "rejected_items", "read_items", "anchors"):
            setattr(state, name, [r for r in getattr(state, name) if f"item:{r.id}".lower() != key])
        state.set_aside = [a for a in state.set_aside if a.key != key]
        return state

    # --- requests: a new one sets the current one aside ------------------------------------------
    def request_part(self) -> SetAside | None:
        """The current request (what to look for now), or None when there is none. Excludes stay
        ("nothing by Tolkien" is a standing wish), and so do item verdicts and what came from
        memory; what the user said they like ("I like thrillers") steers this request only, and
        lives on in long-term memory."""
        part = SetAside(
            key="", label="",
            constraints=[c for c in self.constraints if c.op != "exclude"],
            likes=[p for p in self.likes if p.origin != "memory"],
            dislikes=[p for p in self.dislikes if p.origin == "request"],
            anchors=list(self.anchors), keywords=list(self.keywords), sort=self.sort,
        )
        if not (part.constraints or part.likes or part.dislikes or part.anchors or part.keywords or part.sort):
            return None
        part.label = _request_label(part)
        return part

    def start_new_request(self) -> PreferenceState:
        """The current request set aside (restorable); item verdicts and taste stay."""
        part = self.request_part()
        if part is None:
            return self
        state = self.model_copy(deep=True)
        n = max((int(a.key.rsplit(":", 1)[-1]) for a in state.set_aside if a.key.rsplit(":", 1)[-1].isdigit()),
                default=0)
        part.key = f"aside:{n + 1}"
        drop_c = {c.key for c in part.constraints}
        drop_p = {p.key for p in part.likes + part.dislikes}
        state.constraints = [c for c in state.constraints if c.key not in drop_c]
        state.likes = [p for p in state.likes if p.key not in drop_p]
        state.dislikes = [p for p in state.dislikes if p.key not in drop_p]
        state.anchors, state.keywords, state.sort = [], [], None
        state.set_aside = (state.set_aside + [part])[-MAX_SET_ASIDE:]
        return state

    def restore(self, key: str) -> PreferenceState:
        """Brings a set-aside request back in place of the current one, which is set aside in
        its turn: the two are different requests ("fantasy from the 90s" and "a cozy mystery"),
        and one on top of the other would fit nothing."""
        key = key.lower()
        part = next((a for a in self.set_aside if a.key == key), None)
        if part is None:
            from recpilot.errors import UserError

            raise UserError(f"nothing set aside under {key!r}")
        state = self.start_new_request().apply(StateUpdate(intent="refine", add_constraints=part.constraints, likes=part.likes,
                                       dislikes=part.dislikes, anchors=part.anchors, keywords=part.keywords,
                                       sort=part.sort))  # type: ignore[arg-type]
        state.set_aside = [a for a in state.set_aside if a.key != key]
        return state

    def chips(self) -> list[dict[str, str]]:
        """Every removable entry as {key, kind, label}: what a UI shows. What came from long-term
        memory is its own kind ("remembered": removing it forgets it); an earlier request set
        aside is "set_aside" (choosing it brings the request back)."""

        def pref(p: Preference, kind: str, verb: str) -> dict[str, str]:
            if p.origin == "memory":
                return {"key": p.key, "kind": "remembered", "label": f"remembered: {verb} {p.value}"}
            return {"key": p.key, "kind": kind, "label": f"{verb} {p.value}"}

        def item(r: ItemRef, kind: str, verb: str) -> dict[str, str]:
            if r.remembered:
                return {"key": f"item:{r.id}", "kind": "remembered", "label": f"remembered: {verb} {r.title}"}
            return {"key": f"item:{r.id}", "kind": kind, "label": f"{verb} {r.title}"}

        out = [{"key": c.key, "kind": "constraint", "label": c.describe()} for c in self.constraints]
        out += [pref(p, "like", "likes") for p in self.likes]
        excluded = {(c.field, str(c.value).lower()) for c in self.constraints if c.op == "exclude"}
        out += [pref(p, "dislike", "dislikes") for p in self.dislikes
                if (p.field, p.value.lower()) not in excluded]  # one chip per fact: the exclusion says it
        out += [{"key": f"text:{k.lower()}", "kind": "keyword", "label": k} for k in self.keywords]
        out += [item(r, "liked_item", "liked") for r in self.liked_items]
        out += [{"key": f"item:{r.id}", "kind": "anchor", "label": f"like {r.title}"} for r in self.anchors
                if r.id not in {x.id for x in self.liked_items}]  # one chip: "liked X" says it
        out += [item(r, "rejected_item", "not") for r in self.rejected_items]
        out += [item(r, "read_item", "read") for r in self.read_items]
        out += [{"key": a.key, "kind": "set_aside", "label": f"earlier: {a.label}"} for a in self.set_aside]
        for chip in out:
            chip["group"] = _chip_group(chip, self)
        return out

    def describe(self) -> str:
        parts = [c.describe() for c in self.constraints]
        parts += [f"likes {p.value}" for p in self.likes] + [f"dislikes {p.value}" for p in self.dislikes]
        parts += [f"like {a.title}" for a in self.anchors] + [f"about: {k}" for k in self.keywords]
        return "; ".join(parts) if parts else "(no preferences yet)"

    def is_vague(self) -> bool:
        return not (self.constraints or self.likes or self.anchors or self.keywords or self.liked_items
                    or self.read_items)

    def seen_ids(self) -> set[str]:
        """Items never to recommend: rejected, liked (the user has them) or read."""
        return {r.id for r in self.rejected_items + self.liked_items + self.read_items}


#: how a page groups the chips, in the order it shows the groups
CHIP_GROUPS = ("wanted", "not wanted", "liked", "read", "remembered", "earlier")


def _chip_group(chip: dict[str, str], state: PreferenceState) -> str:
    kind = chip["kind"]
    if kind == "constraint":
        excluded = any(c.key == chip["key"] and c.op == "exclude" for c in state.constraints)
        return "not wanted" if excluded else "wanted"
    return {"dislike": "not wanted", "rejected_item": "not wanted", "liked_item": "liked", "read_item": "read",
            "remembered": "remembered", "set_aside": "earlier"}.get(kind, "wanted")


def _request_label(part: SetAside) -> str:
    """A set-aside request in words ("fantasy, from the 1990s, darker, like The Hobbit")."""
    labels = [str(c.value) for c in part.constraints if c.op == "include"]
    bounds: dict[str, dict[str, float]] = {}
    for c in part.constraints:
        if c.op in ("gte", "lte"):
            bounds.setdefault(c.field, {})[c.op] = float(c.value)
    for name, b in bounds.items():
        low, high = b.get("gte"), b.get("lte")
        if low is not None and high is not None and low % 10 == 0 and high == low + 9 and low > 1000:
            labels.append(f"from the {low:g}s")
        elif low is not None and high is not None:
            labels.append(f"{name} {low:g} to {high:g}")
        else:
            labels.append(f"{name} {'at least' if low is not None else 'at most'} {(low if low is not None else high):g}")
    labels += [p.value for p in part.likes if p.weight > 0] + [f"not {p.value}" for p in part.dislikes]
    labels += [f"like {a.title.split(' (')[0]}" for a in part.anchors] + part.keywords
    labels += [f"{part.sort} first"] if part.sort else []
    return ", ".join(dict.fromkeys(labels))[:120]


def _without_words(phrase: str, words: set[str]) -> str:
    """``phrase`` minus the dropped words ("dark fantasy" less "dark" is "fantasy")."""
    if not words:
        return phrase
    return " ".join(w for w in phrase.split() if w.lower() not in words)


def _contradicts(old: Constraint, new: list[Constraint]) -> bool:
    """A new include of X replaces an old exclude of X (and vice versa); a new bound replaces
    the old bound of the same direction on the same field."""
    for c in new:
        if c.field != old.field:
            continue
        if {c.op, old.op} == {"include", "exclude"} and str(c.value).lower() == str(old.value).lower():
            return True
        if c.op == old.op and c.op in ("gte", "lte"):
            return True
    return False


def _dedupe(values: list, key) -> list:
    seen: dict[str, Any] = {}
    for v in values:
        seen[key(v)] = v
    return list(seen.values())


def _merge_refs(old: list[ItemRef], new: list[ItemRef], exclude: set[str]) -> list[ItemRef]:
    merged = {r.id: r for r in old if r.id not in exclude}
    for r in new:
        merged[r.id] = r
    return list(merged.values())
