"""The database behind sessions and the call log: a SQLite file by default, PostgreSQL when
``RECPILOT_DATABASE_URL`` names one. Both through SQLAlchemy Core, with the same SQL.

Migrations are numbered, append-only and recorded in ``recpilot_migrations`` (as simonw/llm
does): a database is brought up to date when it is opened, under a lock so that several
workers starting at once migrate it once. Never edit a migration that has shipped; add one.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text

from recpilot.errors import ConfigError

log = logging.getLogger("recpilot.database")

#: Any number, fixed: the key of the advisory lock PostgreSQL's migrations run under.
_MIGRATION_LOCK = 7_384_211


def engine_for(target: str | Path) -> Engine:
    """An engine for a database URL or a SQLite file path."""
    if isinstance(target, Path) or "://" not in str(target):
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        return _sqlite_engine(path)
    url = str(target)
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if not url.startswith("postgresql+"):
        raise ConfigError(f"unsupported database URL {_redact(url)!r}: use postgresql://user:password@host/db, "
                          "or leave RECPILOT_DATABASE_URL unset for the SQLite file under home")
    # A turn holds one connection for its lock and uses another briefly for its reads and
    # writes; a worker runs a bounded number of turns at once, so 20 connections are plenty.
    return create_engine(url, pool_size=5, max_overflow=15, pool_timeout=30, pool_pre_ping=True)


def _sqlite_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")
        dbapi_conn.execute("PRAGMA busy_timeout=30000")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock up front, so two writers queue on the busy timeout
        # instead of one failing when its read lock cannot be upgraded.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

    return engine


def _redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not even URL-shaped: say nothing of it
        return "(unreadable URL)"


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


# --- migrations ------------------------------------------------------------------------------------
def _m001_sessions_and_calls(conn: Connection) -> None:
    """The layout before migrations were numbered (a SQLite file from then already has it)."""
    conn.execute(text(
        "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, catalog TEXT NOT NULL, "
        "created DOUBLE PRECISION NOT NULL, updated DOUBLE PRECISION NOT NULL, turns INTEGER NOT NULL, "
        "body TEXT NOT NULL)"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id, updated)"))
    conn.execute(text(
        "CREATE TABLE IF NOT EXISTS calls (session_id TEXT, turn INTEGER, kind TEXT, name TEXT, model TEXT, "
        "prompt_tokens INTEGER, completion_tokens INTEGER, duration_ms DOUBLE PRECISION, error TEXT, "
        "at DOUBLE PRECISION)"))


def _m002_turns_and_feedback_rows(conn: Connection) -> None:
    """Turns and feedback become rows appended one at a time (a turn no longer rewrites the
    whole session), and the session row gets a version that every write checks."""
    for table in ("turns", "feedback"):
        conn.execute(text(
            f"CREATE TABLE {table} (session_id TEXT NOT NULL, idx INTEGER NOT NULL, at DOUBLE PRECISION NOT NULL, "
            "body TEXT NOT NULL, PRIMARY KEY (session_id, idx))"))
    conn.execute(text("ALTER TABLE sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 0"))
    conn.execute(text("ALTER TABLE calls ADD COLUMN seq INTEGER"))
    if conn.dialect.name == "sqlite":  # calls logged before keep their order (PostgreSQL never had any)
        conn.execute(text("UPDATE calls SET seq = rowid"))
    conn.execute(text("CREATE INDEX calls_session ON calls(session_id, turn)"))
    rows = conn.execute(text("SELECT id, body FROM sessions")).fetchall()
    for session_id, body in rows:
        data = json.loads(body)
        for table in ("turns", "feedback"):
            records = data.pop(table, None) or []
            if records:
                conn.execute(text(f"INSERT INTO {table} (session_id, idx, at, body) VALUES (:s, :i, :at, :b)"),
                             [{"s": session_id, "i": i, "at": float(r.get("at") or 0.0), "b": json.dumps(r)}
                              for i, r in enumerate(records)])
        conn.execute(text("UPDATE sessions SET body = :b WHERE id = :s"), {"b": json.dumps(data), "s": session_id})


def _m003_memories(conn: Connection) -> None:
    """Long-term memory's entries (what a user said about their taste) as rows; their vectors
    stay in the vector store, keyed by the same id."""
    conn.execute(text(
        "CREATE TABLE memories (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, catalog TEXT NOT NULL, "
        "kind TEXT NOT NULL, field TEXT, value TEXT NOT NULL, text TEXT NOT NULL, session_id TEXT NOT NULL, "
        "at DOUBLE PRECISION NOT NULL)"))
    conn.execute(text("CREATE INDEX memories_user ON memories(user_id, catalog, at)"))


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "sessions and calls", _m001_sessions_and_calls),
    (2, "turns and feedback as rows, session versions", _m002_turns_and_feedback_rows),
    (3, "long-term memory entries", _m003_memories),
]


def migrate(engine: Engine) -> list[int]:
    """Applies the migrations this database has not had; returns their numbers."""
    applied: list[int] = []
    with engine.connect().execution_options(write=True) as conn, conn.begin():
        if is_postgres(engine):
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        conn.execute(text("CREATE TABLE IF NOT EXISTS recpilot_migrations (id INTEGER PRIMARY KEY, "
                          "name TEXT NOT NULL, applied DOUBLE PRECISION NOT NULL)"))
        done = {r[0] for r in conn.execute(text("SELECT id FROM recpilot_migrations"))}
        for number, name, step in MIGRATIONS:
            if number in done:
                continue
            step(conn)
            conn.execute(text("INSERT INTO recpilot_migrations (id, name, applied) VALUES (:i, :n, :t)"),
                         {"i": number, "n": name, "t": time.time()})
            applied.append(number)
    if applied:
        log.info("database migrated: %s", ", ".join(map(str, applied)))
    return applied
