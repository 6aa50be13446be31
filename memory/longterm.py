"""Long-term per-user memory in the vector store: what a user said about their taste.

Kept: the items they liked, turned down or have read, the authors (or other people) they read
everything by, and what they said they love or dislike ("I love fantasy", "not a fan of Stephen
King"). Not kept: what one request asked for ("a mystery from the 90s") or free text, so a
later session starts from taste, never from an old request, and nothing unparsed (markup,
chatter) is ever remembered.

The entries are rows of the ``memories`` table in the session database (SQLite or PostgreSQL:
the source of truth, listed and forgotten there); their text is embedded in one chromadb
collection for recall by meaning. Every entry carries its user, and every read filters on it in
both places, so one user's memory is never visible to another. An entry's id is its user,
catalog and subject (an item, or a field and value), so the latest verdict on a subject
replaces the earlier one.
"""

from __future__ import annotations

import hashlib
import time
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import Engine, text

from recpilot.embeddings import ChromaEmbedder, get_embedder
from recpilot.preferences import ItemRef, Preference, PreferenceState
from recpilot.settings import Settings

MemoryKind = Literal["like", "dislike", "liked_item", "rejected_item", "read_item", "read_person"]
#: the id of the row that says entries from before the table were adopted
_ADOPTED = "__adopted_from_vector_store__"
#: what a recalled memory weighs beside the current request (whose preferences weigh 1 or more)
RECALL_WEIGHT = 0.3


class MemoryEntry(BaseModel):
    text: str
    kind: MemoryKind
    field: str | None = None
    value: str = ""
    session_id: str = ""
    at: float = 0.0
    score: float | None = None

    @property
    def key(self) -> str:
        """The subject: one item, or one field's value (a later verdict on it replaces this one)."""
        if self.kind.endswith("_item"):
            return f"item:{self.value}"
        return f"{self.field}:{self.value}".lower()


class LongTermMemory:
    collection_name = "recpilot-user-memory"

    def __init__(self, settings: Settings, engine: Engine | None = None):
        self.settings = settings
        self._engine = engine
        self._collection = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from recpilot.memory.database import engine_for, migrate

            self._engine = engine_for(self.settings.store_target)
            migrate(self._engine)
        return self._engine

    @property
    def collection(self):
        if self._collection is None:
            from recpilot.vectorstore import get_client

            self._collection = get_client(self.settings).get_or_create_collection(
                self.collection_name, embedding_function=ChromaEmbedder(get_embedder()),
                metadata={"hnsw:space": "cosine"},
            )
            self._adopt_legacy()
        return self._collection

    def _has_entries(self, user_id: str, catalog: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM memories WHERE user_id = :u AND catalog = :c LIMIT 1"),
                                {"u": user_id, "c": catalog}).first() is not None

    def _adopted(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM memories WHERE id = :id"), {"id": _ADOPTED}).first() is not None

    def _adopt_legacy(self) -> None:
        """Entries written before memory had its table kept everything in the vector store's
        metadata: copy them into the table once, then drop the copied metadata. A marker row
        (no user has the empty id) records that this was done."""
        if self._adopted():
            return
        old = self._collection.get(where={"kind": {"$in": list(MemoryKind.__args__)}},
                                   include=["documents", "metadatas"])
        marker = {"id": _ADOPTED, "u": "", "c": "", "k": "", "f": None, "v": "", "t": "", "s": "", "at": time.time()}
        if not old["ids"]:
            self._insert_new([marker])
            return
        rows = [{"id": i, "u": m["user_id"], "c": m["catalog"], "k": m["kind"], "f": m.get("field") or None,
                 "v": m.get("value", ""), "t": doc, "s": m.get("session_id", ""), "at": m.get("at", 0.0)}
                for i, doc, m in zip(old["ids"], old["documents"], old["metadatas"], strict=True)]
        self._insert_new(rows)  # rows first: an interruption here only repeats the adoption
        self._collection.update(ids=old["ids"], metadatas=[{"user_id": r["u"], "catalog": r["c"], "kind": ""}
                                                            for r in rows])
        self._insert_new([marker])

    def _insert_new(self, rows: list[dict]) -> None:
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            conn.execute(text(
                "INSERT INTO memories (id, user_id, catalog, kind, field, value, text, session_id, at) "
                "VALUES (:id, :u, :c, :k, :f, :v, :t, :s, :at) ON CONFLICT (id) DO NOTHING"), rows)

    def remember(self, user_id: str, session_id: str, catalog: str, state: PreferenceState) -> int:
        """Upserts what ``state`` says about the user; ids are stable, so it is idempotent."""
        # One entry per id: a liked genre and an include of it, or an item both liked and
        # chosen, describe the same memory.
        by_id = {_entry_id(user_id, catalog, e): e for e in entries_from_state(state, session_id)}
        if not by_id:
            return 0
        rows = [{"id": i, "u": user_id, "c": catalog, "k": e.kind, "f": e.field, "v": e.value, "t": e.text,
                 "s": e.session_id, "at": e.at} for i, e in by_id.items()]
        ids = list(by_id)
        with self.engine.connect() as conn:
            known = dict(conn.execute(text(
                f"SELECT id, text FROM memories WHERE user_id = :u AND id IN ({', '.join(f':i{n}' for n in range(len(ids)))})"),
                {"u": user_id, **{f"i{n}": i for n, i in enumerate(ids)}}).fetchall())
        # only new or reworded entries are embedded (most turns restate what is stored, and opening
        # the vector store is most of a one-turn command's time); vectors go before their rows, so
        # an interruption leaves a row-less vector (never recalled, rewritten next time), never a
        # row whose vector is missing or stale
        changed = [i for i, e in by_id.items() if known.get(i) != e.text]
        if changed:
            self.collection.upsert(ids=changed, documents=[by_id[i].text for i in changed],
                                   metadatas=[{"user_id": user_id, "catalog": catalog} for _ in changed])
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            conn.execute(text(
                "INSERT INTO memories (id, user_id, catalog, kind, field, value, text, session_id, at) "
                "VALUES (:id, :u, :c, :k, :f, :v, :t, :s, :at) ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, "
                "field = excluded.field, value = excluded.value, text = excluded.text, "
                "session_id = excluded.session_id, at = excluded.at"), rows)
        return len(by_id)

    def recall(self, user_id: str, catalog: str, query: str | None = None, limit: int = 20,
               exclude_session: str | None = None) -> list[MemoryEntry]:
        """The user's entries for ``catalog``: newest first, or the closest to ``query`` first."""
        if not self._adopted():
            self.collection  # noqa: B018  (opening it adopts the entries from before the table)
        if not self._has_entries(user_id, catalog):
            return []
        sql = "SELECT id, kind, field, value, text, session_id, at FROM memories WHERE user_id = :u AND catalog = :c"
        args: dict = {"u": user_id, "c": catalog}
        if exclude_session:
            sql += " AND session_id <> :s"
            args["s"] = exclude_session
        scores: dict[str, float] = {}
        if query:
            # only a query needs the vector store (opening it takes about a second)
            res = self.collection.query(query_texts=[query], n_results=max(limit * 3, 10),
                                        where={"$and": [{"user_id": user_id}, {"catalog": catalog}]},
                                        include=["distances"])
            scores = {i: round(1 - d, 4) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)}
            if not scores:
                return []
            ids = list(scores)
            sql += f" AND id IN ({', '.join(f':i{n}' for n in range(len(ids)))})"
            args.update({f"i{n}": i for n, i in enumerate(ids)})
        else:
            sql += " ORDER BY at DESC LIMIT :limit"
            args["limit"] = limit
        with self.engine.connect() as conn:
            rows = conn.execute(text(sql), args).fetchall()
        out = [MemoryEntry(kind=r[1], field=r[2] or None, value=r[3], text=r[4], session_id=r[5], at=r[6],
                           score=scores.get(r[0])) for r in rows]
        if query:
            out.sort(key=lambda e: -(e.score or 0.0))
        return out[:limit]

    def forget(self, user_id: str, catalog: str | None = None, key: str | None = None) -> int:
        """Forgets one memory (``key`` as ``MemoryEntry.key``: "item:42", "genres:fantasy") or,
        without a key, everything about the user; returns how many entries went."""
        if key is not None and catalog is None:
            raise ValueError("forgetting one memory needs its catalog")
        collection = self.collection
        if key is not None:
            sql, args = "FROM memories WHERE id = :id AND user_id = :u", {"id": _subject_id(user_id, catalog, key),
                                                                         "u": user_id}
        elif catalog is not None:
            sql, args = "FROM memories WHERE user_id = :u AND catalog = :c", {"u": user_id, "c": catalog}
        else:
            sql, args = "FROM memories WHERE user_id = :u", {"u": user_id}
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            ids = conn.execute(text("SELECT id " + sql), args).scalars().all()
            if ids:
                conn.execute(text("DELETE " + sql), args)
        if ids:
            # the vectors go after the rows: a vector without its row is never recalled
            collection.delete(ids=list(ids))
        return len(ids)


def entries_from_state(state: PreferenceState, session_id: str) -> list[MemoryEntry]:
    """What ``state`` says about the user's taste (nothing recalled from memory itself: a
    forgotten memory must not come back from the session that recalled it)."""
    now = time.time()
    out: list[MemoryEntry] = []
    for p in state.likes + state.dislikes:
        if p.origin == "taste" and p.field:
            kind: MemoryKind = "like" if p.weight > 0 else "dislike"
            out.append(MemoryEntry(text=f"{'likes' if p.weight > 0 else 'dislikes'} {p.value}", kind=kind,
                                   field=p.field, value=p.value))
    for c in state.constraints:
        if c.op == "exclude" and c.source.startswith("read everything by"):
            out.append(MemoryEntry(text=f"has read everything by {c.value}", kind="read_person", field=c.field,
                                   value=str(c.value)))
    items = [(state.liked_items, "liked_item", "liked"), (state.rejected_items, "rejected_item", "rejected"),
             (state.read_items, "read_item", "read")]
    for refs, kind, verb in items:
        for ref in refs:
            if not ref.remembered:
                out.append(MemoryEntry(text=f"{verb} {ref.title}", kind=kind, value=ref.id))
    if state.accepted_item and not state.accepted_item.remembered:
        ref = state.accepted_item
        out.append(MemoryEntry(text=f"liked {ref.title}", kind="liked_item", value=ref.id))
    for e in out:
        e.session_id, e.at = session_id, now
    return out


def _entry_id(user_id: str, catalog: str, entry: MemoryEntry) -> str:
    return _subject_id(user_id, catalog, entry.key)


def _subject_id(user_id: str, catalog: str, key: str) -> str:
    raw = f"{user_id}\x00{catalog}\x00{key.lower()}"
    return hashlib.sha1(raw.encode()).hexdigest()


def apply_memories(state: PreferenceState, memories: list[MemoryEntry]) -> PreferenceState:
    """Recalled taste as a weak prior under the current request: liked, turned-down and read
    items stay so (marked remembered), and what the user loves or dislikes leans the ranking a
    little, unless the current request already says something about that value."""
    if not memories:
        return state
    state = state.model_copy(deep=True)
    said = {(p.field, p.value.lower()) for p in state.likes + state.dislikes}
    said |= {(c.field, str(c.value).lower()) for c in state.constraints}
    items = {r.id for r in state.liked_items + state.rejected_items + state.read_items}
    lists = {"liked_item": state.liked_items, "rejected_item": state.rejected_items, "read_item": state.read_items}
    used = 0
    for m in memories:
        if m.kind in lists:
            if m.value not in items:
                title = m.text.split(" ", 1)[-1]
                lists[m.kind].append(ItemRef(id=m.value, title=title, remembered=True))
                items.add(m.value)
                used += 1
        elif m.field and (m.field, m.value.lower()) not in said:
            # read everything by someone: their books lean away, as a disliked value would
            sign = 1.0 if m.kind == "like" else -1.0
            pref = Preference(field=m.field, value=m.value, weight=sign * RECALL_WEIGHT, source=m.text,
                              origin="memory")
            (state.likes if sign > 0 else state.dislikes).append(pref)
            said.add((m.field, m.value.lower()))
            used += 1
    state.notes = [n for n in state.notes if not n.startswith("recalled")]
    if used:
        state.notes.append(f"recalled {used} memories from earlier sessions")
    return state
