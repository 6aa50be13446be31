"""Real services for the tests: a PostgreSQL server and a chromadb server.

* ``postgres_url()``: a running PostgreSQL server's URL, or None (``postgres_skip_reason()`` says
  why). ``RECPILOT_TEST_POSTGRES_URL`` names one; else, as root on a machine with Debian's
  PostgreSQL package, the packaged cluster is started and its ``postgres`` user given a known
  password for TCP logins on 127.0.0.1.
* ``fresh_database(base_url)`` / ``drop_database(url)``: a uniquely named database on that server.
* ``ChromaServer``: a ``chroma run`` subprocess on a free loopback port over a temp directory.

The fixtures that use these are in tests/conftest.py.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ENV_URL = "RECPILOT_TEST_POSTGRES_URL"
#: the password given to the packaged cluster's ``postgres`` user (it listens on loopback only)
PASSWORD = "recpilot-test"
INSTALL_HINT = (
    f"set {ENV_URL}=postgresql+psycopg://USER:PASSWORD@HOST:PORT/postgres, or, as root on "
    "Debian/Ubuntu, `apt-get install postgresql` (the tests then start the packaged cluster themselves; "
    ".ci/run does both)"
)

_pg_cache: dict[str, str | None] = {}
_db_counter = itertools.count(1)
_created: dict[str, str] = {}  # database URL -> the server URL it was created from


# --- PostgreSQL ---------------------------------------------------------------------------------
def postgres_url() -> str | None:
    """A base URL (``postgresql+psycopg://...@host:port/postgres``) for a PostgreSQL server that
    accepts connections now, or None when there is none (see ``postgres_skip_reason``).
    Computed once per process. A server named by the environment that does not answer is an
    error, not a skip."""
    if "url" not in _pg_cache:
        url, reason = _find_postgres()
        _pg_cache["url"], _pg_cache["reason"] = url, reason
    return _pg_cache["url"]


def postgres_skip_reason() -> str:
    postgres_url()
    return _pg_cache.get("reason") or ""


def _find_postgres() -> tuple[str | None, str | None]:
    env = os.environ.get(ENV_URL, "").strip()
    if env:
        url = _normalize(env)
        wait_for_postgres(url, timeout=30)
        return url, None
    tools = [shutil.which(t) for t in ("pg_lsclusters", "pg_ctlcluster", "runuser")]
    if not all(tools):
        return None, f"PostgreSQL is not installed (no Debian cluster tools on PATH): {INSTALL_HINT}"
    if os.geteuid() != 0:
        return None, f"starting the packaged PostgreSQL cluster needs root: {INSTALL_HINT}"
    cluster = _ensure_cluster()
    if cluster is None:
        return None, f"no PostgreSQL cluster could be found or created: {INSTALL_HINT}"
    version, name, port = cluster
    url = f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{port}/postgres"
    try:
        wait_for_postgres(url, timeout=2)  # the password is set already (an earlier run)
    except RuntimeError:
        _psql_as_postgres(port, f"ALTER USER postgres PASSWORD '{PASSWORD}'")
        wait_for_postgres(url, timeout=30)
    return url, None


def _clusters() -> list[tuple[str, str, str, str]]:
    """(version, name, port, status) of every packaged cluster, as ``pg_lsclusters`` lists them."""
    out = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        cols = line.split()
        if len(cols) >= 4:
            rows.append((cols[0], cols[1], cols[2], cols[3]))
    return rows


def _ensure_cluster() -> tuple[str, str, str] | None:
    """Starts the packaged cluster when it is down (creating ``main`` when there is none);
    returns (version, name, port) of an online one."""
    clusters = _clusters()
    if not clusters and shutil.which("pg_createcluster"):
        versions = sorted((p.name for p in Path("/usr/lib/postgresql").glob("*") if (p / "bin").is_dir()),
                          key=lambda v: int(v) if v.isdigit() else 0)
        if versions:
            subprocess.run(["pg_createcluster", versions[-1], "main"], capture_output=True, text=True)
            clusters = _clusters()
    if not clusters:
        return None
    online = [c for c in clusters if c[3].startswith("online")]
    if online:
        version, name, port, _ = online[0]
        return version, name, port
    version, name, port, _ = max(clusters, key=lambda c: int(c[0]) if c[0].isdigit() else 0)
    proc = subprocess.run(["pg_ctlcluster", version, name, "start"], capture_output=True, text=True)
    if proc.returncode != 0 and "already running" not in (proc.stderr + proc.stdout):
        raise RuntimeError(f"pg_ctlcluster {version} {name} start failed ({proc.returncode}):\n"
                           f"{proc.stdout}{proc.stderr}")
    return version, name, port


def _psql_as_postgres(port: str, sql: str) -> None:
    proc = subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                           "-p", str(port), "-d", "postgres", "-c", sql],
                          capture_output=True, text=True, cwd="/", timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"psql as postgres failed ({proc.returncode}): {proc.stderr.strip()}")


def _normalize(url: str) -> str:
    """``postgres://`` (which SQLAlchemy 2 refuses) is spelled ``postgresql://``."""
    return "postgresql://" + url[len("postgres://"):] if url.startswith("postgres://") else url


def conninfo(url: str) -> str:
    """A SQLAlchemy-style URL (``postgresql+psycopg://``) as a libpq URL psycopg accepts."""
    from sqlalchemy.engine import make_url

    return make_url(_normalize(url)).set(drivername="postgresql").render_as_string(hide_password=False)


def connect(url: str, **kwargs):
    """A psycopg connection to ``url`` (either URL form)."""
    import psycopg

    kwargs.setdefault("connect_timeout", 5)
    return psycopg.connect(conninfo(url), **kwargs)


def wait_for_postgres(url: str, timeout: float = 30) -> None:
    """Polls until ``url`` accepts a connection and a query; RuntimeError with the last error."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with connect(url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.Error as exc:
            # a refused login will not change by waiting; a server still starting up will
            if time.monotonic() >= deadline or "authentication failed" in str(exc):
                raise RuntimeError(f"PostgreSQL at {_redact(url)} did not accept a connection "
                                   f"(waited up to {timeout:g} s): {exc}") from exc
        time.sleep(0.3)


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(_normalize(url)).render_as_string(hide_password=True)


def fresh_database(base_url: str) -> str:
    """Creates a new, uniquely named database on ``base_url``'s server; returns its URL (same
    URL form as ``base_url``)."""
    from psycopg import sql
    from sqlalchemy.engine import make_url

    name = f"recpilot_test_{os.getpid()}_{next(_db_counter)}_{uuid.uuid4().hex[:6]}"
    with connect(base_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(_normalize(base_url)).set(database=name).render_as_string(hide_password=False)
    _created[url] = base_url
    return url


def drop_database(url: str) -> None:
    """Drops ``url``'s database (closing any connection still open on it); a missing one is fine."""
    from psycopg import sql
    from sqlalchemy.engine import make_url

    parsed = make_url(_normalize(url))
    base = _created.pop(url, None) or parsed.set(database="postgres").render_as_string(hide_password=False)
    with connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(parsed.database)))


def database_exists(base_url: str, name: str) -> bool:
    with connect(base_url) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


# --- chromadb -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ChromaServer:
    """``chroma run`` on 127.0.0.1 and a free port, over a temp directory (or ``path``)::

        with ChromaServer() as server:
            client = server.client()   # chromadb.HttpClient(host=server.host, port=server.port)

    Entering waits for the heartbeat (``timeout`` seconds); exiting terminates the process
    (kills it if it lingers) and removes the temp directory.
    """

    host = "127.0.0.1"

    def __init__(self, path: str | Path | None = None, timeout: float = 60):
        self.timeout = timeout
        self._root = Path(tempfile.mkdtemp(prefix="recpilot-chroma-"))
        self.path = Path(path) if path is not None else self._root / "data"
        self.log = self._root / "chroma.log"
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @staticmethod
    def executable() -> Path:
        """The ``chroma`` script beside this interpreter (the venv's)."""
        return Path(sys.executable).parent / "chroma"

    def start(self) -> ChromaServer:
        import httpx

        exe = self.executable()
        if not exe.exists():
            raise FileNotFoundError(f"{exe} not found: chromadb is not installed in this environment")
        self.path.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(exe), "run", "--path", str(self.path), "--host", self.host, "--port", str(self.port)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=str(self._root),
            )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code, output = self.proc.returncode, self.output()
                self.stop()
                raise RuntimeError(f"chroma run exited with {code} before answering:\n{output}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        output = self.output()
        self.stop()
        raise RuntimeError(f"chroma run did not answer {self.url}/api/v2/heartbeat within "
                           f"{self.timeout:g} s:\n{output}")

    def output(self, limit: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-limit:]
        except OSError:
            return ""

    def client(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        return chromadb.HttpClient(host=self.host, port=self.port,
                                   settings=ChromaSettings(anonymized_telemetry=False))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> ChromaServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
