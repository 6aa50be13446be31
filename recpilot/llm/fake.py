"""A scripted chat model for unit tests of control flow. Never a production backend."""

from __future__ import annotations

from collections.abc import Callable

from recpilot.errors import LLMUnavailable
from recpilot.llm.base import ChatModel, LLMResponse, Message


class ScriptedChatModel(ChatModel):
    """Answers from a list of scripted replies (or a function of the messages), in order.

    A reply that is an exception instance is raised instead, to script failures.
    """

    name = "scripted"

    def __init__(self, replies: list[str | Exception] | Callable[[list[Message]], str] | None = None):
        self._replies = replies if replies is not None else []
        self.calls: list[list[Message]] = []
        self.schemas: list[dict | None] = []

    def _complete(self, messages, *, json_schema, max_tokens, temperature) -> LLMResponse:
        self.calls.append(messages)
        self.schemas.append(json_schema)
        if callable(self._replies):
            reply: str | Exception = self._replies(messages)
        elif self._replies:
            reply = self._replies.pop(0)
        else:
            reply = LLMUnavailable("scripted model has no reply left")
        if isinstance(reply, Exception):
            raise reply
        return LLMResponse(text=reply, prompt_tokens=10, completion_tokens=len(reply.split()), model=self.name)
