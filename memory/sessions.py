"""Sessions in the database (``memory/database.py``: SQLite under home, or PostgreSQL), so a
conversation resumes after a restart and any worker can serve any turn.

A session holds the preference state, every turn (user text, reply, items shown), the
feedback given and the history the caller said the user has (items liked elsewhere). The
session row holds the state; turns and feedback are rows appended as they happen. A save is
one transaction (a crash mid-turn keeps the previous state) and checks the row's version, so a
writer that did not hold the session's lock (``SessionStore.lock``) fails loudly instead of
silently overwriting another's turn.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr, ValidationError
from sqlalchemy import text

from recpilot.errors import LimitExceeded, SessionConflict, SessionNotFound, SessionUnreadable
from recpilot.memory.database import engine_for, is_postgres, migrate
from recpilot.memory.locks import AdvisoryLocks, FileLocks
from recpilot.preferences import Constraint, ItemRef, Preference, PreferenceState, SetAside

log = logging.getLogger("recpilot.sessions")

#: a session's row (its state and history) may not grow past this; turns are rows of their own
MAX_SESSION_BYTES = 512_000
#: turns one session may hold; a longer conversation starts a new session
MAX_TURNS = 1000


class TurnRecord(BaseModel):
    user: str
    reply: str = ""
    items: list[str] = Field(default_factory=list)
    question: str | None = None
    intent: str | None = None
    focus: str | None = Field(None, description="the item this turn was about (asked, chosen)")
    action: str | None = Field(None, description="set when a click, not a message, started the turn "
                               "('removed: year ≤ 1999'): ``user`` then holds what the agent was told")
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
    # what the database holds of this session: the row's version, and how many turns and
    # feedback rows are already stored (a save appends only the rest)
    _version: int = PrivateAttr(-1)
    _stored_turns: int = PrivateAttr(0)
    _stored_feedback: int = PrivateAttr(0)

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


_HEAD_EXCLUDE = {"turns", "feedback"}


class SessionStore:
    """Sessions and the call log in SQLite (a ``Path``) or PostgreSQL (a ``postgresql://`` URL)."""

    def __init__(self, target: str | Path):
        self.target = target
        self.engine = engine_for(target)
        migrate(self.engine)
        if is_postgres(self.engine):
            self._locks: FileLocks | AdvisoryLocks = AdvisoryLocks(self.engine)
        else:
            self._locks = FileLocks(Path(target).parent / f"{Path(target).name}.locks")

    def lock(self, session_id: str, timeout: float = 60.0) -> AbstractContextManager[None]:
        """Held by a turn, a state edit or feedback from reading the session to saving it;
        excludes every other holder in any thread, process or (on PostgreSQL) host."""
        return self._locks.hold(session_id, timeout)

    def create(self, user_id: str, catalog: str, session_id: str | None = None) -> Session:
        session = Session(id=session_id or uuid.uuid4().hex[:12], user_id=user_id, catalog=catalog)
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            inserted = conn.execute(text(
                "INSERT INTO sessions (id, user_id, catalog, created, updated, turns, body, version) "
                "VALUES (:id, :u, :c, :cr, :up, 0, :b, 0) ON CONFLICT (id) DO NOTHING"),
                {"id": session.id, "u": user_id, "c": catalog, "cr": session.created, "up": session.updated,
                 "b": _head_json(session)}).rowcount
        if not inserted:
            raise SessionConflict(session.id)
        session._version = 0
        return session

    def get(self, session_id: str, user_id: str | None = None) -> Session:
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT user_id, body, version FROM sessions WHERE id = :id"),
                               {"id": session_id}).fetchone()
            if row is None or (user_id is not None and row[0] != user_id):
                raise SessionNotFound(session_id)  # another user's session does not exist for you
            turns = conn.execute(text("SELECT body FROM turns WHERE session_id = :id ORDER BY idx"),
                                 {"id": session_id}).scalars().all()
            feedback = conn.execute(text("SELECT body FROM feedback WHERE session_id = :id ORDER BY idx"),
                                    {"id": session_id}).scalars().all()
        try:
            data = json.loads(row[1])
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            data["turns"] = [json.loads(t) for t in turns]
            data["feedback"] = [json.loads(f) for f in feedback]
        except ValueError as exc:  # json.JSONDecodeError is one
            raise SessionUnreadable(f"session {session_id!r} is stored in a form this version cannot read "
                                    f"({exc}); start a new session") from exc
        session = _validated(session_id, data)
        session._version, session._stored_turns, session._stored_feedback = row[2], len(turns), len(feedback)
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
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM sessions WHERE id = :id"), {"id": session_id}).first() is not None

    def save(self, session: Session, amend_last_turn: bool = False) -> None:
        """Writes the state and appends the turns and feedback not yet stored, in one transaction.
        Stored turns are not rewritten (a turn, once answered, is history), except the last one
        with ``amend_last_turn`` (a replay that writes a human's reply into it).

        Raises ``SessionConflict`` (and writes nothing) when the stored session moved on since
        ``session`` was read; ``LimitExceeded`` when the session grew past its bounds."""
        if session._version < 0:
            raise ValueError("save() takes a session from create() or get()")
        if len(session.turns) > MAX_TURNS:
            raise LimitExceeded(f"this session has reached {MAX_TURNS} turns; start a new session")
        previous, session.updated = session.updated, time.time()
        head = _head_json(session)
        if len(head) > MAX_SESSION_BYTES:
            session.updated = previous
            raise LimitExceeded(f"this session's state has grown past {MAX_SESSION_BYTES // 1000} kB; remove "
                                "some constraints or start a new session")
        new_turns = session.turns[session._stored_turns:]
        new_feedback = session.feedback[session._stored_feedback:]
        updated = session.updated
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            moved = conn.execute(text(
                "UPDATE sessions SET updated = :up, turns = :n, body = :b, version = version + 1 "
                "WHERE id = :id AND version = :v"),
                {"up": updated, "n": len(session.turns), "b": head, "id": session.id, "v": session._version}).rowcount
            if moved != 1:
                session.updated = previous
                raise SessionConflict(session.id)
            if amend_last_turn and 0 < session._stored_turns <= len(session.turns):
                idx = session._stored_turns - 1
                conn.execute(text("UPDATE turns SET body = :b WHERE session_id = :s AND idx = :i"),
                             {"b": session.turns[idx].model_dump_json(), "s": session.id, "i": idx})
            for table, records, start in (("turns", new_turns, session._stored_turns),
                                          ("feedback", new_feedback, session._stored_feedback)):
                if records:
                    conn.execute(text(f"INSERT INTO {table} (session_id, idx, at, body) VALUES (:s, :i, :at, :b)"),
                                 [{"s": session.id, "i": start + i, "at": r.at, "b": r.model_dump_json()}
                                  for i, r in enumerate(records)])
        session._version += 1
        session._stored_turns, session._stored_feedback = len(session.turns), len(session.feedback)

    def list(self, user_id: str | None = None, limit: int = 100) -> list[SessionSummary]:
        sql = "SELECT id, user_id, catalog, turns, updated FROM sessions"
        args: dict[str, Any] = {"limit": limit}
        if user_id is not None:
            sql += " WHERE user_id = :u"
            args["u"] = user_id
        sql += " ORDER BY updated DESC LIMIT :limit"
        with self.engine.connect() as conn:
            rows = conn.execute(text(sql), args).fetchall()
        return [SessionSummary(id=r[0], user_id=r[1], catalog=r[2], turns=r[3], updated=r[4]) for r in rows]

    def log_calls(self, session_id: str, turn: int, calls: list[dict]) -> None:
        """Every LLM and tool call of a turn, queryable with SQL for a person debugging."""
        if not calls:
            return
        now = time.time()
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            conn.execute(text(
                "INSERT INTO calls (session_id, turn, seq, kind, name, model, prompt_tokens, completion_tokens, "
                "duration_ms, error, at) VALUES (:s, :t, :q, :k, :n, :m, :p, :c, :d, :e, :at)"),
                [{"s": session_id, "t": turn, "q": i, "k": c["kind"], "n": c["name"], "m": c.get("model"),
                  "p": c.get("prompt_tokens", 0), "c": c.get("completion_tokens", 0),
                  "d": c.get("duration_ms", 0.0), "e": c.get("error"), "at": now} for i, c in enumerate(calls)])

    def calls(self, session_id: str) -> list[dict]:
        keys = ("turn", "kind", "name", "model", "prompt_tokens", "completion_tokens", "duration_ms", "error")
        with self.engine.connect() as conn:
            rows = conn.execute(text(
                f"SELECT {', '.join(keys)} FROM calls WHERE session_id = :s ORDER BY turn, seq"),
                {"s": session_id}).fetchall()
        return [dict(zip(keys, r, strict=True)) for r in rows]


def _head_json(session: Session) -> str:
    return session.model_dump_json(exclude=_HEAD_EXCLUDE)


def _validated(session_id: str, data: dict) -> Session:
    """The stored session, repaired when parts of its state no longer validate (a constraint
    written by an older version, say): those parts are dropped and logged, the rest kept."""
    try:
        return Session.model_validate(data)
    except ValidationError as first:
        state = data.get("state")
        if isinstance(state, dict):
            data["state"] = _repaired_state(state)
        try:
            session = Session.model_validate(data)
        except ValidationError:
            raise SessionUnreadable(f"session {session_id!r} is stored in a form this version cannot read "
                                    f"({first.error_count()} problems); start a new session") from first
        log.warning("session %s: dropped parts of its state that no longer validate: %s", session_id,
                    "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in first.errors()[:5]))
        return session


_STATE_LISTS = {"constraints": Constraint, "likes": Preference, "dislikes": Preference, "liked_items": ItemRef,
                "rejected_items": ItemRef, "read_items": ItemRef, "anchors": ItemRef, "set_aside": SetAside}


def _repaired_state(state: dict) -> dict:
    repaired = dict(state)
    for name, model in _STATE_LISTS.items():
        entries = state.get(name)
        if isinstance(entries, list):
            repaired[name] = [e for e in entries if _valid(model, e)]
    try:
        PreferenceState.model_validate(repaired)
        return repaired
    except ValidationError:
        # what is left is not a list of entries: keep what the user said about items, drop the rest
        keep = {k: repaired[k] for k in ("liked_items", "rejected_items", "read_items") if k in repaired}
        return keep


def _valid(model: type[BaseModel], entry: Any) -> bool:
    try:
        model.model_validate(entry)
        return True
    except ValidationError:
        return False
