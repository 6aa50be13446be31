"""The turn loop: parse -> plan -> tools -> reply, yielding a typed step for each.

The CLI, the web page, the HTTP API, MCP and the simulator all consume this one generator.
A model's mistake (invalid JSON, a dead endpoint, an unknown id it produced) is recorded on
its step and the turn goes on; a bug in our own code raises.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from recpilot.agent.planner import plan_turn
from recpilot.agent.response import blocking_constraint, lead_in, select_items, template_lead_in
from recpilot.agent.rules import ParseContext
from recpilot.agent.steps import ParseStep, PlanStep, ReplyStep, Step, ToolStep, TurnResult
from recpilot.errors import RecPilotError
from recpilot.llm.base import LLMCall, Usage
from recpilot.memory.candidates import CandidateBus
from recpilot.memory.sessions import Session, TurnRecord
from recpilot.preferences import ItemRef, Preference, PreferenceState
from recpilot.tools import TOOLS
from recpilot.tools.context import ToolContext
from recpilot.tools.rankers.scorer import NO_RANKER_NOTE

#: LLM calls one turn may make: the parser's (a retry included) and the reply's lead-in together.
MAX_LLM_CALLS_PER_TURN = 2
#: Items of a caller-given history a session keeps (the latest): the trained ranker reads a
#: reader from a few dozen books, and the session is saved whole on every turn.
MAX_HISTORY = 500


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


def run_turn(agent, session: Session, text: str, k: int, history: list[str] | None = None) -> Iterator[Step]:
    """One turn over ``session`` (mutated in place only at the very end, when the turn succeeded).

    ``history``: item ids the caller says the user liked before; added to ``session.history``."""
    start = time.perf_counter()
    catalog = agent.catalog
    utterance, warnings = clean_utterance(text, agent.settings.max_utterance_chars)
    known, history_warnings = merge_history(catalog, session.history, history)
    warnings += history_warnings
    state = session.state
    usage = Usage()
    calls_log: list[dict] = []

    # 1. parse
    t0 = time.perf_counter()
    ctx = ParseContext(last_shown=session.last_shown, focus_item=session.focus, state=state)
    parsed = agent.parser.parse(utterance, ctx)
    warnings += parsed.warnings
    for call in parsed.calls:
        usage.add_call(call)
    new_state = state.apply(parsed.update)
    if agent.scorer is None and NO_RANKER_NOTE not in new_state.notes:
        new_state.notes.append(NO_RANKER_NOTE)
    yield ParseStep(update=parsed.update, used_llm=parsed.used_llm, used_distilled=parsed.used_distilled,
                    llm_calls=parsed.calls,
                    duration_ms=_ms(t0), warnings=parsed.warnings)

    tctx = ToolContext(catalog=catalog, state=new_state, bus=CandidateBus(), user_id=session.user_id,
                       session_id=session.id, shown=session.shown, memory=agent.memory, scorer=agent.scorer,
                       history=known)

    # 2. memory: a returning user's first turn starts from what they said before
    if not session.turns and agent.memory is not None and parsed.update.intent in ("recommend", "refine", "reject"):
        step, recalled = _run_tool(tctx, "recall_memory", {"limit": 20}, calls_log)
        yield step
        new_state = _merge_memory(new_state, recalled or [])
        tctx.state = new_state

    # 3. plan, then execute
    t0 = time.perf_counter()
    plan = plan_turn(new_state, parsed.update, catalog, k=k, shown=session.shown)
    yield PlanStep(plan=plan, duration_ms=_ms(t0))
    details = None
    for call in plan.calls:
        step, out = _run_tool(tctx, call.tool, call.args, calls_log)
        yield step
        if call.tool == "item_details" and out is not None:
            details = {"id": out.id, "title": out.title, **out.fields}

    # 4. reply
    t0 = time.perf_counter()
    llm_calls: list[LLMCall] = []
    items, dropped, question = [], [], plan.ask
    focus = None
    if plan.respond_with == "recommendations":
        items, dropped = select_items(catalog, new_state, tctx.bus.ranked(), tctx.bus.reasons, tctx.bus.scores,
                                      k, session.shown)
        if not items and new_state.constraints:
            message, question = _nothing_fits(catalog, new_state)
        else:
            # the lead-in is optional: skipped when the parser used the turn's LLM budget or
            # found the backend down (a dead endpoint is not waited on twice in one turn)
            llm = agent.llm if len(parsed.calls) < MAX_LLM_CALLS_PER_TURN and not parsed.llm_unavailable else None
            message = lead_in(llm, utterance, new_state, agent.domain, items, llm_calls) or \
                template_lead_in(new_state, len(items))
        # Say what could not be applied ("'shorter' ignored: the catalog has no such field").
        unapplied = [n for n in parsed.update.notes if "ignored" in n or n.startswith("nothing has been shown")]
        if unapplied:
            message += " (Note: " + "; ".join(unapplied) + ".)"
    elif plan.respond_with == "details" and details is not None:
        focus = details["id"]
        message = _describe(details)
    elif plan.respond_with == "accept" and details is not None:
        focus = details["id"]
        message = f"Great choice: {details['title']}. Enjoy! Ask me any time for more."
    elif plan.respond_with == "reset":
        message = "Starting over. What are you looking for?"
    elif plan.respond_with == "out_of_domain":
        message = (f"I can only help with finding items in this {agent.domain}. "
                   "Tell me what you like and I will suggest something.")
    else:
        message = ("Hi! Tell me what you are in the mood for — a genre, a favourite, a year — "
                   "and I will suggest something." if not utterance else
                   "Happy to help. What are you in the mood for?")
    for call in llm_calls:
        usage.add_call(call)
    usage.latency_ms = _ms(start)
    result = TurnResult(
        session_id=session.id, user_id=session.user_id, intent=parsed.update.intent, message=message, items=items,
        question=question, details=details, state=new_state, usage=usage, warnings=warnings,
    )

    # 5. persist: the session changes only now, in one save
    session.state = new_state
    session.history = known
    session.turns.append(TurnRecord(user=utterance, reply=message, items=[i.id for i in items], question=question,
                                    intent=parsed.update.intent, focus=focus))
    agent.store.save(session)
    for call in parsed.calls + llm_calls:
        calls_log.append({"kind": "llm", "name": call.prompt, "model": call.model, "prompt_tokens": call.prompt_tokens,
                          "completion_tokens": call.completion_tokens, "duration_ms": call.duration_ms,
                          "error": call.error})
    agent.store.log_calls(session.id, len(session.turns), calls_log)
    if agent.memory is not None:
        try:
            agent.memory.remember(session.user_id, session.id, catalog.name, new_state)
        except Exception as exc:  # memory is best effort; the turn itself succeeded
            result.warnings.append(f"long-term memory not updated: {exc}")
    yield ReplyStep(result=result, llm_calls=llm_calls, duration_ms=_ms(t0), dropped=dropped)


def _run_tool(tctx: ToolContext, name: str, args: dict, log: list[dict]) -> tuple[ToolStep, object | None]:
    t0 = time.perf_counter()
    out, error, note = None, None, ""
    try:
        out = TOOLS[name](tctx, args)
        note = f"{len(out)} memories" if isinstance(out, list) else getattr(out, "note", "")
    except RecPilotError as exc:
        error = str(exc)
    step = ToolStep(tool=name, args=args, candidates=len(tctx.bus), note=note, duration_ms=_ms(t0), error=error)
    log.append({"kind": "tool", "name": name, "duration_ms": step.duration_ms, "error": error})
    return step, out


def _merge_memory(state: PreferenceState, memories) -> PreferenceState:
    """Past likes become gentle soft preferences; past rejections stay rejected."""
    if not memories:
        return state
    state = state.model_copy(deep=True)
    have = {p.key for p in state.likes + state.dislikes}
    for m in memories:
        if m.kind in ("like", "dislike") and m.field:
            pref = Preference(field=m.field, value=m.value, weight=0.5 if m.kind == "like" else -0.5, source="memory")
            if pref.key not in have:
                (state.likes if m.kind == "like" else state.dislikes).append(pref)
                have.add(pref.key)
        elif m.kind == "rejected_item" and m.value not in {r.id for r in state.rejected_items}:
            title = m.text.removeprefix("rejected ")
            state.rejected_items.append(ItemRef(id=m.value, title=title))
        elif m.kind == "liked_item" and m.value not in {r.id for r in state.liked_items}:
            state.liked_items.append(ItemRef(id=m.value, title=m.text.split(" ", 1)[-1]))
    state.notes = [n for n in state.notes if not n.startswith("recalled")] + [f"recalled {len(memories)} memories from earlier sessions"]
    return state


def _nothing_fits(catalog, state: PreferenceState) -> tuple[str, str | None]:
    blocker = blocking_constraint(catalog, state.constraints)
    if blocker is None:
        return "Nothing in the catalog fits all of that.", "Could you loosen one of your requirements?"
    c, n = blocker
    return (f"Nothing in the catalog fits all of that: {state.describe()}.",
            f"Without '{c.describe()}' there are {n} matches — shall I drop it?")


def _describe(details: dict) -> str:
    fields = [f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in details.items()
              if k not in ("id", "title", "text") and v not in (None, "", [])]
    text = details.get("text") or ""
    return f"{details['title']} — " + "; ".join(fields[:6]) + (f". {text}" if text else "")


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)


