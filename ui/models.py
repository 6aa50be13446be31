"""Pydantic models at the interface boundary: HTTP request/response bodies and the arguments of
the conversation tools that MCP and LangChain expose next to the catalog tools."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field

from recpilot.ids import SESSION_PATTERN, USER_PATTERN  # noqa: F401  (the routes import them from here)
from recpilot.memory.sessions import SessionSummary
from recpilot.preferences import Constraint, PreferenceState


def _not_a_bool(value):
    if isinstance(value, bool):
        raise ValueError("a count is a number, not true/false")
    return value


#: how many items: a whole number from 1 to 50 (true is not 1). Part of the type, not a model
#: validator, so that MCP, which publishes and validates a tool's fields one by one, refuses true too
Count = Annotated[int, Field(ge=1, le=50), BeforeValidator(_not_a_bool)]


class Problem(BaseModel):
    """Every error response: one sentence saying what is wrong."""

    detail: str


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    catalog: str
    items: int
    llm_backend: str
    version: str


class SessionCreate(BaseModel):
    model_config = {"extra": "forbid"}
    user_id: str | None = Field(None, min_length=1, max_length=200, pattern=USER_PATTERN,
                                description="optional; must match the caller's identity (X-User-Id or token)")


class SessionCreated(BaseModel):
    session_id: str
    user_id: str


class SessionList(BaseModel):
    sessions: list[SessionSummary]


class Chip(BaseModel):
    """One removable entry of the preference state, as the web page shows it."""

    key: str
    kind: str
    label: str
    group: Literal["wanted", "not wanted", "liked", "read", "remembered", "earlier"] = Field(
        "wanted", description="what the page shows it under")


class StateView(BaseModel):
    session_id: str
    state: PreferenceState
    chips: list[Chip]


class TurnView(BaseModel):
    user: str
    reply: str
    items: list[str]
    question: str | None = None


class SessionView(BaseModel):
    id: str
    user_id: str
    catalog: str
    created: float
    updated: float
    state: PreferenceState
    chips: list[Chip]
    turns: list[TurnView]


HistoryIds = Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(
    max_length=500, description="ids of items the user liked before, e.g. in another system; kept on the "
    "session and read by the trained ranker (unknown ids are skipped with a warning)")]


class MessageIn(BaseModel):
    model_config = {"extra": "forbid"}
    text: str = Field(min_length=1, description="what the user says (longer than the server's limit: 422)")
    k: Count | None = Field(None, description="how many items to recommend")
    history: HistoryIds = Field(default_factory=list)


class StatePatch(BaseModel):
    model_config = {"extra": "forbid"}
    remove: list[str] = Field(default_factory=list, max_length=100, description="chip keys to remove")
    add: list[Constraint] = Field(default_factory=list, max_length=50, description="hard constraints to add")
    restore: list[str] = Field(default_factory=list, max_length=10, description="set-aside requests to bring back")
    forget: list[str] = Field(default_factory=list, max_length=100,
                              description="remembered chips to forget: from this session and from long-term memory")


class MemoryView(BaseModel):
    """One entry of a user's long-term memory; ``key`` forgets it."""

    key: str
    kind: str
    text: str
    session_id: str = ""
    at: float = 0.0


class MemoryList(BaseModel):
    memories: list[MemoryView]


class Forgotten(BaseModel):
    forgotten: int


class FeedbackIn(BaseModel):
    model_config = {"extra": "forbid"}
    item_id: str = Field(min_length=1, max_length=200)
    kind: Literal["like", "dislike", "more_like_this", "accept"]


# --- conversation tools (MCP, LangChain) ----------------------------------------------------------
class RecommendArgs(BaseModel):
    model_config = {"extra": "forbid"}
    message: str = Field(min_length=1, max_length=20000, description="what the user says, in their words")
    user_id: str = Field("default", min_length=1, max_length=200, pattern=USER_PATTERN,
                         description="who is talking; long-term memory is per user")
    session_id: str | None = Field(None, max_length=100, pattern=SESSION_PATTERN,
                                   description="continue this session; omit to start a new one")
    k: Count | None = Field(None, description="how many items to recommend")
    history: HistoryIds = Field(default_factory=list)


class SessionArgs(BaseModel):
    model_config = {"extra": "forbid"}
    session_id: str = Field(min_length=1, max_length=100, pattern=SESSION_PATTERN)
    user_id: str = Field("default", min_length=1, max_length=200, pattern=USER_PATTERN)


class UpdatePreferencesArgs(SessionArgs):
    remove: list[str] = Field(default_factory=list, max_length=100,
                              description="keys of constraints/preferences to drop (see get_preferences chips)")
    add: list[Constraint] = Field(default_factory=list, max_length=50, description="hard constraints to add")
