"""The agent side of the harness: one small interface that RecPilot and every baseline implement.

``respond(dialogue so far, k)`` returns item ids and text. RecPilot is driven through its
turn loop (what ``RecPilot.ask`` runs), with a fresh session and user id per dialogue, told the
user's history on the first turn (heldout targets); the tool calls are read off the typed
steps. Baselines ignore the history.
"""

from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from recpilot.catalog import Catalog
from recpilot.errors import ConfigError
from recpilot.llm.base import ChatModel
from recpilot.settings import Settings
from recpilot.simulator.models import AgentReply, ToolCallRecord

AGENTS = ("recpilot", "popularity", "retrieval", "llm-only")


@dataclass
class DialogueSoFar:
    id: str
    user: list[str] = field(default_factory=list)
    replies: list[AgentReply] = field(default_factory=list)
    history: list[str] = field(default_factory=list)  # ids the user liked before (heldout targets)
    named: list[str] = field(default_factory=list)  # ids the user named so far (ReDial's @mentions), in order

    @property
    def shown(self) -> set[str]:
        return {i for r in self.replies for i in r.item_ids}


class DialogueAgent(ABC):
    name: str = "agent"
    llm_name: str = "none"

    @abstractmethod
    def respond(self, dialogue: DialogueSoFar, k: int) -> AgentReply:
        """The reply to ``dialogue.user[-1]``, given everything said before."""


class RecPilotAgent(DialogueAgent):
    name = "recpilot"

    def __init__(self, agent, run_tag: str = "sim"):
        self.agent, self.run_tag = agent, run_tag
        self.llm_name = getattr(agent.llm, "name", "none") if agent.llm is not None else "none"
        self._sessions: dict[str, str] = {}

    def respond(self, dialogue: DialogueSoFar, k: int) -> AgentReply:
        from recpilot.agent.loop import collect

        t0 = time.perf_counter()
        user_id = f"{self.run_tag}-{dialogue.id}"
        session_id = self._sessions.get(dialogue.id)
        history = dialogue.history if session_id is None else None  # kept on the session after turn 1
        trace = collect(self.agent.turn(dialogue.user[-1], session_id, user_id, k, history=history))
        result, parse = trace.result, trace.parse
        tools = [ToolCallRecord(tool=s.tool, args=s.args, candidates=s.candidates, duration_ms=s.duration_ms,
                                error=s.error) for s in trace.tools]
        self._sessions[dialogue.id] = result.session_id
        u = result.usage
        return AgentReply(
            item_ids=[i.id for i in result.items], titles=[i.title for i in result.items], text=result.message,
            question=result.question, state=result.state.model_dump(mode="json"), tool_calls=tools,
            llm_calls=u.llm_calls, parser_llm_calls=len(parse.llm_calls) if parse else 0,
            used_distilled=bool(parse and parse.used_distilled), prompt_tokens=u.prompt_tokens, completion_tokens=u.completion_tokens,
            latency_ms=round((time.perf_counter() - t0) * 1000, 1),
        )


def build_agent(kind: str, settings: Settings, catalog: Catalog, workdir: Path, llm: ChatModel | None,
                run_tag: str = "sim") -> DialogueAgent:
    """The agent under test, built inside the worker that uses it (none of these pickle).
    RecPilot uses the trained ranker and the distilled parser, where they are trained, unless
    ``settings.learned.ranker`` / ``settings.learned.parser`` switch them off."""
    if kind == "recpilot":
        from recpilot.agent.agent import RecPilot
        from recpilot.agent.distilled import load_distilled
        from recpilot.memory.sessions import SessionStore
        from recpilot.tools.rankers.scorer import load_scorer

        # Every dialogue is a new user, so long-term memory has nothing to recall; it is left
        # out because the embedded vector store is not safe for writes from several processes.
        store = SessionStore(workdir / f"sessions-{os.getpid()}.db")
        agent = RecPilot(settings, catalog, llm, store, None, load_scorer(settings, catalog),
                         distilled=load_distilled(settings, catalog))
        return RecPilotAgent(agent, run_tag)
    from recpilot.simulator import baselines

    if kind == "popularity":
        return baselines.PopularityAgent(catalog)
    if kind == "retrieval":
        return baselines.RetrievalAgent(catalog)
    if kind == "llm-only":
        if llm is None:
            raise ConfigError("the llm-only baseline needs an LLM backend (--llm-backend llamacpp or openai)")
        return baselines.LLMOnlyAgent(catalog, llm)
    raise ConfigError(f"unknown agent {kind!r}; use one of {', '.join(AGENTS)}")
