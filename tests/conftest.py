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


# --- subprocess helpers for the console script (tests/test_cli.py, tests/test_integration_model.py) ---
RECPILOT_BIN = REPO / ".venv" / "bin" / "recpilot"


@pytest.fixture(scope="session")
def copy_demo_home(demo_home, tmp_path_factory):
    """Factory: a private copy of the ingested demo home, for processes that write sessions and memory."""
    import shutil

    def _copy() -> Path:
        dst = tmp_path_factory.mktemp("demo-home-copy") / "home"
        shutil.copytree(demo_home, dst)
        return dst

    return _copy


@pytest.fixture(scope="session")
def run_cli():
    """Runs the real ``recpilot`` console script: ``run_cli(home, *args, input=None, env=None)``.

    The environment holds no RECPILOT_* variable but ``RECPILOT_HOME=home`` (plus ``env``).
    """
    import subprocess

    def _run(home: Path, *args: str, input: str | None = None, env: dict | None = None,
             timeout: float = 180) -> subprocess.CompletedProcess:
        base = {k: v for k, v in os.environ.items() if not k.startswith("RECPILOT_")}
        base.update({"RECPILOT_HOME": str(home), "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"})
        base.update(env or {})
        return subprocess.run([str(RECPILOT_BIN), *args], input=input, capture_output=True, text=True,
                              env=base, timeout=timeout, cwd=str(REPO))

    return _run


# --- a real `recpilot serve` on a free loopback port (tests/test_web.py, test_load.py, test_mcp.py) ---
class RunningServer:
    """A ``recpilot serve`` subprocess: ``url``, ``home``, ``rss_mb()``, ``stop()``."""

    def __init__(self, proc, url: str, home: Path, log: Path):
        self.proc, self.url, self.home, self.log = proc, url, home, log

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        import subprocess

        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def start_server(tmp_path_factory):
    """Factory: ``start_server(home, env=None, timeout=120, args=()) -> RunningServer`` listening on
    127.0.0.1; ``args`` are more ``recpilot serve`` options (``("--workers", "2")``).

    LLM backend ``none`` unless ``env`` says otherwise; every server is stopped at the end.
    """
    import socket
    import subprocess
    import time

    import httpx

    started: list[RunningServer] = []

    def _start(home: Path, env: dict | None = None, timeout: float = 120, args: tuple[str, ...] = ()) -> RunningServer:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        base = {k: v for k, v in os.environ.items() if not k.startswith("RECPILOT_")}
        base.update({"RECPILOT_HOME": str(home), "RECPILOT_LLM__BACKEND": "none", "HF_HUB_OFFLINE": "1",
                     "ANONYMIZED_TELEMETRY": "False"})
        base.update(env or {})
        log = tmp_path_factory.mktemp("server-log") / "serve.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([str(RECPILOT_BIN), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
                                    stdout=out, stderr=subprocess.STDOUT, env=base, cwd=str(REPO))
        server = RunningServer(proc, f"http://127.0.0.1:{port}", home, log)
        started.append(server)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"recpilot serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                    return server
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        server.stop()
        raise RuntimeError(f"recpilot serve did not answer within {timeout} s:\n{log.read_text()[-3000:]}")

    yield _start
    for server in started:
        server.stop()


# --- grounding check shared by the turn-level tests (tests/test_loop.py, test_bad_input.py, ...) ---
def assert_grounded(agent, result) -> None:
    """Every recommended item exists, carries its catalog title, is not rejected and meets every hard constraint."""
    rejected = {r.id for r in result.state.rejected_items}
    ids = [i.id for i in result.items]
    assert len(ids) == len(set(ids)), f"duplicate items: {ids}"
    for item in result.items:
        assert agent.catalog.has(item.id), f"{item.id} is not in the catalog"
        book = agent.catalog.get(item.id)
        assert item.title == book.title
        assert item.id not in rejected, f"{item.id} was rejected"
        for c in result.state.constraints:
            assert c.satisfied_by(book), f"{item.id} ({book.title}) breaks {c.describe()}"


# --- torch (tests/test_rankers.py, test_ranker_scorer.py, test_train_cli.py) ---
@pytest.fixture(scope="module")
def torch_one_thread():
    """Torch on one thread: the tests' tensors are small, and on a busy 2-core machine two
    threads spinning against other processes are several times slower than one."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# --- real services: PostgreSQL and a chromadb server (tests/services.py; tests/test_services.py) ---
@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The base URL (``postgresql+psycopg://postgres:...@127.0.0.1:5432/postgres``) of a running
    PostgreSQL: ``RECPILOT_TEST_POSTGRES_URL``, else the Debian cluster, started here as root.
    Skips, saying how to get one, when there is none."""
    import services

    url = services.postgres_url()
    if url is None:
        pytest.skip(services.postgres_skip_reason())
    return url


@pytest.fixture
def postgres_db(postgres_server):
    """A fresh, empty database's URL on ``postgres_server`` (same URL form), dropped afterwards."""
    import services

    url = services.fresh_database(postgres_server)
    yield url
    services.drop_database(url)


@pytest.fixture(scope="session")
def chroma_server():
    """A real ``chroma run`` server on a free loopback port for the whole run: ``host``,
    ``port``, ``url``, ``client()`` (tests/services.py ChromaServer)."""
    import services

    if not services.ChromaServer.executable().exists():
        pytest.skip(f"{services.ChromaServer.executable()} not found: install chromadb (scripts/setup.sh)")
    with services.ChromaServer() as server:
        yield server
