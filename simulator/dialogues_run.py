"""Running scripted dialogues against the agent, turn by turn, and reporting the results.

Each dialogue runs in a fresh session and, unless it names a ``user``, a fresh user; named
users get one fresh id per run, shared by the dialogues naming them, in file order.
Holds the result models (``DialogueResult``, ``RunReport``) beside the loop that fills them
and the text report that prints them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from recpilot.agent.loop import collect
from recpilot.agent.steps import TurnResult
from recpilot.errors import RecPilotError
from recpilot.simulator.dialogues_checks import Check, _TurnView, check_turn
from recpilot.simulator.dialogues_format import LoadedDialogue


# --- results ----------------------------------------------------------------------------------
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
        try:
            trace = collect(agent.turn(turn.say, result.session_id, user_id, d.k))
        except RecPilotError as exc:
            result.error = f"turn {number} ({turn.say!r}): {type(exc).__name__}: {exc}"
            break
        reply = trace.result
        notes = [n.text for n in trace.parse.update.notes] if trace.parse else []
        result.session_id = reply.session_id
        result.turns.append(TurnLog(say=turn.say, intent=reply.intent, items=[f"{i.id}: {i.title}" for i in reply.items],
                                    question=reply.question, message=reply.message))
        view = _TurnView(agent.catalog, reply, notes, history)
        result.checks += [c.model_copy(update={"turn": number}) for c in check_turn(turn.expect, view)]
        history.append(reply)
    result.seconds = round(time.perf_counter() - start, 3)
    return result


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
