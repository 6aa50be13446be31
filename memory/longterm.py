"""Long-term per-user memory in the vector store.

Preference statements and feedback from past sessions are stored as short documents in one
chromadb collection, each tagged with its user; every read filters on that user id, so one
user's memory is never visible to another.
"""

from __future__ import annotations

import hashlib
import time
from typing import Literal

from pydantic import BaseModel

from recpilot.embeddings import ChromaEmbedder, get_embedder
from recpilot.preferences import PreferenceState
from recpilot.settings import Settings

MemoryKind = Literal["like", "dislike", "constraint", "liked_item", "rejected_item", "read_item"]


class MemoryEntry(BaseModel):
    text: str
    kind: MemoryKind
    field: str | None = None
    value: str = ""
    session_id: str = ""
    at: float = 0.0
    score: float | None = None


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

    def forget(self, user_id: str) -> None:
        self.collection.delete(where={"user_id": user_id})


def entries_from_state(state: PreferenceState, session_id: str) -> list[MemoryEntry]:
    now = time.time()
    out: list[MemoryEntry] = []
    for p in state.likes:
        out.append(MemoryEntry(text=f"likes {p.value}", kind="like", field=p.field, value=p.value))
    for p in state.dislikes:
        out.append(MemoryEntry(text=f"dislikes {p.value}", kind="dislike", field=p.field, value=p.value))
    for c in state.constraints:
        if c.op in ("include", "exclude"):
            kind: MemoryKind = "like" if c.op == "include" else "dislike"
            verb = "asked for" if c.op == "include" else "did not want"
            out.append(MemoryEntry(text=f"{verb} {c.field} {c.value}", kind=kind, field=c.field, value=str(c.value)))
    for ref in state.liked_items:
        out.append(MemoryEntry(text=f"liked {ref.title}", kind="liked_item", value=ref.id))
    for ref in state.rejected_items:
        out.append(MemoryEntry(text=f"rejected {ref.title}", kind="rejected_item", value=ref.id))
    for ref in state.read_items:
        out.append(MemoryEntry(text=f"read {ref.title}", kind="read_item", value=ref.id))
    if state.accepted_item:
        ref = state.accepted_item
        out.append(MemoryEntry(text=f"chose {ref.title}", kind="liked_item", value=ref.id))
    for e in out:
        e.session_id, e.at = session_id, now
    return out


def _entry_id(user_id: str, catalog: str, entry: MemoryEntry) -> str:
    raw = f"{user_id}\x00{catalog}\x00{entry.kind}\x00{entry.field}\x00{entry.value.lower()}"
    return hashlib.sha1(raw.encode()).hexdigest()
