"""The one facade every interface (web page, HTTP API, MCP, LangChain) calls.

It adds what a multi-user server needs around the agent core and nothing else: the utterance
length limit, ownership checks before waiting on a session, and one-shot tool calls outside a
turn. The turn itself, state edits and feedback are the core's (``RecPilot``), and so is the
session lock that keeps two of them on one session from interleaving in any process.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from recpilot.agent.agent import RecPilot
from recpilot.agent.loop import collect
from recpilot.agent.steps import Step, TurnResult
from recpilot.errors import InvalidUtterance
from recpilot.memory.sessions import Session, SessionSummary
from recpilot.preferences import Constraint, PreferenceState
from recpilot.tools import TOOLS
from recpilot.tools.context import ToolContext
from recpilot.ui.models import Chip, StateView

FEEDBACK_KINDS = ("like", "dislike", "more_like_this", "accept")


class Service:
    def __init__(self, agent: RecPilot):
        self.agent = agent
        self.settings = agent.settings

    # --- sessions ---------------------------------------------------------------------------
    def create_session(self, user_id: str) -> Session:
        return self.agent.store.create(user_id, self.agent.catalog.name)

    def list_sessions(self, user_id: str, limit: int = 100) -> list[SessionSummary]:
        return self.agent.store.list(user_id, limit)

    def session(self, session_id: str, user_id: str) -> Session:
        """Raises ``SessionNotFound`` for an unknown id and for another user's session alike."""
        return self.agent.session(session_id, user_id)

    # --- turns --------------------------------------------------------------------------------
    def check_utterance(self, text: str) -> None:
        limit = self.settings.max_utterance_chars
        if len(text) > limit:
            raise InvalidUtterance(f"the message is {len(text)} characters long; the limit is {limit}")

    def turn(self, session_id: str, user_id: str, text: str, k: int | None = None,
             history: list[str] | None = None, action: str | None = None) -> Iterator[Step]:
        """The core's turn loop on an existing session of ``user_id``, one turn per session at a time."""
        self.check_utterance(text)
        self.session(session_id, user_id)  # 404 before waiting for the lock
        yield from self.agent.turn(text, session_id, user_id, k, history=history, action=action)

    def ensure_session(self, session_id: str, user_id: str) -> Session:
        """``session_id`` of ``user_id``, created empty if no one has it yet (the page picks the
        id before the first message, so two quick messages land in one session)."""
        return self.agent.store.get_or_create(session_id, user_id, self.agent.catalog.name)

    def ask(self, session_id: str, user_id: str, text: str, k: int | None = None,
            history: list[str] | None = None) -> TurnResult:
        return collect(self.turn(session_id, user_id, text, k, history)).result

    def recommend(self, user_id: str, text: str, session_id: str | None = None, k: int | None = None,
                  history: list[str] | None = None) -> TurnResult:
        """One turn, starting a new session when none is given (MCP, LangChain)."""
        if not session_id:
            self.check_utterance(text)
            session_id = self.create_session(user_id).id
        return self.ask(session_id, user_id, text, k, history)

    # --- state and feedback -----------------------------------------------------------------
    def state(self, session_id: str, user_id: str) -> StateView:
        return state_view(session_id, self.session(session_id, user_id).state)

    def edit_state(self, session_id: str, user_id: str, remove: list[str] = (),
                   add: list[Constraint] = (), restore: list[str] = (), forget: list[str] = ()) -> StateView:
        self.session(session_id, user_id)
        state = self.agent.edit_state(session_id, user_id, remove=list(remove), add=list(add),
                                      restore=list(restore), forget=list(forget))
        return state_view(session_id, state)

    # --- long-term memory -------------------------------------------------------------------
    def memories(self, user_id: str) -> list:
        return self.agent.memories(user_id)

    def forget(self, user_id: str, key: str | None = None) -> int:
        return self.agent.forget(user_id, key)

    def feedback(self, session_id: str, user_id: str, item_id: str, kind: str) -> StateView:
        self.agent.catalog.get(item_id)  # UnknownItem before anything changes
        self.session(session_id, user_id)
        state = self.agent.feedback(session_id, item_id, kind, user_id)
        return state_view(session_id, state)

    # --- catalog tools outside a turn ---------------------------------------------------------
    def run_tool(self, name: str, args, user_id: str | None = None):
        """One catalog tool call on a fresh candidate set (search, filter, similar, details).

        Outside a turn there is no candidate set yet, so ``filter_items`` over "candidates"
        filters the whole catalog, most popular first.
        """
        catalog = self.agent.catalog
        ctx = ToolContext(catalog=catalog, user_id=user_id, memory=self.agent.memory, scorer=self.agent.scorer)
        if name == "filter_items":
            ctx.bus.replace(np.argsort(-catalog.popularity, kind="stable"), "whole catalog")
        return TOOLS[name](ctx, args)


def state_view(session_id: str, state: PreferenceState) -> StateView:
    return StateView(session_id=session_id, state=state, chips=[Chip(**c) for c in state.chips()])
