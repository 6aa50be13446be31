"""Any OpenAI-compatible endpoint: OpenAI, vLLM, Ollama, llama.cpp's server."""

from __future__ import annotations

import time

from recpilot.errors import ConfigError, LLMUnavailable
from recpilot.llm.base import ChatModel, LLMResponse, Message
from recpilot.settings import LLMSettings


class OpenAIChatModel(ChatModel):
    """Chat completions over HTTP. A dead endpoint fails within one timeout; after that, calls
    fail at once for ``retry_after_s`` seconds, so one turn never waits on it twice."""

    def __init__(self, base_url: str | None, api_key: str, model: str, timeout_s: float = 20.0,
                 temperature: float = 0.0, retry_after_s: float = 30.0):
        import openai

        self.base_url, self.model, self.timeout_s = base_url, model, timeout_s
        self.name = model
        self.default_temperature = temperature
        self.retry_after_s = retry_after_s
        self._down_since: float | None = None
        # No retries: a dead endpoint must fail within one timeout, then the turn falls back.
        self.client = openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=0)

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> OpenAIChatModel:
        if not settings.base_url:
            raise ConfigError("the openai backend needs a base URL: set RECPILOT_LLM__BASE_URL or --llm-base-url")
        return cls(settings.base_url, settings.api_key.get_secret_value(), settings.model, settings.timeout_s,
                   settings.temperature)

    def _complete(self, messages: list[Message], *, json_schema, max_tokens, temperature) -> LLMResponse:
        import openai

        if self._down_since is not None:
            ago = time.monotonic() - self._down_since
            if ago < self.retry_after_s:
                raise LLMUnavailable(f"LLM endpoint {self.base_url} unreachable {ago:.0f} s ago; "
                                     f"not retried for {self.retry_after_s:g} s")
        kwargs = {}
        if json_schema is not None:
            # llama.cpp's server reads "schema"; OpenAI and vLLM read "json_schema".
            kwargs["response_format"] = {
                "type": "json_object", "schema": json_schema,
            } if self._is_llamacpp_style() else {
                "type": "json_schema", "json_schema": {"name": "output", "schema": json_schema},
            }
        try:
            out = self.client.chat.completions.create(
                model=self.model, messages=[m.model_dump() for m in messages], max_tokens=max_tokens,
                temperature=temperature, **kwargs,
            )
        except (openai.APIConnectionError, openai.APITimeoutError) as exc:  # the timeout is a subclass
            self._down_since = time.monotonic()
            raise LLMUnavailable(f"LLM endpoint {self.base_url} unreachable: {type(exc).__name__}") from exc
        except openai.APIStatusError as exc:
            raise LLMUnavailable(f"LLM endpoint {self.base_url} answered {exc.status_code}") from exc
        except openai.OpenAIError as exc:  # e.g. a response that is not a chat completion
            raise LLMUnavailable(f"LLM endpoint {self.base_url} failed: {type(exc).__name__}: {exc}") from exc
        self._down_since = None
        if not out.choices:
            raise LLMUnavailable(f"LLM endpoint {self.base_url} answered without a completion")
        usage = out.usage
        return LLMResponse(
            text=out.choices[0].message.content or "",
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0, model=out.model or self.model,
        )

    def _is_llamacpp_style(self) -> bool:
        return bool(self.base_url) and "api.openai.com" not in self.base_url

    def to_langchain(self):
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(base_url=self.base_url, api_key=self.client.api_key, model=self.model,
                          timeout=self.timeout_s, max_retries=0, temperature=self.default_temperature)
