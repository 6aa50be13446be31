"""Typed records of what happened in a turn. The turn loop yields them; every interface reads them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from recpilot.llm.base import LLMCall, Usage
from recpilot.preferences import PreferenceState, StateUpdate


class PlannedCall(BaseModel):
    tool: str
    args: dict[str, Any]
    why: str = ""


class Plan(BaseModel):
    calls: list[PlannedCall] = Field(default_factory=list)
    ask: str | None = Field(None, description="a clarifying question to ask, if any")
    respond_with: Literal["recommendations", "details", "chitchat", "out_of_domain", "reset", "accept"] = "recommendations"


class ParseStep(BaseModel):
    kind: Literal["parse"] = "parse"
    update: StateUpdate
    used_llm: bool
    used_distilled: bool = Field(False, description="the distilled parser read the free words, no LLM call")
    llm_calls: list[LLMCall] = Field(default_factory=list)
    duration_ms: float
    warnings: list[str] = Field(default_factory=list)


class PlanStep(BaseModel):
    kind: Literal["plan"] = "plan"
    plan: Plan
    duration_ms: float


class ToolStep(BaseModel):
    kind: Literal["tool"] = "tool"
    tool: str
    args: dict[str, Any]
    candidates: int = 0
    note: str = ""
    duration_ms: float
    error: str | None = None


class RecommendedItem(BaseModel):
    id: str
    title: str
    reason: str
    score: float


class TurnResult(BaseModel):
    """What ``recpilot ask --json`` prints and the HTTP API returns for one turn."""

    session_id: str
    user_id: str
    intent: str
    message: str
    items: list[RecommendedItem] = Field(default_factory=list)
    question: str | None = None
    details: dict[str, Any] | None = None
    state: PreferenceState
    usage: Usage
    warnings: list[str] = Field(default_factory=list)


class ReplyStep(BaseModel):
    kind: Literal["reply"] = "reply"
    result: TurnResult
    llm_calls: list[LLMCall] = Field(default_factory=list)
    duration_ms: float
    dropped: list[str] = Field(default_factory=list, description="items refused by the final check, with why")


Step = ParseStep | PlanStep | ToolStep | ReplyStep
