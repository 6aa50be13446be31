"""The real-service fixtures (tests/services.py, tests/conftest.py) give real services: SQL
round trips on fresh PostgreSQL databases that are gone once dropped, and a chromadb server
that stores and queries a collection over HTTP."""

from __future__ import annotations

import pytest
import services
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def test_postgres_db_is_a_fresh_database_with_a_sql_round_trip(postgres_db):
    engine = create_engine(postgres_db)
    try:
        with engine.begin() as conn:
            tables = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar()
            assert tables == 0
            conn.execute(text("CREATE TABLE books (id text PRIMARY KEY, title text NOT NULL, year int)"))
            conn.execute(text("INSERT INTO books VALUES (:id, :title, :year)"),
                         [{"id": "b1", "title": "The Silver Road", "year": 1994},
                          {"id": "b2", "title": "Glass Harbour", "year": 2003}])
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, title, year FROM books WHERE year > 2000")).all()
            assert [tuple(r) for r in rows] == [("b2", "Glass Harbour", 2003)]
            assert conn.execute(text("SELECT current_database()")).scalar() == make_url(postgres_db).database
    finally:
        engine.dispose()


def test_fresh_databases_are_distinct_and_dropped_ones_are_gone(postgres_server):
    first, second = services.fresh_database(postgres_server), services.fresh_database(postgres_server)
    names = [make_url(u).database for u in (first, second)]
    try:
        assert names[0] != names[1]
        assert all(services.database_exists(postgres_server, n) for n in names)
        # an open connection does not stop the drop (WITH (FORCE))
        lingering = services.connect(first)
        services.drop_database(first)
        lingering.close()
        assert not services.database_exists(postgres_server, names[0])
        assert services.database_exists(postgres_server, names[1])
    finally:
        services.drop_database(first)
        services.drop_database(second)
    assert not services.database_exists(postgres_server, names[1])


def test_plain_postgresql_urls_work_too(postgres_db):
    plain = make_url(postgres_db).set(drivername="postgresql").render_as_string(hide_password=False)
    assert plain.startswith("postgresql://")
    with services.connect(plain) as conn:
        assert conn.execute("SELECT 41 + 1").fetchone() == (42,)


@pytest.mark.slow
def test_chroma_server_round_trip_over_http(chroma_server):
    client = chroma_server.client()
    assert client.heartbeat() > 0
    coll = client.create_collection("services-round-trip", metadata={"hnsw:space": "cosine"})
    try:
        coll.add(ids=["a", "b", "c"], documents=["dragons and wizards", "a murder in the fog", "ships in space"],
                 embeddings=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
                 metadatas=[{"genre": "fantasy"}, {"genre": "mystery"}, {"genre": "science fiction"}])
        assert coll.count() == 3
        # a second client sees the same collection: it lives on the server
        other = chroma_server.client().get_collection("services-round-trip")
        res = other.query(query_embeddings=[[0.1, 0.9, 0.0]], n_results=2, include=["documents", "metadatas"])
        assert res["ids"][0] == ["b", "a"]
        assert res["documents"][0][0] == "a murder in the fog"
        assert res["metadatas"][0][0] == {"genre": "mystery"}
    finally:
        client.delete_collection("services-round-trip")
    assert "services-round-trip" not in [c.name for c in client.list_collections()]
