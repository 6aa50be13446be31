"""Scripted dialogues: YAML files of user turns, each followed by expectations on the turn.

A file holds one dialogue, or several as YAML documents separated by ``---``::

    name: negation excludes an author
    user: reader-a            # optional: dialogues naming the same user share long-term memory
    turns:
      - say: a fantasy novel from the 90s, nothing by Tolkien
        expect:
          intent: recommend
          has_constraint: [{field: authors, op: exclude, value: J.R.R. Tolkien}]
          every_item: [{field: year, op: gte, value: 1990}]
      - say: more like #2
        expect:
          anchors: [shown#2]        # the 2nd item of the latest turn that showed items

Every model forbids unknown keys, so a typo is an error, not a silently skipped check.
Item references are a catalog id, ``shown#N`` (the Nth item of the latest earlier turn that
showed items, as "#N" means to the agent) or ``turnT#N`` (the Nth item of turn T, from 1).

Each dialogue runs in a fresh session and, unless it names a ``user``, a fresh user; named
users get one fresh id per run, shared by the dialogues naming them, in file order.
"""

from __future__ import annotations

import difflib
import re
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from recpilot.agent.steps import ParseStep, ReplyStep, TurnResult
from recpilot.errors import RecPilotError, UserError
from recpilot.preferences import Constraint, Intent, Preference

_REF = re.compile(r"^(?:shown|turn(?P<turn>\d+))#(?P<rank>\d+)$")
#: ``say: more like #2`` unquoted: YAML would silently drop "#2" as a comment
_UNQUOTED_HASH = re.compile(r"^\s*(?:-\s*)?say:\s*[^\s'\"|>].*\s#")


class DialogueFormatError(UserError):
    """A dialogue file that cannot be read or does not follow the format."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConstraintSpec(_Strict):
    """A hard constraint in the state; ``value`` left out matches any value."""

    field: str
    op: Literal["include", "exclude", "gte", "lte"]
    value: str | float | None = None

    def matches(self, c: Constraint) -> bool:
        if c.field != self.field or c.op != self.op:
            return False
        if self.value is None:
            return True
        if isinstance(self.value, str):
            return str(c.value).lower() == self.value.lower()
        return isinstance(c.value, int | float) and abs(float(c.value) - float(self.value)) < 1e-9

    def __str__(self) -> str:
        return f"{self.field} {self.op} {'(any value)' if self.value is None else self.value}"


class PrefSpec(_Strict):
    """A soft like or dislike; ``field`` left out matches any field, free text included."""

    value: str
    field: str | None = None

    def matches(self, p: Preference) -> bool:
        return p.value.lower() == self.value.lower() and (self.field is None or p.field == self.field)

    def __str__(self) -> str:
        return f"{self.field}={self.value}" if self.field else self.value


class ItemPredicate(_Strict):
    """What every recommended item must satisfy, read from the item's own catalog fields."""

    field: str
    op: Literal["include", "exclude", "eq", "gte", "lte", "gt", "lt"]
    value: str | float

    def __str__(self) -> str:
        return f"{self.field} {self.op} {self.value}"


def _check_ref(value: str) -> str:
    if "#" in value and not _REF.match(value):
        raise ValueError(f"bad item reference {value!r}: use an id, shown#N or turnT#N")
    return value


class Expect(_Strict):
    """Expectations checked after one turn; every key is optional."""

    intent: Intent | list[Intent] | None = None
    question: bool | None = Field(None, description="a clarifying question is (true) or is not (false) asked")
    min_items: int | None = Field(None, ge=0)
    max_items: int | None = Field(None, ge=0)
    has_constraint: list[ConstraintSpec] = Field(default_factory=list)
    lacks_constraint: list[ConstraintSpec] = Field(default_factory=list)
    likes: list[PrefSpec] = Field(default_factory=list)
    lacks_like: list[PrefSpec] = Field(default_factory=list)
    dislikes: list[PrefSpec] = Field(default_factory=list)
    lacks_dislike: list[PrefSpec] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list, description="each is part of some keyword")
    lacks_keyword: list[str] = Field(default_factory=list, description="no keyword contains it")
    sort: str | None = None
    liked_items: list[str] = Field(default_factory=list)
    rejected_items: list[str] = Field(default_factory=list)
    anchors: list[str] = Field(default_factory=list)
    every_item: list[ItemPredicate] = Field(default_factory=list)
    items_include: list[str] = Field(default_factory=list)
    items_exclude: list[str] = Field(default_factory=list)
    item_title_matches: list[str] = Field(default_factory=list, description="regex; some item's title matches")
    no_rejected_items: bool = Field(False, description="no item was rejected earlier in the dialogue")
    new_items: bool = Field(False, description="no item was shown in an earlier turn")
    details: bool | None = Field(None, description="item details are (true) or are not (false) given")
    details_of: str | None = None
    mentions_field: str | None = Field(None, description="the reply names this field's value of the item asked about")
    says: list[str] = Field(default_factory=list, description="regex matched against the message and question")
    parse_notes: list[str] = Field(default_factory=list, description="regex matched against the parser's notes")
    no_warnings: bool = False

    @field_validator("liked_items", "rejected_items", "anchors", "items_include", "items_exclude")
    @classmethod
    def _refs(cls, values: list[str]) -> list[str]:
        return [_check_ref(str(v)) for v in values]

    @field_validator("details_of")
    @classmethod
    def _ref(cls, value: str | None) -> str | None:
        return None if value is None else _check_ref(str(value))

    @field_validator("item_title_matches", "says", "parse_notes")
    @classmethod
    def _regexes(cls, values: list[str]) -> list[str]:
        for v in values:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"bad regular expression {v!r}: {exc}") from None
        return values


class Turn(_Strict):
    say: str
    expect: Expect = Field(default_factory=Expect)


class Dialogue(_Strict):
    name: str
    description: str = ""
    user: str | None = Field(None, description="dialogues naming the same user share long-term memory")
    catalog: str | None = Field(None, description="the catalog it is written for; default: the active one")
    k: int | None = Field(None, ge=1, le=50, description="items per turn")
    turns: list[Turn] = Field(min_length=1)


class LoadedDialogue(BaseModel):
    dialogue: Dialogue
    source: str


# --- loading ----------------------------------------------------------------------------------
def dialogue_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, and the ``*.yaml``/``*.yml`` files directly in each folder named, sorted."""
    out: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        elif path.exists():
            out.append(path)
        else:
            raise DialogueFormatError(f"no such file or folder: {path}")
    return out


def load_dialogues(path: Path) -> list[LoadedDialogue]:
    """Every dialogue in one file; raises ``DialogueFormatError`` with the place and the reason."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise DialogueFormatError(f"{path}: cannot read: {exc}") from exc
    for lineno, line in enumerate(text.splitlines(), start=1):
        if _UNQUOTED_HASH.match(line):
            raise DialogueFormatError(
                f"{path}:{lineno}: quote this utterance: YAML reads ' #' as the start of a comment, "
                f"so the words from '#' on would be lost: {line.strip()}")
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise DialogueFormatError(f"{path}: invalid YAML: {exc}") from exc
    if not docs:
        raise DialogueFormatError(f"{path}: no dialogue in the file")
    out = []
    for i, doc in enumerate(docs, start=1):
        where = f"{path}" + (f" (dialogue {i})" if len(docs) > 1 else "")
        if not isinstance(doc, dict):
            raise DialogueFormatError(f"{where}: a dialogue is a mapping with 'name' and 'turns'")
        doc = {"name": path.stem if len(docs) == 1 else f"{path.stem} #{i}", **doc}
        try:
            dialogue = Dialogue.model_validate(doc)
        except ValidationError as exc:
            raise DialogueFormatError(f"{where}: " + "; ".join(_explain(e) for e in exc.errors()[:5])) from None
        out.append(LoadedDialogue(dialogue=dialogue, source=str(path)))
    return out


def _explain(error: dict) -> str:
    loc = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in error["loc"]).replace(".[", "[")
    if error["type"] == "extra_forbidden":
        key = str(error["loc"][-1])
        model = _model_at(error["loc"][:-1])
        hint = difflib.get_close_matches(key, list(model.model_fields), n=1) if model else []
        known = f"did you mean {hint[0]!r}?" if hint else f"known keys: {', '.join(model.model_fields)}" if model else ""
        return f"{loc}: unknown key {key!r}" + (f" ({known})" if known else "")
    return f"{loc}: {error['msg']}"


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model a validation error's location points into (for 'did you mean')."""
    model: Any = Dialogue
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return None
        model = _inner_model(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


# --- results ----------------------------------------------------------------------------------
class Check(BaseModel):
    turn: int
    name: str
    expected: str
    actual: str = ""
    passed: bool


class TurnLog(BaseModel):
    say: str
    intent: str
    items: list[str] = Field(default_factory=list, description="'id: title' of each item shown")
    question: str | None = None
    message: str = ""


class DialogueResult(BaseModel):
    name: str
    source: str
    user_id: str
    session_id: str | None = None
    checks: list[Check] = Field(default_factory=list)
    turns: list[TurnLog] = Field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.error is None and all(c.passed for c in self.checks)


class RunReport(BaseModel):
    results: list[DialogueResult]
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def summary(self) -> dict[str, int]:
        checks = [c for r in self.results for c in r.checks]
        return {"dialogues": len(self.results), "dialogues_failed": sum(not r.passed for r in self.results),
                "checks": len(checks), "checks_failed": sum(not c.passed for c in checks)}

    def to_json(self) -> dict:
        return {"passed": self.passed, **self.summary(), "seconds": self.seconds,
                "results": [{**r.model_dump(), "passed": r.passed} for r in self.results]}


# --- running ----------------------------------------------------------------------------------
AgentFor = Callable[[str | None], Any]  # catalog name (None: the default) -> RecPilot


def run_dialogues(dialogues: list[LoadedDialogue], agent_for: AgentFor, run_id: str | None = None) -> RunReport:
    """Runs the dialogues in order; named users get one fresh id per run."""
    run_id = run_id or uuid.uuid4().hex[:8]
    users: dict[str, str] = {}
    start = time.perf_counter()
    results = []
    for loaded in dialogues:
        d = loaded.dialogue
        if d.user:
            user_id = users.setdefault(d.user, f"dialogue-{d.user}-{run_id}")
        else:
            user_id = f"dialogue-{uuid.uuid4().hex[:10]}"
        results.append(run_dialogue(agent_for(d.catalog), loaded, user_id))
    return RunReport(results=results, seconds=round(time.perf_counter() - start, 2))


def run_dialogue(agent, loaded: LoadedDialogue, user_id: str) -> DialogueResult:
    d = loaded.dialogue
    result = DialogueResult(name=d.name, source=loaded.source, user_id=user_id)
    start = time.perf_counter()
    history: list[TurnResult] = []
    if d.catalog and d.catalog != agent.catalog.name:
        result.error = f"written for catalog {d.catalog!r}, but the agent runs on {agent.catalog.name!r}"
        return result
    for number, turn in enumerate(d.turns, start=1):
        notes: list[str] = []
        reply = None
        try:
            for step in agent.turn(turn.say, result.session_id, user_id, d.k):
                if isinstance(step, ParseStep):
                    notes = list(step.update.notes)
                elif isinstance(step, ReplyStep):
                    reply = step.result
        except RecPilotError as exc:
            result.error = f"turn {number} ({turn.say!r}): {type(exc).__name__}: {exc}"
            break
        if reply is None:  # the turn loop always ends with a reply; if not, that is a bug to see
            result.error = f"turn {number} ({turn.say!r}): the turn produced no reply"
            break
        result.session_id = reply.session_id
        result.turns.append(TurnLog(say=turn.say, intent=reply.intent, items=[f"{i.id}: {i.title}" for i in reply.items],
                                    question=reply.question, message=reply.message))
        view = _TurnView(agent.catalog, reply, notes, history)
        result.checks += [c.model_copy(update={"turn": number}) for c in check_turn(turn.expect, view)]
        history.append(reply)
    result.seconds = round(time.perf_counter() - start, 3)
    return result


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
                             ("anchors", expect.anchors, state.anchors)):
        ids = [x.id for x in have]
        for ref in refs:
            item_id, label = v.resolve(ref)
            out.append(_c(name, label, ", ".join(ids) or "(none)", item_id is not None and item_id in ids))
    for pred in expect.every_item:
        out.append(_every_item(pred, v))
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
    if expect.no_rejected_items:
        rejected = {x.id for x in state.rejected_items} | {x.id for h in v.history for x in h.state.rejected_items}
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


def _holds(pred: ItemPredicate, value: Any) -> bool:
    if pred.op in ("include", "exclude"):
        values = value if isinstance(value, list) else ([] if value is None else [value])
        hit = str(pred.value).lower() in {str(x).lower() for x in values}
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


# --- text report ------------------------------------------------------------------------------
def format_report(report: RunReport, verbose: bool = True) -> str:
    """Pass/fail per expectation (all of them when ``verbose``, else only the failures)."""
    lines = []
    for r in report.results:
        checks = r.checks
        status = "PASS" if r.passed else "FAIL"
        lines.append(f"{status}  {r.name}  ({r.source}; {sum(c.passed for c in checks)}/{len(checks)} checks, "
                     f"{r.seconds:.1f} s)")
        if r.error:
            lines.append(f"      ERROR {r.error}")
        for number, turn in enumerate(r.turns, start=1):
            turn_checks = [c for c in checks if c.turn == number and (verbose or not c.passed)]
            if not turn_checks:
                continue
            lines.append(f"    turn {number}: {turn.say!r} -> intent {turn.intent}, {len(turn.items)} items")
            for c in turn_checks:
                mark = "ok  " if c.passed else "FAIL"
                detail = "" if c.passed else f"  (got: {c.actual[:300]})"
                lines.append(f"      {mark} {c.name}: {c.expected}{detail}")
    s = report.summary()
    lines.append(f"{s['dialogues'] - s['dialogues_failed']}/{s['dialogues']} dialogues passed, "
                 f"{s['checks'] - s['checks_failed']}/{s['checks']} checks passed, {report.seconds:.1f} s")
    return "\n".join(lines)
