"""Sessions (memory/sessions.py; both engines in tests/test_storage.py) and long-term per-user
memory (memory/longterm.py: rows in the session database, vectors in chromadb), on temp homes."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from recpilot.errors import SessionNotFound
from recpilot.memory.longterm import RECALL_WEIGHT, LongTermMemory, MemoryEntry, apply_memories
from recpilot.memory.sessions import Feedback, SessionStore, TurnRecord
from recpilot.preferences import Constraint, ItemRef, Preference, PreferenceState
from recpilot.settings import LLMSettings, Settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "home", llm=LLMSettings(backend="none"))


@pytest.fixture
def store(settings) -> SessionStore:
    return SessionStore(settings.sessions_db)


def fantasy_state() -> PreferenceState:
    """A session's state: this request (fantasy from the 90s, not Tolkien, with dragons) and the
    user's taste (loves fantasy, dislikes horror, liked one book, turned one down, read Austen)."""
    return PreferenceState(
        constraints=[Constraint(field="genres", op="include", value="fantasy"),
                     Constraint(field="year", op="gte", value=1990),
                     Constraint(field="authors", op="exclude", value="J.R.R. Tolkien"),
                     Constraint(field="authors", op="exclude", value="Jane Austen",
                                source="read everything by Jane Austen")],
        likes=[Preference(field=None, value="dragons", weight=1.0),
               Preference(field="genres", value="fantasy", weight=1.0, origin="taste")],
        dislikes=[Preference(field="genres", value="horror", weight=-1.0, origin="taste")],
        rejected_items=[ItemRef(id="5", title="The Hobbit")],
        liked_items=[ItemRef(id="2", title="Harry Potter and the Sorcerer's Stone")],
        read_items=[ItemRef(id="10", title="Pride and Prejudice")],
    )


# --- SessionStore ------------------------------------------------------------------------------
def test_session_store_persists_across_a_restart(settings, store):
    session = store.create("alice", "demo")
    session.state = fantasy_state()
    session.turns.append(TurnRecord(user="fantasy please", reply="Here you go", items=["1", "2"], intent="recommend"))
    session.turns.append(TurnRecord(user="not the first one", items=["3"], intent="reject", focus="3"))
    session.feedback.append(Feedback(item_id="2", kind="like"))
    store.save(session)

    reopened = SessionStore(settings.sessions_db).get(session.id)  # a new process, in effect

    assert reopened.model_dump() == session.model_dump()
    assert reopened.state.constraints[1].value == 1990
    assert reopened.last_shown == ["3"] and reopened.shown == {"1", "2", "3"} and reopened.focus == "3"


def test_session_store_get_with_another_user_is_not_found(store):
    session = store.create("alice", "demo")
    assert store.get(session.id, "alice").id == session.id
    with pytest.raises(SessionNotFound, match=session.id):
        store.get(session.id, "mallory")
    with pytest.raises(SessionNotFound):
        store.get_or_create(session.id, "mallory", "demo")  # nor can it be taken over
    assert store.get(session.id).user_id == "alice"


def test_session_store_unknown_session_is_not_found(store):
    with pytest.raises(SessionNotFound, match="'nope'"):
        store.get("nope")


def test_session_store_get_or_create_keeps_a_chosen_id(store):
    created = store.get_or_create("my-session", "bob", "demo")
    assert created.id == "my-session"
    created.turns.append(TurnRecord(user="hi"))
    store.save(created)
    again = store.get_or_create("my-session", "bob", "demo")
    assert len(again.turns) == 1
    fresh = store.get_or_create(None, "bob", "demo")
    assert fresh.id != "my-session"


def test_session_store_logs_calls_per_session(settings, store):
    s1 = store.create("alice", "demo")
    s2 = store.create("alice", "demo")
    store.log_calls(s1.id, 1, [
        {"kind": "llm", "name": "parser", "model": "smollm2", "prompt_tokens": 120, "completion_tokens": 30,
         "duration_ms": 410.5},
        {"kind": "tool", "name": "search_items", "duration_ms": 12.0, "error": None},
    ])
    store.log_calls(s1.id, 2, [{"kind": "llm", "name": "reply", "model": "smollm2", "error": "timed out"}])
    store.log_calls(s2.id, 1, [{"kind": "tool", "name": "filter_items"}])

    calls = SessionStore(settings.sessions_db).calls(s1.id)

    assert [(c["turn"], c["kind"], c["name"]) for c in calls] == [
        (1, "llm", "parser"), (1, "tool", "search_items"), (2, "llm", "reply"),
    ]
    assert calls[0]["prompt_tokens"] == 120 and calls[0]["completion_tokens"] == 30
    assert calls[2]["error"] == "timed out"
    # a person debugging can query the same table with plain sqlite3
    with sqlite3.connect(settings.sessions_db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM calls WHERE session_id = ?", (s2.id,)).fetchone() == (1,)


def test_session_store_concurrent_saves_from_threads_do_not_lose_sessions(store):
    ids: list[str] = []
    errors: list[Exception] = []

    def work(user: str) -> None:
        try:
            for _ in range(10):
                s = store.create(user, "demo")
                s.turns.append(TurnRecord(user="x"))
                store.save(s)
                ids.append(s.id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"u{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert len(store.list(limit=1000)) == 40
    assert all(store.get(i).turns[0].user == "x" for i in ids)


# --- LongTermMemory --------------------------------------------------------------------------------------
def test_longterm_remember_recall_round_trip(settings):
    memory = LongTermMemory(settings)

    n = memory.remember("alice", "s1", "demo", fantasy_state())

    got = memory.recall("alice", "demo")
    # taste only: not the request's constraints nor its free words ("dragons", 1990s, not Tolkien)
    assert {(e.kind, e.field, e.value) for e in got} == {
        ("like", "genres", "fantasy"), ("dislike", "genres", "horror"), ("read_person", "authors", "Jane Austen"),
        ("liked_item", None, "2"), ("rejected_item", None, "5"), ("read_item", None, "10")}
    assert len(got) == n == 6
    assert all(e.session_id == "s1" and e.at > 0 for e in got)

    hits = memory.recall("alice", "demo", query="horror", limit=1)
    assert [h.value for h in hits] == ["horror"] and hits[0].score is not None


def test_longterm_memory_survives_a_new_instance(settings):
    LongTermMemory(settings).remember("alice", "s1", "demo", fantasy_state())
    assert len(LongTermMemory(settings).recall("alice", "demo")) == 6


def test_longterm_restating_known_taste_and_recalling_the_newest_leave_the_vector_store_closed(settings):
    """Opening chromadb is most of a one-turn command's time: only new wording is embedded, and
    only a recall by query searches vectors."""
    LongTermMemory(settings).remember("alice", "s1", "demo", fantasy_state())
    again = LongTermMemory(settings)
    assert again.remember("alice", "s2", "demo", fantasy_state()) == 6
    assert len(again.recall("alice", "demo")) == 6
    assert again._collection is None
    assert again.recall("alice", "demo", query="fantasy books")  # a query does search
    assert again._collection is not None


def test_longterm_users_are_isolated(settings):
    memory = LongTermMemory(settings)
    memory.remember("alice", "s1", "demo", fantasy_state())
    bob_state = PreferenceState(likes=[Preference(field="genres", value="westerns", origin="taste")])
    memory.remember("bob", "s2", "demo", bob_state)

    for query in (None, "dragons fantasy Tolkien Hobbit", "westerns"):
        bob = memory.recall("bob", "demo", query=query, limit=50)
        assert [e.value for e in bob] == ["westerns"], query
        alice = memory.recall("alice", "demo", query=query, limit=50)
        assert "westerns" not in {e.value for e in alice}
        assert len(alice) == 6
    assert memory.recall("carol", "demo") == []
    assert memory.recall("carol", "demo", query="dragons") == []
    # and per catalog: alice's book memories are not her movie memories
    assert memory.recall("alice", "movies") == []

    memory.forget("alice")
    assert memory.recall("alice", "demo") == []
    assert len(memory.recall("bob", "demo")) == 1


def test_longterm_remember_is_an_idempotent_upsert(settings):
    memory = LongTermMemory(settings)
    state = fantasy_state()
    memory.remember("alice", "s1", "demo", state)
    memory.remember("alice", "s1", "demo", state)
    memory.remember("alice", "s2", "demo", state)  # the same preference from a later session

    got = memory.recall("alice", "demo", limit=100)

    assert len(got) == 6
    assert {e.session_id for e in got} == {"s2"}  # the latest session's entry replaced the older one
    assert memory.collection.count() == 6


def test_longterm_recall_can_exclude_the_current_session(settings):
    memory = LongTermMemory(settings)
    memory.remember("alice", "old", "demo", PreferenceState(liked_items=[ItemRef(id="1", title="A")]))
    memory.remember("alice", "now", "demo", PreferenceState(liked_items=[ItemRef(id="2", title="B")]))

    got = memory.recall("alice", "demo", exclude_session="now")

    assert [e.value for e in got] == ["1"]


def test_longterm_latest_verdict_on_a_subject_replaces_the_earlier_one(settings):
    memory = LongTermMemory(settings)
    memory.remember("alice", "s1", "demo", PreferenceState(liked_items=[ItemRef(id="7", title="The Hobbit")]))
    memory.remember("alice", "s2", "demo", PreferenceState(rejected_items=[ItemRef(id="7", title="The Hobbit")]))
    memory.remember("alice", "s2", "demo", PreferenceState(
        dislikes=[Preference(field="genres", value="horror", weight=-1, origin="taste")]))
    memory.remember("alice", "s3", "demo", PreferenceState(
        likes=[Preference(field="genres", value="horror", weight=1, origin="taste")]))

    got = {(e.kind, e.value) for e in memory.recall("alice", "demo")}

    assert got == {("rejected_item", "7"), ("like", "horror")}


def test_longterm_forget_one_subject_or_everything(settings):
    memory = LongTermMemory(settings)
    memory.remember("alice", "s1", "demo", fantasy_state())
    memory.remember("bob", "s2", "demo", fantasy_state())

    assert memory.forget("alice", "demo", "genres:fantasy") == 1
    assert memory.forget("alice", "demo", "item:2") == 1
    assert memory.forget("alice", "demo", "item:999") == 0
    left = {e.key for e in memory.recall("alice", "demo")}
    assert "genres:fantasy" not in left and "item:2" not in left and "item:5" in left
    assert len(memory.recall("bob", "demo")) == 6  # only alice's went
    assert memory.forget("alice") == 4 and memory.recall("alice", "demo") == []


def test_longterm_recalled_entries_are_not_written_back(settings):
    """A forgotten memory must not come back from the session that had recalled it."""
    memory = LongTermMemory(settings)
    state = PreferenceState(liked_items=[ItemRef(id="2", title="X", remembered=True)],
                            likes=[Preference(field="genres", value="fantasy", weight=0.3, origin="memory")])
    assert memory.remember("alice", "s1", "demo", state) == 0


def test_longterm_empty_state_stores_nothing(settings):
    memory = LongTermMemory(settings)
    assert memory.remember("alice", "s1", "demo", PreferenceState()) == 0
    assert memory.recall("alice", "demo") == []


# --- apply_memories: recalled taste as a weak prior ------------------------------------------------------
def _memories() -> list[MemoryEntry]:
    return [MemoryEntry(text="liked The Hobbit", kind="liked_item", value="7"),
            MemoryEntry(text="rejected The Great Gatsby", kind="rejected_item", value="5"),
            MemoryEntry(text="read Pride and Prejudice", kind="read_item", value="10"),
            MemoryEntry(text="likes fantasy", kind="like", field="genres", value="fantasy"),
            MemoryEntry(text="dislikes horror", kind="dislike", field="genres", value="horror"),
            MemoryEntry(text="has read everything by Jane Austen", kind="read_person", field="authors",
                        value="Jane Austen")]


def test_apply_memories_items_come_back_marked_remembered():
    state = apply_memories(PreferenceState(), _memories())

    assert state.liked_items == [ItemRef(id="7", title="The Hobbit", remembered=True)]
    assert state.rejected_items == [ItemRef(id="5", title="The Great Gatsby", remembered=True)]
    assert state.read_items == [ItemRef(id="10", title="Pride and Prejudice", remembered=True)]
    assert state.seen_ids() == {"7", "5", "10"}  # never recommended again


def test_apply_memories_taste_leans_weakly_with_origin_memory():
    state = apply_memories(PreferenceState(), _memories())

    assert [(p.field, p.value, p.weight, p.origin) for p in state.likes] == [
        ("genres", "fantasy", RECALL_WEIGHT, "memory")]
    assert {(p.field, p.value, p.weight, p.origin) for p in state.dislikes} == {
        ("genres", "horror", -RECALL_WEIGHT, "memory"), ("authors", "Jane Austen", -RECALL_WEIGHT, "memory")}
    assert 0 < RECALL_WEIGHT < 1  # weaker than anything the current request says
    assert state.notes == ["recalled 6 memories from earlier sessions"]
    assert state.constraints == []  # memory leans, it never filters


def test_apply_memories_current_request_wins_over_a_remembered_value():
    state = PreferenceState(
        constraints=[Constraint(field="genres", op="include", value="Fantasy")],
        dislikes=[Preference(field="genres", value="horror", weight=1.0)],  # "horror is fine today"
        liked_items=[ItemRef(id="7", title="The Hobbit")])

    recalled = apply_memories(state, _memories())

    assert "fantasy" not in {p.value for p in recalled.likes}
    assert [(p.value, p.weight, p.origin) for p in recalled.dislikes if p.value == "horror"] == [
        ("horror", 1.0, "request")]
    assert recalled.liked_items == [ItemRef(id="7", title="The Hobbit")]  # said in this session: not "remembered"
    assert recalled.notes == ["recalled 3 memories from earlier sessions"]  # gatsby, austen, pride


def test_apply_memories_leaves_the_given_state_alone_and_replaces_its_note():
    state = PreferenceState(notes=["recalled 9 memories from earlier sessions", "no trained ranker"])

    recalled = apply_memories(state, _memories()[:1])

    assert recalled.notes == ["no trained ranker", "recalled 1 memories from earlier sessions"]
    assert state.liked_items == [] and state.notes[0].startswith("recalled 9")
    assert apply_memories(state, []) is state


def test_chips_show_remembered_entries_as_their_own_kind():
    state = apply_memories(PreferenceState(likes=[Preference(field="genres", value="mystery")]), _memories())

    chips = {c["key"]: c for c in state.chips()}

    assert chips["genres:fantasy"] == {"key": "genres:fantasy", "kind": "remembered",
                                       "label": "remembered: likes fantasy", "group": "remembered"}
    assert chips["genres:horror"]["kind"] == "remembered" and "dislikes horror" in chips["genres:horror"]["label"]
    assert chips["item:7"] == {"key": "item:7", "kind": "remembered", "label": "remembered: liked The Hobbit",
                               "group": "remembered"}
    assert chips["item:5"]["kind"] == "remembered" and chips["item:10"]["kind"] == "remembered"
    assert chips["genres:mystery"]["kind"] == "like"  # said now: an ordinary chip


# --- forgetting a remembered chip, through the agent -------------------------------------------------------
def test_edit_state_forget_removes_the_chip_and_the_long_term_entry(agent, user_id):
    first = agent.ask("I love fantasy", user_id=user_id)
    agent.feedback(first.session_id, "7", "like", user_id)
    assert {"genres:fantasy", "item:7"} <= {m.key for m in agent.memories(user_id)}

    later = agent.ask("a mystery please", user_id=user_id)  # a new session recalls both
    chips = {c["key"]: c["kind"] for c in later.state.chips()}
    assert chips.get("genres:fantasy") == "remembered" and chips.get("item:7") == "remembered"

    state = agent.edit_state(later.session_id, user_id, forget=["genres:fantasy"])

    assert "genres:fantasy" not in {c["key"] for c in state.chips()}
    assert "item:7" in {c["key"] for c in state.chips()}  # only what was forgotten
    assert "genres:fantasy" not in {m.key for m in agent.memories(user_id)}
    assert agent.session(later.session_id, user_id).state == state
    again = agent.ask("a mystery please", user_id=user_id)  # a fresh recall
    assert "fantasy" not in {p.value for p in again.state.likes}
    assert "7" in {r.id for r in again.state.liked_items}


def test_edit_state_forget_a_remembered_item(agent, user_id):
    first = agent.ask("a mystery please", user_id=user_id)
    agent.feedback(first.session_id, "7", "dislike", user_id)
    later = agent.ask("a mystery please", user_id=user_id)
    assert "7" in {r.id for r in later.state.rejected_items if r.remembered}

    state = agent.edit_state(later.session_id, user_id, forget=["item:7"])

    assert "7" not in {r.id for r in state.rejected_items}
    assert "item:7" not in {m.key for m in agent.memories(user_id)}
    assert "7" not in {r.id for r in agent.ask("a mystery please", user_id=user_id).state.rejected_items}


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_longterm_entries_are_rows_of_the_session_database(tmp_path, request, engine):
    from sqlalchemy import text

    url = request.getfixturevalue("postgres_db") if engine == "postgres" else None
    settings = Settings(home=tmp_path / "home", llm=LLMSettings(backend="none"), database_url=url)
    memory = LongTermMemory(settings)
    memory.remember("alice", "s1", "demo", fantasy_state())

    with memory.engine.connect() as db:
        rows = db.execute(text("SELECT user_id, kind, value FROM memories WHERE user_id <> ''")).fetchall()
    assert len(rows) == 6 and {r[0] for r in rows} == {"alice"}
    assert memory.engine.dialect.name == ("postgresql" if url else "sqlite")
    # recall by meaning goes through the vectors, and reads the rows
    assert [e.value for e in memory.recall("alice", "demo", query="horror", limit=1)] == ["horror"]
    assert memory.forget("alice", "demo") == 6
    with memory.engine.connect() as db:
        assert db.execute(text("SELECT count(*) FROM memories WHERE user_id = 'alice'")).scalar() == 0
    assert memory.collection.get(where={"user_id": "alice"})["ids"] == []


def test_longterm_entries_from_before_the_table_are_adopted(settings):
    """A memory written by an older version (all of it in the vector store's metadata) is still recalled."""
    from recpilot.embeddings import ChromaEmbedder, get_embedder
    from recpilot.vectorstore import get_client

    old = get_client(settings).get_or_create_collection(
        LongTermMemory.collection_name, embedding_function=ChromaEmbedder(get_embedder()),
        metadata={"hnsw:space": "cosine"})
    from recpilot.memory.longterm import _subject_id

    old.upsert(ids=[_subject_id("alice", "demo", "genres:fantasy")], documents=["likes fantasy"], metadatas=[{
        "user_id": "alice", "catalog": "demo", "kind": "like", "field": "genres", "value": "fantasy",
        "session_id": "s0", "at": 5.0}])

    got = LongTermMemory(settings).recall("alice", "demo")

    assert [(e.kind, e.field, e.value, e.session_id) for e in got] == [("like", "genres", "fantasy", "s0")]
    assert LongTermMemory(settings).forget("alice", "demo", "genres:fantasy") == 1
    assert LongTermMemory(settings).recall("alice", "demo") == []
