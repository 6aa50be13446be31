"""The chat-model interface every backend implements, and the usage records it produces."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any, Literal

from pydantic import BaseModel, Field

from recpilot.errors import ConfigError
from recpilot.settings import LLMSettings


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class LLMResponse(BaseModel):
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    duration_ms: float = 0.0
    model: str = ""


class LLMCall(BaseModel):
    """One call as it is logged: what was asked, what it cost, whether it failed."""

    prompt: str = Field(description="name of the prompt template")
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    duration_ms: float = 0.0
    error: str | None = None


class Usage(BaseModel):
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0

    def add_call(self, call: LLMCall) -> None:
        self.llm_calls += 1
        self.prompt_tokens += call.prompt_tokens
        self.completion_tokens += call.completion_tokens


class ChatModel(ABC):
    """A chat model. ``complete`` raises ``LLMUnavailable`` when the backend cannot answer."""

    name: str = "chat-model"

    @abstractmethod
    def _complete(
        self, messages: list[Message], *, json_schema: dict | None, max_tokens: int, temperature: float
    ) -> LLMResponse: ...

    def complete(
        self,
        messages: list[Message],
        *,
        json_schema: dict | None = None,
        max_tokens: int = 256,
        temperature: float | None = None,
    ) -> LLMResponse:
        start = time.perf_counter()
        response = self._complete(
            messages, json_schema=json_schema, max_tokens=max_tokens,
            temperature=self.default_temperature if temperature is None else temperature,
        )
        if not response.prompt_tokens:
            from recpilot.llm.tokens import count_tokens

            response.prompt_tokens = sum(count_tokens(m.content) + 4 for m in messages)
            response.completion_tokens = count_tokens(response.text)
        response.duration_ms = round((time.perf_counter() - start) * 1000, 1)
        response.model = response.model or self.name
        return response

    default_temperature: float = 0.0

    def to_langchain(self) -> Any:
        """The same model as a LangChain chat model, for LangChain agents."""
        raise NotImplementedError(f"{type(self).__name__} has no LangChain counterpart")


def build_chat_model(settings: LLMSettings) -> ChatModel | None:
    """The configured backend, or None for ``backend = "none"``."""
    if settings.backend == "none":
        return None
    if settings.backend == "llamacpp":
        from recpilot.llm.llamacpp import LlamaCppChatModel

        return LlamaCppChatModel.from_settings(settings)
    if settings.backend == "openai":
        from recpilot.llm.openai_compat import OpenAIChatModel

        return OpenAIChatModel.from_settings(settings)
    raise ConfigError(f"unknown LLM backend {settings.backend!r}")
