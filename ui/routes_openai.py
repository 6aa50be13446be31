"""``/v1/chat/completions``: an OpenAI-compatible face on the same turn.

Streaming is not supported (``stream`` must be false). The assistant message carries the recommendations as text; the ``recpilot`` field carries the
full turn (items, state, question, session id). Pass ``session_id`` (an extra body field) to
continue a conversation; without it a new session starts, and the last few earlier user
messages of the request (``server.max_replay``, 3 by default) are replayed into it first so that
it knows what was said; a call never runs more than that many turns plus one.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from recpilot.agent.steps import TurnResult
from recpilot.ui.api import COMMON, NOT_FOUND, ServiceDep, XUserIdHeader, resolve_user
from recpilot.ui.models import SESSION_PATTERN, USER_PATTERN
from recpilot.ui.text import result_markdown

router = APIRouter(prefix="/v1", tags=["openai-compatible"], responses=COMMON)


class ChatMessage(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = {"extra": "allow"}  # OpenAI clients send options (temperature, ...) that do not apply
    model: str = "recpilot"
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    user: str | None = Field(None, min_length=1, max_length=200, pattern=USER_PATTERN,
                             description="the end user (as in OpenAI's API); same rules as user_id")
    session_id: str | None = Field(None, min_length=1, max_length=100, pattern=SESSION_PATTERN,
                                   description="continue this session")
    stream: Literal[False] = Field(False, description="streaming is not supported")


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class CompletionUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: CompletionUsage
    recpilot: TurnResult = Field(description="the full turn: items with ids, state, question, session id")


@router.post("/chat/completions", response_model=ChatCompletion, responses=NOT_FOUND)
def chat_completions(body: ChatRequest, request: Request, service: ServiceDep,
                     x_user_id: XUserIdHeader = None) -> ChatCompletion:
    """Answers the last user message as the recommender (OpenAI chat-completions format)."""
    said = [m.text() for m in body.messages if m.role == "user" and m.text().strip()] or [""]  # "": a greeting
    user = resolve_user(request, x_user_id, body.user)
    for text in said:
        service.check_utterance(text)
    if body.session_id:
        service.session(body.session_id, user)
        session_id, earlier = body.session_id, []
    else:
        replay = service.settings.server.max_replay
        session_id, earlier = service.create_session(user).id, said[:-1][-replay:] if replay else []
    for text in earlier:
        service.ask(session_id, user, text)
    result = service.ask(session_id, user, said[-1])
    u = result.usage
    return ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex[:16]}", created=int(time.time()), model=body.model,
        choices=[Choice(message=AssistantMessage(content=result_markdown(result)))],
        usage=CompletionUsage(prompt_tokens=u.prompt_tokens, completion_tokens=u.completion_tokens,
                              total_tokens=u.prompt_tokens + u.completion_tokens),
        recpilot=result,
    )
