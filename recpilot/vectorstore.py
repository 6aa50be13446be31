"""The chromadb client: embedded on disk by default, a chromadb server when configured."""

from __future__ import annotations

import os
import threading

from recpilot.errors import ConfigError
from recpilot.settings import Settings

_clients: dict[tuple, object] = {}
_lock = threading.Lock()


def get_client(settings: Settings):
    """One client per store and process (chromadb dislikes two clients on one path)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    vs = settings.vector_store
    key = ("http", vs.host, vs.port) if vs.host else ("disk", str(settings.chroma_dir))
    with _lock:
        client = _clients.get(key)
        if client is None:
            chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
            try:
                if vs.host:
                    client = chromadb.HttpClient(host=vs.host, port=vs.port, settings=chroma_settings)
                else:
                    os.makedirs(settings.chroma_dir, exist_ok=True)
                    client = chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
            except Exception as exc:
                raise ConfigError(f"cannot open the vector store ({key[0]}): {exc}") from exc
            _clients[key] = client
        return client


def to_where(clauses: list[dict]) -> dict | None:
    """Joins chromadb ``where`` clauses: none, one, or an ``$and`` of several."""
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
