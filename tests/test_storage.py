"""The session store on both of its databases (memory/sessions.py, memory/database.py,
memory/locks.py): a SQLite file and a real PostgreSQL database (the ``postgres_db`` fixture;
those cases skip where there is no PostgreSQL). Round trips, append-only saves, version
conflicts, locks across threads and processes, lost updates under real concurrency, the
migration of a legacy SQLite file, repair of stored states that no longer validate, and bounds.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from recpilot.errors import (
    ConfigError,
    LimitExceeded,
    SessionBusy,
    SessionConflict,
    SessionUnreadable,
)
from recpilot.memory import sessions as sessions_module
from recpilot.memory.database import MIGRATIONS, engine_for, migrate
from recpilot.memory.locks import _stripe
from recpilot.memory.sessions import Feedback, Session, SessionStore, TurnRecord
from recpilot.preferences import Constraint, ItemRef, Preference, PreferenceState

REPO = Path(__file__).resolve().parent.parent


# --- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgres"])
def store_target(request, tmp_path) -> Path | str:
    """Where a store lives: a SQLite file, or the URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "sessions.db"
    return request.getfixturevalue("postgres_db")


@pytest.fixture
def open_store(store_target):
    """Factory: another ``SessionStore`` on the same target (another worker, in effect); every
    engine opened is disposed of at the end, before the database is dropped."""
    opened: list[SessionStore] = []

    def _open() -> SessionStore:
        store = SessionStore(store_target)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.engine.dispose()


@pytest.fixture
def store(open_store) -> SessionStore:
    return open_store()


@pytest.fixture
def children():
    """Subprocesses started by a test: ``children(script, *args)`` runs ``python -c script args``
    in the repository; any still running at the end is killed."""
    started: list[subprocess.Popen] = []

    def _start(script: str, *args: object) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", script, *map(str, args)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(REPO))
        started.append(proc)
        return proc

    yield _start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


def rich_state() -> PreferenceState:
    return PreferenceState(
        constraints=[Constraint(field="genres", op="include", value="fantasy"),
                     Constraint(field="year", op="gte", value=1990)],
        likes=[Preference(field=None, value="dragons", weight=1.0)],
        liked_items=[ItemRef(id="2", title="Harry Potter and the Sorcerer's Stone")],
    )


def stored_turn_rows(store: SessionStore, session_id: str) -> list[tuple[int, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT idx, body FROM turns WHERE session_id = :s ORDER BY idx"),
                            {"s": session_id}).fetchall()
    return [(r[0], json.loads(r[1])["user"]) for r in rows]


def stored_version(store: SessionStore, session_id: str) -> int:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT version FROM sessions WHERE id = :s"), {"s": session_id}).scalar_one()


def write_body(store: SessionStore, session_id: str, body: str) -> None:
    """Overwrites a session row's stored body, as an older version (or a person) might have left it."""
    with store.engine.connect().execution_options(write=True) as conn, conn.begin():
        conn.execute(text("UPDATE sessions SET body = :b WHERE id = :s"), {"b": body, "s": session_id})


def read_line(proc: subprocess.Popen, timeout: float = 60) -> str:
    """The child's next stdout line; fails the test (with the child's stderr) if none comes in time."""
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not box or not box[0]:
        proc.kill()
        _, err = proc.communicate(timeout=30)
        pytest.fail(f"child said nothing within {timeout} s (rc {proc.returncode}):\n{err[-3000:]}")
    return box[0].strip()


def two_stripes(prefix: str) -> tuple[str, str]:
    """Two session ids that share no SQLite lock file (on PostgreSQL any two differ)."""
    first = f"{prefix}-a"
    second = next(f"{prefix}-{i}" for i in range(100) if _stripe(f"{prefix}-{i}") != _stripe(first))
    return first, second


# --- round trip, append-only saves, conflicts ------------------------------------------------------
def test_a_saved_session_reads_back_identical_in_a_new_store(store, open_store):
    session = store.create("alice", "demo")
    session.state = rich_state()
    session.turns.append(TurnRecord(user="fantasy please", reply="Here you go", items=["1", "2"], intent="recommend"))
    session.turns.append(TurnRecord(user="not the first one", items=["3"], intent="reject", focus="3"))
    session.feedback.append(Feedback(item_id="2", kind="like"))
    session.history = ["7", "8"]
    store.save(session)

    reopened = open_store().get(session.id, "alice")

    assert reopened.model_dump() == session.model_dump()
    assert reopened.state.constraints[1].value == 1990 and reopened.state.liked_items[0].id == "2"
    assert reopened.last_shown == ["3"] and reopened.focus == "3"


def test_save_appends_only_new_turns_and_bumps_the_version(store):
    session = store.create("alice", "demo")
    assert stored_version(store, session.id) == 0
    for n in range(3):
        session.turns.append(TurnRecord(user=f"turn {n}"))
        store.save(session)

    assert stored_turn_rows(store, session.id) == [(0, "turn 0"), (1, "turn 1"), (2, "turn 2")]
    assert stored_version(store, session.id) == 3
    with store.engine.connect() as conn:
        turns, body = conn.execute(text("SELECT turns, body FROM sessions WHERE id = :s"),
                                   {"s": session.id}).one()
    assert turns == 3
    assert "turns" not in json.loads(body) and "feedback" not in json.loads(body)  # rows of their own


def test_a_stored_turn_is_rewritten_only_when_the_last_one_is_amended(store, open_store):
    session = store.create("alice", "demo")
    session.turns += [TurnRecord(user="first", reply="mine"), TurnRecord(user="second", reply="mine")]
    store.save(session)
    session.turns[0].reply = session.turns[1].reply = "changed"
    store.save(session)  # an answered turn is history: not rewritten
    assert [t.reply for t in open_store().get(session.id).turns] == ["mine", "mine"]

    session = store.get(session.id)
    session.turns[-1].reply, session.turns[-1].items = "the human's reply", ["7"]
    store.save(session, amend_last_turn=True)

    again = open_store().get(session.id)
    assert [(t.reply, t.items) for t in again.turns] == [("mine", []), ("the human's reply", ["7"])]


def test_feedback_rows_are_appended_like_turns(store, open_store):
    session = store.create("alice", "demo")
    session.feedback.append(Feedback(item_id="1", kind="like"))
    store.save(session)
    session.feedback.append(Feedback(item_id="2", kind="dislike"))
    store.save(session)

    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT idx, body FROM feedback WHERE session_id = :s ORDER BY idx"),
                            {"s": session.id}).fetchall()
    assert [(r[0], json.loads(r[1])["item_id"]) for r in rows] == [(0, "1"), (1, "2")]
    assert [f.kind for f in open_store().get(session.id).feedback] == ["like", "dislike"]


def test_of_two_copies_read_before_either_saves_the_first_save_wins(store, open_store):
    session = store.create("alice", "demo")
    first, second = store.get(session.id), open_store().get(session.id)

    first.turns.append(TurnRecord(user="from the first"))
    store.save(first)
    second.turns.append(TurnRecord(user="from the second"))
    second.feedback.append(Feedback(item_id="9", kind="like"))
    second.state = rich_state()
    with pytest.raises(SessionConflict, match=session.id):
        store.save(second)

    stored = open_store().get(session.id)
    assert [t.user for t in stored.turns] == ["from the first"]
    assert stored.feedback == [] and stored.state == PreferenceState()
    assert stored_turn_rows(store, session.id) == [(0, "from the first")]
    assert stored_version(store, session.id) == 1


def test_creating_a_session_id_that_exists_is_a_conflict(store):
    store.create("alice", "demo", "chosen")
    with pytest.raises(SessionConflict):
        store.create("bob", "demo", "chosen")
    assert store.get("chosen").user_id == "alice"


def test_save_refuses_a_session_that_was_never_stored(store):
    with pytest.raises(ValueError, match="create"):
        store.save(Session(id="loose", user_id="alice", catalog="demo"))


# --- locks -----------------------------------------------------------------------------------------
def test_lock_excludes_a_second_holder_who_waits_or_times_out(store, open_store):
    other = open_store()  # another worker on the same database
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.lock("s1"):
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(30)
        for contender in (store, other):
            started = time.monotonic()
            with pytest.raises(SessionBusy, match="s1"), contender.lock("s1", timeout=0.3):
                pass
            assert time.monotonic() - started >= 0.25

        acquired: list[float] = []

        def wait_for_it() -> None:
            with other.lock("s1", timeout=30):
                acquired.append(time.monotonic())

        waiter = threading.Thread(target=wait_for_it)
        waiter.start()
        time.sleep(0.3)
        assert acquired == []  # still waiting
        released = time.monotonic()
        release.set()
        waiter.join(30)
        assert acquired and acquired[0] >= released
    finally:
        release.set()
        holder.join(30)


def test_locks_on_different_sessions_do_not_block_each_other(store, open_store):
    first, second = two_stripes("sess")
    other = open_store()
    with store.lock(first, timeout=5):
        # a short timeout: waiting for ``first`` would raise SessionBusy
        with store.lock(second, timeout=0.5):  # this worker
            pass
        with other.lock(second, timeout=0.5):  # another worker
            pass


HOLDER = """
import sys
from pathlib import Path
from recpilot.memory.sessions import SessionStore
target, session_id = sys.argv[1], sys.argv[2]
store = SessionStore(target if "://" in target else Path(target))
with store.lock(session_id, timeout=30):
    print("locked", flush=True)
    sys.stdin.readline()  # held until the parent says so (or kills this process)
print("released", flush=True)
"""


def test_lock_excludes_another_process_until_it_releases(store, store_target, children):
    child = children(HOLDER, store_target, "s1")
    assert read_line(child) == "locked"

    with pytest.raises(SessionBusy), store.lock("s1", timeout=0.5):
        pass
    other_id = two_stripes("s1")[1]
    with store.lock(other_id, timeout=0.5):  # the child holds only its own session
        pass

    child.stdin.write("release\n")
    child.stdin.flush()
    assert read_line(child) == "released"
    assert child.wait(30) == 0
    started = time.monotonic()
    with store.lock("s1", timeout=5):
        pass
    assert time.monotonic() - started < 2.0


def test_a_killed_holder_process_frees_the_lock(store, store_target, children):
    child = children(HOLDER, store_target, "s1")
    assert read_line(child) == "locked"
    with pytest.raises(SessionBusy), store.lock("s1", timeout=0.3):
        pass

    os.kill(child.pid, signal.SIGKILL)
    child.wait(30)
    started = time.monotonic()
    with store.lock("s1", timeout=10):
        waited = time.monotonic() - started
    assert waited < 2.0, f"the lock took {waited:.2f} s to come free after its holder was killed"


INCREMENTER = """
import contextlib, sys, time
from pathlib import Path
from recpilot.errors import SessionConflict
from recpilot.memory.sessions import SessionStore, TurnRecord
target, session_id, worker, count, locked = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
store = SessionStore(target if "://" in target else Path(target))
print("ready", flush=True)
sys.stdin.readline()  # every worker starts at once
conflicts = 0
for i in range(count):
    while True:
        with store.lock(session_id, timeout=60) if locked == "locked" else contextlib.nullcontext():
            session = store.get(session_id)
            session.turns.append(TurnRecord(user=f"{worker}-{i}"))
            time.sleep(0.002)  # widen the read-modify-write window
            try:
                store.save(session)
                break
            except SessionConflict:
                if locked == "locked":
                    raise
                conflicts += 1  # unlocked: the write was refused, not lost; read again and retry
    time.sleep(0.005)  # give the other worker a chance
print("done", conflicts, flush=True)
"""


def run_incrementers(store: SessionStore, children, session_id: str, locked: bool) -> list[int]:
    """Two worker processes adding 25 turns each to one session; their conflict counts."""
    mode = "locked" if locked else "unlocked"
    workers = [children(INCREMENTER, store.target, session_id, name, 25, mode) for name in ("w0", "w1")]
    for proc in workers:
        assert read_line(proc) == "ready"
    for proc in workers:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    conflicts = []
    for proc in workers:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and out.startswith("done"), err[-3000:]
        assert "Traceback" not in err
        conflicts.append(int(out.split()[1]))
    return conflicts


def assert_fifty_turns(store: SessionStore, session_id: str) -> None:
    assert len(store.get(session_id).turns) == 50
    rows = stored_turn_rows(store, session_id)
    assert [idx for idx, _ in rows] == list(range(50))
    users = [user for _, user in rows]
    for name in ("w0", "w1"):  # every increment of each worker, in that worker's order
        assert [u for u in users if u.startswith(name)] == [f"{name}-{i}" for i in range(25)]
    assert stored_version(store, session_id) == 50


@pytest.mark.slow
def test_locked_read_modify_write_from_two_processes_loses_no_update(store, children):
    session = store.create("alice", "demo", "counter")
    assert run_incrementers(store, children, session.id, locked=True) == [0, 0]
    assert_fifty_turns(store, session.id)


@pytest.mark.slow
def test_unlocked_writers_in_two_processes_conflict_instead_of_losing_updates(store, children):
    session = store.create("alice", "demo", "counter")
    run_incrementers(store, children, session.id, locked=False)  # conflicts retried, never silently lost
    assert_fifty_turns(store, session.id)


# --- migrations ------------------------------------------------------------------------------------
#: the hand-written store's schema (memory/sessions.py before migrations were numbered)
LEGACY_SCHEMA = """
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


def test_a_legacy_sqlite_file_is_migrated_once_and_keeps_its_sessions(tmp_path):
    path = tmp_path / "sessions.db"
    legacy = Session(id="old", user_id="alice", catalog="demo", state=rich_state(),
                     turns=[TurnRecord(user="fantasy please", items=["1", "2"], at=100.0),
                            TurnRecord(user="the second", items=["3"], focus="3", at=101.0)],
                     feedback=[Feedback(item_id="2", kind="like", at=102.0)])
    empty = Session(id="empty", user_id="bob", catalog="demo")
    conn = sqlite3.connect(path)
    conn.executescript(LEGACY_SCHEMA)
    for s in (legacy, empty):
        conn.execute("INSERT INTO sessions VALUES (?,?,?,?,?,?,?)",
                     (s.id, s.user_id, s.catalog, s.created, s.updated, len(s.turns), s.model_dump_json()))
    conn.executemany("INSERT INTO calls VALUES (?,?,?,?,?,?,?,?,?,?)",
                     [("old", 1, "llm", "parser", "smollm2", 10, 2, 5.0, None, 100.0),
                      ("old", 2, "tool", "search_items", None, 0, 0, 1.0, None, 101.0)])
    conn.commit()
    conn.close()

    store = SessionStore(path)
    try:
        migrated = store.get("old", "alice")
        assert migrated.model_dump() == legacy.model_dump()
        assert store.get("empty").turns == [] and store.get("empty").feedback == []
        assert stored_turn_rows(store, "old") == [(0, "fantasy please"), (1, "the second")]
        with store.engine.connect() as db:
            assert db.execute(text("SELECT id FROM recpilot_migrations ORDER BY id")).scalars().all() == \
                    [number for number, _, _ in MIGRATIONS]
            assert db.execute(text("SELECT version FROM sessions WHERE id = 'old'")).scalar_one() == 0
            assert "turns" not in json.loads(db.execute(text("SELECT body FROM sessions WHERE id = 'old'")).scalar_one())
        assert [(c["turn"], c["name"]) for c in store.calls("old")] == [(1, "parser"), (2, "search_items")]

        assert migrate(store.engine) == []  # already up to date
        again = SessionStore(path)
        assert again.get("old").model_dump() == legacy.model_dump()
        again.engine.dispose()

        migrated.turns.append(TurnRecord(user="after the upgrade"))
        store.save(migrated)  # appends after the migrated rows
        assert stored_turn_rows(store, "old")[-1] == (2, "after the upgrade")
    finally:
        store.engine.dispose()


def test_a_new_database_gets_every_migration_once(store_target):
    engine = engine_for(store_target)
    try:
        assert migrate(engine) == [number for number, _, _ in MIGRATIONS]
        assert migrate(engine) == []
    finally:
        engine.dispose()


# --- stored states that no longer validate ---------------------------------------------------------
def test_a_stored_state_with_invalid_constraints_is_read_back_repaired(store, caplog):
    session = store.create("alice", "demo")
    session.state = rich_state()
    session.turns.append(TurnRecord(user="fantasy please"))
    store.save(session)
    head = json.loads(session.model_dump_json(exclude={"turns", "feedback"}))
    head["state"]["constraints"] = [
        {"field": "year", "op": "gte", "value": True},          # true is not a year
        {"field": "genres", "op": "include", "value": "fantasy"},
        {"field": "authors", "op": "exclude", "value": ""},     # no value at all
        {"field": "year", "op": "lte", "value": float("nan")},  # no bound
    ]
    write_body(store, session.id, json.dumps(head))

    with caplog.at_level("WARNING", logger="recpilot.sessions"):
        repaired = store.get(session.id)

    assert repaired.state.constraints == [Constraint(field="genres", op="include", value="fantasy")]
    assert repaired.state.liked_items == session.state.liked_items
    assert repaired.state.likes == session.state.likes
    assert [t.user for t in repaired.turns] == ["fantasy please"]
    assert "dropped parts of its state" in caplog.text
    store.save(repaired)  # the repaired state can be written back
    assert store.get(session.id).state.constraints == repaired.state.constraints


@pytest.mark.parametrize("body", [
    pytest.param({"state": 42}, id="state-is-a-number"),
    pytest.param({"state": {"constraints": "year >= 1990"}, "history": "not a list"}, id="history-not-a-list"),
    pytest.param("not json at all", id="not-json"),
    pytest.param([1, 2, 3], id="json-list"),
])
def test_a_stored_session_that_cannot_be_repaired_is_unreadable(store, body):
    session = store.create("alice", "demo")
    if isinstance(body, dict):
        head = json.loads(session.model_dump_json(exclude={"turns", "feedback"}))
        raw = json.dumps({**head, **body})
    else:
        raw = body if isinstance(body, str) else json.dumps(body)
    write_body(store, session.id, raw)

    with pytest.raises(SessionUnreadable, match=f"session '{session.id}' is stored in a form this version "
                                                "cannot read"):
        store.get(session.id)


# --- bounds ----------------------------------------------------------------------------------------
def test_a_session_past_max_turns_is_refused_and_nothing_is_written(store, open_store, monkeypatch):
    monkeypatch.setattr(sessions_module, "MAX_TURNS", 3)
    session = store.create("alice", "demo")
    for n in range(3):
        session.turns.append(TurnRecord(user=f"turn {n}"))
    store.save(session)
    session.turns.append(TurnRecord(user="one too many"))
    session.state = rich_state()

    with pytest.raises(LimitExceeded, match="3 turns"):
        store.save(session)

    stored = open_store().get(session.id)
    assert [t.user for t in stored.turns] == ["turn 0", "turn 1", "turn 2"]
    assert stored.state == PreferenceState()
    assert stored_version(store, session.id) == 1


def test_a_session_state_past_max_bytes_is_refused_and_nothing_is_written(store, open_store, monkeypatch):
    monkeypatch.setattr(sessions_module, "MAX_SESSION_BYTES", 2_000)
    session = store.create("alice", "demo")
    session.state = PreferenceState(keywords=[f"keyword number {i}" for i in range(200)])
    session.turns.append(TurnRecord(user="lots of keywords"))

    with pytest.raises(LimitExceeded, match="grown past"):
        store.save(session)

    stored = open_store().get(session.id)
    assert stored.turns == [] and stored.state == PreferenceState()
    assert stored_version(store, session.id) == 0


# --- listing and the call log ----------------------------------------------------------------------
def test_list_gives_a_users_sessions_newest_first_and_no_one_elses(store):
    a1 = store.create("alice", "demo")
    b1 = store.create("bob", "movies")
    a2 = store.create("alice", "demo")
    a1.turns.append(TurnRecord(user="hello again"))
    store.save(a1)  # a1 is now the most recently updated

    alice = store.list("alice")
    assert [s.id for s in alice] == [a1.id, a2.id]
    assert alice[0].turns == 1 and alice[0].catalog == "demo" and alice[0].user_id == "alice"
    assert [s.id for s in store.list("bob")] == [b1.id]
    assert {s.id for s in store.list()} == {a1.id, a2.id, b1.id}  # everyone's, without a user
    assert store.list("carol") == []
    assert [s.id for s in store.list(limit=1)] == [a1.id]


def test_calls_come_back_in_turn_and_call_order(store, open_store):
    s1, s2 = store.create("alice", "demo"), store.create("alice", "demo")
    store.log_calls(s1.id, 2, [{"kind": "llm", "name": "reply", "model": "smollm2", "error": "timed out"}])
    store.log_calls(s1.id, 1, [
        {"kind": "llm", "name": "parser", "model": "smollm2", "prompt_tokens": 120, "completion_tokens": 30,
         "duration_ms": 410.5},
        {"kind": "tool", "name": "search_items", "duration_ms": 12.0},
        {"kind": "tool", "name": "filter_items"},
    ])
    store.log_calls(s2.id, 1, [{"kind": "tool", "name": "other session"}])
    store.log_calls(s1.id, 3, [])  # nothing to log

    calls = open_store().calls(s1.id)

    assert [(c["turn"], c["name"]) for c in calls] == [
        (1, "parser"), (1, "search_items"), (1, "filter_items"), (2, "reply"),
    ]
    assert calls[0] == {"turn": 1, "kind": "llm", "name": "parser", "model": "smollm2", "prompt_tokens": 120,
                        "completion_tokens": 30, "duration_ms": 410.5, "error": None}
    assert calls[3]["error"] == "timed out" and calls[2]["prompt_tokens"] == 0


# --- engine_for ------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["mysql://u:hunter2secret@h/db", "sqlite:///tmp/x.db",
                                 "oracle+cx://admin:hunter2secret@db.example:1521/prod"])
def test_engine_for_refuses_an_unsupported_url_without_saying_its_password(url):
    with pytest.raises(ConfigError, match="unsupported database URL") as info:
        engine_for(url)
    assert "hunter2secret" not in str(info.value)
    assert "postgresql://" in str(info.value)  # says what would work
