"""What every tool receives: the catalog, the candidate bus and the session's state.

A plain dataclass handed to tools (pydantic-ai's "deps"), never globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recpilot.catalog import Catalog
from recpilot.memory.candidates import CandidateBus
from recpilot.preferences import PreferenceState


@dataclass
class ToolContext:
    catalog: Catalog
    state: PreferenceState = field(default_factory=PreferenceState)
    bus: CandidateBus = field(default_factory=CandidateBus)
    user_id: str | None = None
    session_id: str | None = None
    shown: set[str] = field(default_factory=set)
    memory: object | None = None  # memory.longterm.LongTermMemory
    scorer: object | None = None  # tools.rank.Scorer; None: the default preference scorer
    history: list[str] = field(default_factory=list)  # ids the user liked before (Session.history)
