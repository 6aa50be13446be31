"""Scripted dialogues: YAML files of user turns, each followed by expectations on the turn.

The entry point that the CLI (``recpilot dialogues``) and the tests import from; the code
lives in three modules, one per stage:

- ``dialogues_format``: the YAML models and loading/validating files (the format is described there);
- ``dialogues_checks``: checking one turn's reply against its expectations;
- ``dialogues_run``: running dialogues against the agent, the result models and the text report.
"""

from __future__ import annotations

from recpilot.simulator.dialogues_checks import Check, check_turn
from recpilot.simulator.dialogues_format import (
    ConstraintSpec,
    Dialogue,
    DialogueFormatError,
    Expect,
    ItemPredicate,
    LoadedDialogue,
    PrefSpec,
    Turn,
    dialogue_files,
    load_dialogues,
)
from recpilot.simulator.dialogues_run import (
    AgentFor,
    DialogueResult,
    RunReport,
    TurnLog,
    format_report,
    run_dialogue,
    run_dialogues,
)

__all__ = [
    "AgentFor",
    "Check",
    "ConstraintSpec",
    "Dialogue",
    "DialogueFormatError",
    "DialogueResult",
    "Expect",
    "ItemPredicate",
    "LoadedDialogue",
    "PrefSpec",
    "RunReport",
    "Turn",
    "TurnLog",
    "check_turn",
    "dialogue_files",
    "format_report",
    "load_dialogues",
    "run_dialogue",
    "run_dialogues",
]
