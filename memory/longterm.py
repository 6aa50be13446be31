"""Long-term per-user memory in the vector store: what a user said about their taste.

Kept: the items they liked, turned down or have read, the authors (or other people) they read
everything by, and what they said they love or dislike ("I love fantasy", "not a fan of Stephen
King"). Not kept: what one request asked for ("a mystery from the 90s") or free text, so a
later session starts from taste, never from an old request, and nothing unparsed (markup,
chatter) is ever remembered.

One chromadb collection; every entry carries its user, and every read filters on it, so one
user's memory is never visible to another. An entry's id is its user, catalog and subject
(an item, or a field and value), so the latest verdict on a subject replaces the earlier one.
"""

from __future__ import annotations

import hashlib
import time
from typing import Literal

from pydantic import BaseModel

from recpilot.embeddings import ChromaEmbedder, get_embedder
from recpilot.preferences import ItemRef, Preference, PreferenceState
from recpilot.settings import Settings

MemoryKind = Literal["like", "dislike", "liked_item", "rejected_item", "read_item", "read_person"]
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

    def __init__(self, settings: Settings):
        self.settings = settings
        self._collection = None

    @property
    def collection(self):
        if self._collection is None:
            from recpilot.vectorstore import get_client

            self._collection = get_client(self.settings).get_or_create_collection(
                self.collection_name, embedding_function=ChromaEmbedder(get_embedder()),
                metadata={"hnsw:space": "cosine"},
            )
        return self._collection

    def remember(self, user_id: str, session_id: str, catalog: str, state: PreferenceState) -> int:
        """Upserts what ``state`` says about the user; ids are stable, so it is idempotent."""
        # One entry per id: a liked genre and an include of it, or an item both liked and
        # chosen, describe the same memory (chromadb refuses duplicate ids in one upsert).
        by_id = {_entry_id(user_id, catalog, e): e for e in entries_from_state(state, session_id)}
        if not by_id:
            return 0
        ids, entries = list(by_id), list(by_id.values())
        self.collection.upsert(
            ids=ids,
            documents=[e.text for e in entries],
            metadatas=[{"user_id": user_id, "catalog": catalog, "kind": e.kind, "field": e.field or "",
                        "value": e.value, "session_id": session_id, "at": e.at} for e in entries],
        )
        return len(entries)

    def recall(self, user_id: str, catalog: str, query: str | None = None, limit: int = 20,
               exclude_session: str | None = None) -> list[MemoryEntry]:
        clauses: list[dict] = [{"user_id": user_id}, {"catalog": catalog}]
        if exclude_session:
            clauses.append({"session_id": {"$ne": exclude_session}})
        where = {"$and": clauses}
        coll = self.collection
        if query:
            res = coll.query(query_texts=[query], n_results=limit, where=where,
                             include=["documents", "metadatas", "distances"])
            docs, metas, dists = res["documents"][0], res["metadatas"][0], res["distances"][0]
        else:
            res = coll.get(where=where, limit=limit, include=["documents", "metadatas"])
            docs, metas, dists = res["documents"], res["metadatas"], [None] * len(res["documents"])
        out = []
        for doc, meta, dist in zip(docs, metas, dists, strict=True):
            if meta.get("user_id") != user_id:  # defence in depth: never leak across users
                continue
            out.append(MemoryEntry(text=doc, kind=meta["kind"], field=meta.get("field") or None,
                                   value=meta.get("value", ""), session_id=meta.get("session_id", ""),
                                   at=meta.get("at", 0.0), score=None if dist is None else round(1 - dist, 4)))
        return sorted(out, key=lambda e: -e.at) if not query else out

    def forget(self, user_id: str, catalog: str | None = None, key: str | None = None) -> int:
        """Forgets one memory (``key`` as ``MemoryEntry.key``: "item:42", "genres:fantasy") or,
        without a key, everything about the user; returns how many entries went."""
        if key is None:
            where: dict = {"user_id": user_id} if catalog is None else {"$and": [{"user_id": user_id},
                                                                                 {"catalog": catalog}]}
            found = self.collection.get(where=where, include=[])["ids"]
            if found:
                self.collection.delete(ids=found)
            return len(found)
        if catalog is None:
            raise ValueError("forgetting one memory needs its catalog")
        entry_id = _subject_id(user_id, catalog, key)
        found = self.collection.get(ids=[entry_id], include=["metadatas"])
        if not found["ids"] or found["metadatas"][0].get("user_id") != user_id:
            return 0
        self.collection.delete(ids=[entry_id])
        return 1


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
