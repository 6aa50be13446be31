"""RecPilot's vector store on a real chromadb server (``vector_store.host``/``port``, or
RECPILOT_VECTOR_STORE__HOST/PORT): the ingested catalog's collection, the agent's searches and
long-term memory all live on the server, and nothing is written under ``home/chroma``."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import assert_grounded
from test_ingest import BOOKS

from recpilot.agent.agent import RecPilot
from recpilot.catalog import load_catalog
from recpilot.ingest import ingest
from recpilot.memory.longterm import LongTermMemory
from recpilot.settings import LLMSettings, Settings
from recpilot.vectorstore import get_client

pytestmark = pytest.mark.slow

# the eight books of tests/test_ingest.py, ingested here into a chromadb server
FANTASY = {"b1", "b5"}


def server_settings(home: Path, server) -> Settings:
    return Settings(home=home, catalog="books", llm=LLMSettings(backend="none"),
                    vector_store={"host": server.host, "port": server.port})


@pytest.fixture(scope="module")
def books(tmp_path_factory, chroma_server):
    """A home whose ``books`` catalog was ingested into the chroma server; its Settings."""
    root = tmp_path_factory.mktemp("chroma-server")
    path = root / "books.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(BOOKS[0]))
        writer.writeheader()
        writer.writerows(BOOKS)
    settings = server_settings(root / "home", chroma_server)
    report = ingest(settings, path, name="books")
    assert (report.items, report.rejected) == (len(BOOKS), 0)
    return settings


def test_ingest_puts_the_catalog_collection_on_the_server(books, chroma_server):
    collection = load_catalog(books, "books").collection_name
    client = chroma_server.client()  # a separate client, not RecPilot's cached one
    names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
    assert collection in names
    got = client.get_collection(collection).get(include=["metadatas"])
    assert sorted(got["ids"]) == sorted(b["id"] for b in BOOKS)
    assert client.get_collection(collection).count() == len(BOOKS)
    assert not (books.home / "chroma").exists(), "an embedded store was written under home"


def test_agent_answers_from_the_server_and_remembers_there(books, chroma_server, user_id):
    agent = RecPilot.from_settings(books, llm=None)
    result = agent.ask("I love fantasy, recommend a fantasy book", user_id=user_id)

    ids = {i.id for i in result.items}
    assert ids and ids <= FANTASY, result.message
    assert_grounded(agent, result)

    memory = chroma_server.client().get_collection(LongTermMemory.collection_name)
    got = memory.get(where={"user_id": user_id}, include=["metadatas", "documents"])
    assert got["ids"], "no long-term memory on the server"
    assert {m["catalog"] for m in got["metadatas"]} == {"books"}
    # the vectors are on the server; the entries themselves are rows of the session database
    assert "likes fantasy" in [d.lower() for d in got["documents"]], got
    assert [e.value.lower() for e in agent.memory.recall(user_id, "books") if e.kind == "like"] == ["fantasy"]
    assert not (books.home / "chroma").exists()


def test_forgetting_removes_the_memory_from_the_server(books, chroma_server, user_id):
    agent = RecPilot.from_settings(books, llm=None)
    agent.ask("I love fantasy, recommend a fantasy book", user_id=user_id)
    memory = chroma_server.client().get_collection(LongTermMemory.collection_name)
    assert memory.get(where={"user_id": user_id})["ids"]

    assert agent.memory.forget(user_id, "books") > 0
    assert memory.get(where={"user_id": user_id})["ids"] == []


def test_the_environment_selects_the_server(books, chroma_server, monkeypatch):
    monkeypatch.setenv("RECPILOT_VECTOR_STORE__HOST", chroma_server.host)
    monkeypatch.setenv("RECPILOT_VECTOR_STORE__PORT", str(chroma_server.port))
    settings = Settings(home=books.home, catalog="books", llm=LLMSettings(backend="none"))
    assert (settings.vector_store.host, settings.vector_store.port) == (chroma_server.host, chroma_server.port)

    catalog = load_catalog(settings, "books")
    assert catalog.collection.count() == len(BOOKS)
    assert get_client(settings) is get_client(books)  # one client per server and process
