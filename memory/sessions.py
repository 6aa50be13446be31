"""Sessions persisted in SQLite under RECPILOT_HOME, so a conversation resumes after a restart.

A session holds the preference state, every turn (user text, reply, items shown), the
feedback given and the history the caller said the user has (items liked elsewhere). Each save is one transaction: a crash mid-turn keeps the previous state.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from recpilot.errors import SessionNotFound
from recpilot.preferences import PreferenceState


class TurnRecord(BaseModel):
    user: str
    reply: str = ""
    items: list[str] = Field(default_factory=list)
    question: str | None = None
    intent: str | None = None
    focus: str | None = Field(None, description="the item this turn was about (asked, chosen)")
    at: float = Field(default_factory=time.time)


class Feedback(BaseModel):
    item_id: str
    kind: Literal["like", "dislike", "more_like_this", "accept"]
    at: float = Field(default_factory=time.time)


class Session(BaseModel):
    id: str
    user_id: str
    catalog: str
    created: float = Field(default_factory=time.time)
    updated: float = Field(default_factory=time.time)
    state: PreferenceState = Field(default_factory=PreferenceState)
    turns: list[TurnRecord] = Field(default_factory=list)
    feedback: list[Feedback] = Field(default_factory=list)
    history: list[str] = Field(default_factory=list, description="ids of items the user liked before, as the caller "
                               "gave them (another system's history): the trained ranker reads them like likes")

    @property
    def last_shown(self) -> list[str]:
        for turn in reversed(self.turns):
            if turn.items:
                return turn.items
        return []

    @property
    def focus(self) -> str | None:
        return self.turns[-1].focus if self.turns else None

    @property
    def shown(self) -> set[str]:
        return {i for t in self.turns for i in t.items}


class SessionSummary(BaseModel):
    id: str
    user_id: str
    catalog: str
    turns: int
    updated: float


_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, catalog TEXT NOT NULL,
  created REAL NOT NULL, updated REAL NOT NULL, turns INTEGER NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id, updated);
CREATE TABLE IF NOT EXISTS calls (
  session_id TEXT, turn INTEGER, kind TEXT, name TEXT, model TEXT, prompt_tokens INTEGER,
  completion_tokens INTEGER, duration_ms REAL, error TEXT, at REAL
);
"""


class SessionStore:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        with self._conn() as conn:
            conn.executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def create(self, user_id: str, catalog: str, session_id: str | None = None) -> Session:
        session = Session(id=session_id or uuid.uuid4().hex[:12], user_id=user_id, catalog=catalog)
        self.save(session)
        return session

    def get(self, session_id: str, user_id: str | None = None) -> Session:
        row = self._conn().execute("SELECT body FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise SessionNotFound(session_id)
        session = Session.model_validate_json(row[0])
        if user_id is not None and session.user_id != user_id:
            raise SessionNotFound(session_id)  # another user's session does not exist for you
        return session

    def get_or_create(self, session_id: str | None, user_id: str, catalog: str) -> Session:
        if session_id:
            try:
                return self.get(session_id, user_id)
            except SessionNotFound:
                if self._exists(session_id):
                    raise
        return self.create(user_id, catalog, session_id)

    def _exists(self, session_id: str) -> bool:
        return self._conn().execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is not None

    def save(self, session: Session) -> None:
        session.updated = time.time()
        self._conn().execute(
            "INSERT INTO sessions (id, user_id, catalog, created, updated, turns, body) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT(id) DO UPDATE SET updated=excluded.updated, turns=excluded.turns, body=excluded.body",
            (session.id, session.user_id, session.catalog, session.created, session.updated,
             len(session.turns), session.model_dump_json()),
        )

    def list(self, user_id: str | None = None, limit: int = 100) -> list[SessionSummary]:
        sql = "SELECT id, user_id, catalog, turns, updated FROM sessions"
        args: tuple = ()
        if user_id is not None:
            sql += " WHERE user_id = ?"
            args = (user_id,)
        sql += " ORDER BY updated DESC LIMIT ?"
        rows = self._conn().execute(sql, (*args, limit)).fetchall()
        return [SessionSummary(id=r[0], user_id=r[1], catalog=r[2], turns=r[3], updated=r[4]) for r in rows]

    def log_calls(self, session_id: str, turn: int, calls: list[dict]) -> None:
        """Every LLM and tool call of a turn, queryable with sqlite3 for a person debugging."""
        self._conn().executemany(
            "INSERT INTO calls VALUES (?,?,?,?,?,?,?,?,?,?)",
            [(session_id, turn, c["kind"], c["name"], c.get("model"), c.get("prompt_tokens", 0),
              c.get("completion_tokens", 0), c.get("duration_ms", 0.0), c.get("error"), time.time())
             for c in calls],
        )

    def calls(self, session_id: str) -> list[dict]:
        rows = self._conn().execute(
            "SELECT turn, kind, name, model, prompt_tokens, completion_tokens, duration_ms, error "
            "FROM calls WHERE session_id = ? ORDER BY rowid", (session_id,)).fetchall()
        keys = ("turn", "kind", "name", "model", "prompt_tokens", "completion_tokens", "duration_ms", "error")
        return [dict(zip(keys, r, strict=True)) for r in rows]

