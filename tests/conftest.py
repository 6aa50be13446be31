"""Shared fixtures and fakes. Tests never touch the user's real RECPILOT_HOME."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from recpilot.agent.agent import RecPilot  # noqa: E402
from recpilot.catalog import load_catalog  # noqa: E402
from recpilot.ingest import ingest_demo  # noqa: E402
from recpilot.llm.fake import ScriptedChatModel  # noqa: E402
from recpilot.memory.longterm import LongTermMemory  # noqa: E402
from recpilot.memory.sessions import SessionStore  # noqa: E402
from recpilot.settings import LLMSettings, Settings  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _no_real_home(monkeypatch, tmp_path_factory):
    """Anything that builds Settings() without a home lands in a temp dir, not ~/.local."""
    if "RECPILOT_HOME" not in os.environ:
        monkeypatch.setenv("RECPILOT_HOME", str(tmp_path_factory.mktemp("default-home")))


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory) -> Path:
    """A RECPILOT_HOME with the demo catalog ingested once per test run (read-mostly)."""
    home = tmp_path_factory.mktemp("demo-home")
    ingest_demo(Settings(home=home, llm=LLMSettings(backend="none")))
    return home


@pytest.fixture(scope="session")
def demo_settings(demo_home) -> Settings:
    return Settings(home=demo_home, llm=LLMSettings(backend="none"))


@pytest.fixture(scope="session")
def demo_catalog(demo_settings):
    return load_catalog(demo_settings)


@pytest.fixture
def user_id() -> str:
    """A fresh user per test, so long-term memory never leaks between tests."""
    return f"test-{uuid.uuid4().hex[:8]}"


def make_agent(settings: Settings, llm=None, memory: bool = True) -> RecPilot:
    catalog = load_catalog(settings)
    return RecPilot(settings, catalog, llm, SessionStore(settings.sessions_db),
                    LongTermMemory(settings) if memory else None)


@pytest.fixture
def agent(demo_settings) -> RecPilot:
    """The agent over the demo catalog with no LLM (deterministic parser, templated lead-in)."""
    return make_agent(demo_settings)


@pytest.fixture
def scripted():
    """Factory for a scripted fake chat model (control-flow tests only)."""
    return ScriptedChatModel


@pytest.fixture(scope="session")
def real_llm():
    """The real embedded model (SmolLM2-135M via llama.cpp)."""
    from recpilot.llm.llamacpp import LlamaCppChatModel

    return LlamaCppChatModel.from_settings(LLMSettings())
