"""The natural-request suite (dialogues/natural/): requests written the way people write.

Issue 10 measures the parser by these: at least 95% of the requests must pass. A request is
one user turn that carries expectations; it passes when every check on that turn passes (a
turn the run never reached, because an earlier turn raised, fails). Every failing request is
printed with its failed checks, so a run shows what to fix, not just a number.

The suite runs on the ingested demo catalog with no LLM. ``RECPILOT_NATURAL_HOME`` points it at
another home instead, e.g. one where ``recpilot train ranker`` and ``recpilot train parser``
have run, to measure with the learned parts.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import REPO, make_agent
from pydantic import BaseModel

from recpilot.settings import LLMSettings, Settings
from recpilot.simulator.dialogues import (
    Check,
    DialogueResult,
    LoadedDialogue,
    dialogue_files,
    load_dialogues,
    run_dialogues,
)

NATURAL = REPO / "dialogues" / "natural"
TARGET = 0.95


class Request(BaseModel):
    source: str
    dialogue: str
    turn: int
    say: str
    failed: list[Check]
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and not self.failed


def _loaded() -> list[LoadedDialogue]:
    return [d for path in dialogue_files([NATURAL]) for d in load_dialogues(path)]


def requests_of(loaded: LoadedDialogue, result: DialogueResult) -> list[Request]:
    """One ``Request`` per turn with expectations; turns after an error fail with that error."""
    out = []
    for number, turn in enumerate(loaded.dialogue.turns, start=1):
        if not turn.expect.model_dump(exclude_defaults=True):
            continue
        reached = number <= len(result.turns)
        out.append(Request(source=Path(loaded.source).name, dialogue=loaded.dialogue.name, turn=number,
                           say=turn.say, failed=[c for c in result.checks if c.turn == number and not c.passed],
                           error=None if reached else (result.error or "the turn did not run")))
    return out


def failure_report(requests: list[Request]) -> str:
    lines = []
    for r in requests:
        if r.passed:
            continue
        lines.append(f"FAIL {r.source} / {r.dialogue} / turn {r.turn}: {r.say!r}")
        if r.error:
            lines.append(f"     ERROR {r.error}")
        lines += [f"     {c.name}: {c.expected}  (got: {c.actual[:240]})" for c in r.failed]
    return "\n".join(lines)


def test_natural_requests_are_enough_and_well_formed():
    loaded = _loaded()
    requests = [t for d in loaded for t in d.dialogue.turns if t.expect.model_dump(exclude_defaults=True)]
    assert len(requests) >= 100
    users = [d.dialogue.user for d in loaded if d.dialogue.user]
    assert any(users.count(u) >= 2 for u in users), "no returning user (two dialogues naming one user)"
    assert sum(len(d.dialogue.turns) > 1 for d in loaded) >= 10


@pytest.fixture(scope="module")
def natural_settings(demo_settings) -> Settings:
    home = os.environ.get("RECPILOT_NATURAL_HOME")
    return Settings(home=Path(home), llm=LLMSettings(backend="none")) if home else demo_settings


@pytest.mark.slow
def test_natural_requests_pass(natural_settings):
    agent = make_agent(natural_settings)
    loaded = _loaded()
    report = run_dialogues(loaded, lambda catalog: agent)
    requests = [r for d, res in zip(loaded, report.results, strict=True) for r in requests_of(d, res)]
    passed = sum(r.passed for r in requests)
    rate = passed / len(requests)
    summary = f"{passed}/{len(requests)} natural requests pass ({rate:.1%}; target {TARGET:.0%})"
    print(summary + "\n" + failure_report(requests))
    assert rate >= TARGET, summary + "\n" + failure_report(requests)
