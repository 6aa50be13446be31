"""The turn loop, in named stages: prepare, parse, decide, recall, plan, run tools, compose, persist.

Each stage is a small function with typed inputs and outputs; the stages that do work a person
may want to watch are generators that yield typed steps (``agent/steps.py``) and return their
result (``yield from``). ``run_turn`` strings them together; the CLI, the web page, the HTTP
API, MCP and the simulator all consume it, and read its outcome with ``collect``.

A model's mistake (invalid JSON, a dead endpoint, an unknown id it produced) is recorded on
its step and the turn goes on; a bug in our own code raises.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field

from recpilot.agent.parser import ParseResult
from recpilot.agent.planner import plan_turn
from recpilot.agent.reply import Reply, compose
from recpilot.agent.rules import ParseContext
from recpilot.agent.steps import ParseStep, Plan, PlanStep, ReplyStep, Step, ToolStep, TurnResult
from recpilot.agent.topic import decide_topic
from recpilot.errors import RecPilotError
from recpilot.llm.base import Usage
from recpilot.memory.candidates import CandidateBus
from recpilot.memory.longterm import apply_memories
from recpilot.memory.sessions import Session, TurnRecord
from recpilot.preferences import PreferenceState, StateUpdate
from recpilot.tools import TOOLS
from recpilot.tools.context import ToolContext
from recpilot.tools.rankers.scorer import NO_RANKER_NOTE

log = logging.getLogger(__name__)

#: Items of a caller-given history a session keeps (the latest): the trained ranker reads a
#: reader from a few dozen books, and the session is saved whole on every turn.
MAX_HISTORY = 500


# --- the stages' records ------------------------------------------------------------------------
@dataclass
class TurnInput:
    """The message as the turn reads it, and the history it runs with."""

    utterance: str
    history: list[str]
    warnings: list[str] = field(default_factory=list)
    start: float = field(default_factory=time.perf_counter)
    action: str | None = None


@dataclass
class Decision:
    """The state after this turn's update: refining the request, or a new one (the old set aside)."""

    state: PreferenceState
    new_request: bool


@dataclass
class Executed:
    """What the tools left: the candidate bus, item details when asked for, the call log."""

    tctx: ToolContext
    details: dict | None = None
    calls: list[dict] = field(default_factory=list)


# --- the loop -------------------------------------------------------------------------------------
def run_turn(agent, session: Session, text: str, k: int, history: list[str] | None = None,
             action: str | None = None) -> Iterator[Step]:
    """One turn over ``session`` (changed only at the very end, once the turn succeeded).

    ``history``: item ids the caller says the user liked before; added to ``session.history``."""
    turn = prepare(agent, session, text, history)
    turn.action = action
    parsed = yield from parse(agent, session, turn)
    decision = decide(agent, session, parsed.update)
    executed = Executed(tctx=ToolContext(
        catalog=agent.catalog, state=decision.state, bus=CandidateBus(), user_id=session.user_id,
        session_id=session.id, shown=session.shown, memory=agent.memory, scorer=agent.scorer, history=turn.history))
    yield from recall(agent, session, parsed.update, executed)
    t0 = time.perf_counter()
    plan = plan_turn(executed.tctx.state, parsed.update, agent.catalog, k=k, shown=session.shown,
                     collaborative=agent.scorer is not None)
    yield PlanStep(plan=plan, duration_ms=_ms(t0))
    yield from run_tools(plan, executed)
    t0 = time.perf_counter()
    reply = compose(agent, session, turn.utterance, parsed, plan, executed.tctx, executed.details, k,
                    new_request=decision.new_request)
    result = persist(agent, session, turn, parsed, executed, reply)
    yield ReplyStep(result=result, llm_calls=reply.llm_calls, duration_ms=_ms(t0), dropped=reply.dropped)


def prepare(agent, session: Session, text: str, history: list[str] | None) -> TurnInput:
    utterance, warnings = clean_utterance(text, agent.settings.max_utterance_chars)
    known, history_warnings = merge_history(agent.catalog, session.history, history)
    return TurnInput(utterance=utterance, history=known, warnings=warnings + history_warnings)


def parse(agent, session: Session, turn: TurnInput) -> Generator[Step, None, ParseResult]:
    t0 = time.perf_counter()
    ctx = ParseContext(last_shown=session.last_shown, focus_item=session.focus, state=session.state)
    parsed = agent.parser.parse(turn.utterance, ctx)
    # the parser's constraints pass the same check as an API caller's (an LLM may invent a field)
    unfit = [c for c in parsed.update.add_constraints if not agent.catalog.valid(c)]
    if unfit:
        parsed.update.add_constraints = [agent.catalog.checked(c) for c in parsed.update.add_constraints
                                         if c not in unfit]
        parsed.warnings.append(f"ignored {len(unfit)} constraint(s) the catalog cannot apply")
    turn.warnings += parsed.warnings
    yield ParseStep(update=parsed.update, used_llm=parsed.used_llm, used_distilled=parsed.used_distilled,
                    llm_calls=parsed.calls, duration_ms=_ms(t0), warnings=parsed.warnings)
    return parsed


def decide(agent, session: Session, update: StateUpdate) -> Decision:
    """Refine the current request, or start a new one: the old request is set aside (restorable)
    and only the item verdicts and taste carry over."""
    state = session.state
    new_request = decide_topic(state, update, agent.catalog)
    if new_request:
        state = state.start_new_request()
    state = state.apply(update)
    if agent.scorer is None and NO_RANKER_NOTE not in state.notes:
        state.notes.append(NO_RANKER_NOTE)
    return Decision(state=state, new_request=new_request)


def recall(agent, session: Session, update: StateUpdate, executed: Executed) -> Iterator[Step]:
    """A returning user's first turn starts from what they said before."""
    if session.turns or agent.memory is None or update.intent not in ("recommend", "refine", "reject"):
        return
    step, recalled = _run_tool(executed, "recall_memory", {"limit": 20})
    yield step
    executed.tctx.state = apply_memories(executed.tctx.state, recalled or [])


def run_tools(plan: Plan, executed: Executed) -> Iterator[Step]:
    for call in plan.calls:
        step, out = _run_tool(executed, call.tool, call.args)
        yield step
        if call.tool == "item_details" and out is not None:
            executed.details = {"id": out.id, "title": out.title, **out.fields}


def persist(agent, session: Session, turn: TurnInput, parsed: ParseResult, executed: Executed,
            reply: Reply) -> TurnResult:
    """The session changes only now, in one save; then the call log and long-term memory."""
    state = executed.tctx.state
    usage = Usage()
    for call in parsed.calls + reply.llm_calls:
        usage.add_call(call)
    usage.latency_ms = _ms(turn.start)
    result = TurnResult(
        session_id=session.id, user_id=session.user_id, intent=parsed.update.intent, message=reply.message,
        items=reply.items, question=reply.question, details=executed.details, state=state, usage=usage,
        warnings=turn.warnings,
    )
    session.state = state
    session.history = turn.history
    session.turns.append(TurnRecord(user=turn.utterance, reply=reply.message, items=[i.id for i in reply.items],
                                    question=reply.question, intent=parsed.update.intent, focus=reply.focus,
                                    action=turn.action))
    agent.store.save(session)
    calls = executed.calls + [
        {"kind": "llm", "name": c.prompt, "model": c.model, "prompt_tokens": c.prompt_tokens,
         "completion_tokens": c.completion_tokens, "duration_ms": c.duration_ms, "error": c.error}
        for c in parsed.calls + reply.llm_calls]
    agent.store.log_calls(session.id, len(session.turns), calls)
    if agent.memory is not None:
        try:
            agent.memory.remember(session.user_id, session.id, agent.catalog.name, state)
        except Exception:  # the turn itself succeeded and is saved: the failure is logged whole
            log.exception("long-term memory not updated for user %s", session.user_id)
    return result


# --- reading the loop's steps ---------------------------------------------------------------------
class TurnTrace:
    """The steps of one turn as they arrive, and what they add up to. ``add`` each step (a
    caller that shows progress between steps), or ``collect`` them all at once."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.parse: ParseStep | None = None
        self.plan: PlanStep | None = None
        self.tools: list[ToolStep] = []
        self.reply: ReplyStep | None = None

    def add(self, step: Step) -> Step:
        self.steps.append(step)
        if isinstance(step, ParseStep):
            self.parse = step
        elif isinstance(step, PlanStep):
            self.plan = step
        elif isinstance(step, ToolStep):
            self.tools.append(step)
        elif isinstance(step, ReplyStep):
            self.reply = step
        return step

    @property
    def result(self) -> TurnResult:
        if self.reply is None:  # the loop always ends with a reply: its absence is a bug
            raise RuntimeError("the turn ended without a reply")
        return self.reply.result


def collect(steps: Iterable[Step]) -> TurnTrace:
    """Runs a turn's steps to the end and returns them, with the result at ``.result``."""
    trace = TurnTrace()
    for step in steps:
        trace.add(step)
    trace.result  # noqa: B018 - raises when the turn produced no reply
    return trace


# --- helpers --------------------------------------------------------------------------------------
def clean_utterance(text: str, limit: int) -> tuple[str, list[str]]:
    """Printable text within ``limit`` characters; says what it changed."""
    warnings = []
    if not isinstance(text, str):
        text = str(text)
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)
    if cleaned != text:
        warnings.append("removed unprintable characters from the message")
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > limit:
        warnings.append(f"the message was {len(cleaned)} characters; only the first {limit} were read")
        cleaned = cleaned[:limit]
    return cleaned, warnings


def merge_history(catalog, known: list[str], given: list[str] | None) -> tuple[list[str], list[str]]:
    """The session's history extended by the ids a caller gave (in order, once each, the latest
    ``MAX_HISTORY``); ids outside the catalog are skipped, with a warning, not an error."""
    if not given:
        return known, []
    ids = [str(i) for i in given]
    unknown = [i for i in ids if not catalog.has(i)]
    merged = list(dict.fromkeys([*known, *(i for i in ids if catalog.has(i))]))
    warnings = []
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        warnings.append(f"history: {len(unknown)} unknown item id(s) skipped ({shown})")
    if len(merged) > MAX_HISTORY:
        warnings.append(f"history: kept the latest {MAX_HISTORY} of {len(merged)} items")
        merged = merged[-MAX_HISTORY:]
    return merged, warnings


def _run_tool(executed: Executed, name: str, args: dict) -> tuple[ToolStep, object | None]:
    tctx = executed.tctx
    t0 = time.perf_counter()
    out, error, note = None, None, ""
    try:
        out = TOOLS[name](tctx, args)
        note = f"{len(out)} memories" if isinstance(out, list) else getattr(out, "note", "")
    except RecPilotError as exc:  # an unknown id, arguments that fail validation: the turn goes on
        error = str(exc)
    step = ToolStep(tool=name, args=args, candidates=len(tctx.bus), note=note, duration_ms=_ms(t0), error=error)
    executed.calls.append({"kind": "tool", "name": name, "duration_ms": step.duration_ms, "error": error})
    return step, out


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)
