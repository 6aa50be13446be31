"""Catalog ingest (recpilot/ingest.py) and schema inference (recpilot/schema.py) on small
catalogs written into temp dirs: formats, type inference, overrides, malformed rows, upsert
counts, interactions, interruption, and files that cannot be ingested at all."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import recpilot.catalog as catalog_mod
import recpilot.ingest as ingest_mod
from recpilot.catalog import catalog_dir, current_version, list_catalogs, load_catalog
from recpilot.embeddings import get_embedder
from recpilot.errors import IngestError
from recpilot.ingest import ensure_catalog, ingest
from recpilot.preferences import Constraint
from recpilot.schema import CatalogSchema, infer_schema
from recpilot.settings import LLMSettings, Settings
from recpilot.vectorstore import get_client

BOOKS = [
    {"id": "b1", "title": "The Silver Road", "authors": "Ann Vale", "genres": "fantasy|adventure",
     "year": "1994", "average_rating": "4.1",
     "description": "A young cartographer walks the silver road to map a kingdom whose borders keep moving."},
    {"id": "b2", "title": "Glass Harbour", "authors": "Bo Lind|Cy Moor", "genres": "mystery|crime",
     "year": "2003", "average_rating": "3.8",
     "description": "A harbour inspector investigates a string of drownings in a town made of glass and fog."},
    {"id": "b3", "title": "Orbit of Ash", "authors": "Dee Park", "genres": "science fiction|thriller",
     "year": "2015", "average_rating": "4.4",
     "description": "A salvage crew finds a derelict warship drifting around a dead sun, and something wakes."},
    {"id": "b4", "title": "The Baker's Year", "authors": "Eli Stone", "genres": "romance|comedy",
     "year": "2011", "average_rating": "3.9",
     "description": "A burnt-out chef inherits a village bakery and a feud with the florist across the lane."},
    {"id": "b5", "title": "Wolves of Thren", "authors": "Ann Vale", "genres": "fantasy|war",
     "year": "1998", "average_rating": "4.2",
     "description": "Two exiled princes raise an army of outcasts to take back a frozen northern throne."},
    {"id": "b6", "title": "Quiet Numbers", "authors": "Fay Ruiz", "genres": "literary fiction",
     "year": "1987", "average_rating": "3.6",
     "description": "An accountant in a small town keeps a secret ledger of everything the neighbours owe."},
    {"id": "b7", "title": "Lanterns Below", "authors": "Gus Hale", "genres": "horror|mystery",
     "year": "2019", "average_rating": "3.7",
     "description": "Miners hear singing in the deepest shaft, and one by one the lanterns go out below."},
    {"id": "b8", "title": "A Garden for Otters", "authors": "Hana Ito", "genres": "children's|animals",
     "year": "2008", "average_rating": "4.5",
     "description": "A family of otters builds a garden on a riverbank and learns to share it with herons."},
]
COLUMNS = ["id", "title", "authors", "genres", "year", "average_rating", "description"]


def _settings(home: Path) -> Settings:
    return Settings(home=home, llm=LLMSettings(backend="none"))


@pytest.fixture
def settings(tmp_path) -> Settings:
    return _settings(tmp_path / "home")


def write_csv(path: Path, rows: list[dict], columns: list[str] = COLUMNS, delimiter: str = ",") -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[dict | str]) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as fh:
        for row in rows:
            fh.write((row if isinstance(row, str) else json.dumps(row)) + "\n")
    return path


def collection_snapshot(settings: Settings, collection_name: str) -> dict:
    coll = get_client(settings).get_collection(collection_name)
    got = coll.get(include=["metadatas", "documents", "embeddings"])
    order = np.argsort(got["ids"])
    return {
        "ids": [got["ids"][i] for i in order],
        "metadatas": [got["metadatas"][i] for i in order],
        "documents": [got["documents"][i] for i in order],
        "embeddings": np.asarray(got["embeddings"])[order],
    }


def catalog_collections(settings: Settings, name: str) -> list[str]:
    names = [c if isinstance(c, str) else c.name for c in get_client(settings).list_collections()]
    return sorted(c for c in names if c.startswith(f"{name}-v"))


class SpyEmbedder:
    """The real embedder, recording every text it is asked to embed."""

    def __init__(self):
        self._real = get_embedder()
        self.name = self._real.name
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self._real.embed(texts)


@pytest.fixture
def spy(monkeypatch) -> SpyEmbedder:
    spy = SpyEmbedder()
    monkeypatch.setattr(ingest_mod, "get_embedder", lambda *args, **kwargs: spy)
    return spy


# --- formats and type inference ------------------------------------------------------------------
@pytest.mark.parametrize("filename", ["books.csv", "books.csv.gz", "books.tsv", "books.jsonl", "books.jsonl.gz"])
def test_ingest_reads_every_format_to_the_same_items(tmp_path, filename):
    settings = _settings(tmp_path / "home")
    path = tmp_path / filename
    if ".jsonl" in filename:
        write_jsonl(path, BOOKS)
    else:
        write_csv(path, BOOKS, delimiter="\t" if ".tsv" in filename else ",")

    report = ingest(settings, path, name="books")

    assert (report.items, report.ingested, report.rejected) == (len(BOOKS), len(BOOKS), 0)
    catalog = load_catalog(settings, "books")
    assert [it.id for it in catalog.items] == [b["id"] for b in BOOKS]
    b2 = catalog.get("b2")
    assert b2.title == "Glass Harbour"
    assert b2.categorical["authors"] == ["Bo Lind", "Cy Moor"]
    assert b2.numeric == {"year": 2003.0, "average_rating": 3.8}
    assert b2.text.startswith("A harbour inspector")


def test_infer_schema_books_numeric_lists_text_and_roles():
    schema = infer_schema(BOOKS)
    assert (schema.id, schema.title) == ("id", "title")
    assert set(schema.numeric) == {"year", "average_rating"}
    assert (schema.year, schema.rating, schema.popularity) == ("year", "average_rating", None)
    assert set(schema.categorical) == {"authors", "genres"}
    assert schema.people == ["authors"]
    assert schema.text == ["description"]


def test_ingest_movies_jsonl_gz_with_people_lists_and_runtime(tmp_path):
    settings = _settings(tmp_path / "home")
    movies = [
        {"movie_id": 1, "title": "Alien", "directors": ["Ridley Scott"],
         "cast": "Sigourney Weaver|Tom Skerritt|John Hurt", "runtime": 117, "release_year": 1979,
         "plot": "The crew of a commercial spacecraft meets a deadly lifeform after answering a distress call."},
        {"movie_id": 2, "title": "Heat", "directors": ["Michael Mann"], "cast": "Al Pacino|Robert De Niro",
         "runtime": 170, "release_year": 1995,
         "plot": "A detective hunts a crew of professional thieves across Los Angeles after a botched heist."},
        {"movie_id": 3, "title": "The Matrix", "directors": ["Lana Wachowski", "Lilly Wachowski"],
         "cast": "Keanu Reeves|Laurence Fishburne|Carrie-Anne Moss", "runtime": 136, "release_year": 1999,
         "plot": "A hacker learns that the world he knows is a simulation and joins a rebellion against it."},
        {"movie_id": 4, "title": "Blade Runner", "directors": ["Ridley Scott"], "cast": "Harrison Ford|Rutger Hauer",
         "runtime": 117, "release_year": 1982,
         "plot": "A weary cop is ordered to hunt down four escaped replicants hiding in a rain-soaked city."},
    ]
    path = write_jsonl(tmp_path / "movies.jsonl.gz", movies)

    report = ingest(settings, path, name="movies")

    assert report.ingested == 4
    catalog = load_catalog(settings, "movies")
    schema = catalog.schema
    assert schema.id == "movie_id"
    assert set(schema.people) == {"directors", "cast"}
    assert set(schema.numeric) == {"runtime", "release_year"}
    assert schema.year == "release_year"
    assert schema.text == ["plot"]
    matrix = catalog.get("3")  # integer ids become strings
    assert matrix.categorical["directors"] == ["Lana Wachowski", "Lilly Wachowski"]
    assert matrix.categorical["cast"] == ["Keanu Reeves", "Laurence Fishburne", "Carrie-Anne Moss"]
    # the exact in-memory filters and the vector store's list metadata both work on this domain
    mask = catalog.mask([Constraint(field="directors", op="include", value="ridley scott"),
                         Constraint(field="runtime", op="lte", value=120)])
    assert {catalog.items[i].title for i in np.flatnonzero(mask)} == {"Alien", "Blade Runner"}
    hits = catalog.collection.query(query_texts=["replicants in a rainy city"], n_results=1,
                                    where={"directors": {"$contains": "ridley scott"}})
    assert hits["ids"][0] == ["4"]


def test_ingest_products_csv_with_price_and_semicolon_lists(tmp_path):
    settings = _settings(tmp_path / "home")
    columns = ["product_id", "name", "brand", "categories", "price", "description"]
    rows = [
        {"product_id": "p-1", "name": "Cast Iron Skillet", "brand": "Forgeworks", "categories": "kitchen; cookware",
         "price": "34.99", "description": "A pre-seasoned ten inch skillet that goes from the stove top to the oven."},
        {"product_id": "p-2", "name": "Chef Knife", "brand": "Edgeline", "categories": "kitchen; knives",
         "price": "59.00", "description": "An eight inch stainless chef knife with a full tang and a walnut handle."},
        {"product_id": "p-3", "name": "Trail Tent", "brand": "Northpeak", "categories": "outdoor; camping",
         "price": "149.5", "description": "A two person three season tent that packs down smaller than a loaf of bread."},
    ]
    path = write_csv(tmp_path / "products.csv", rows, columns)

    ingest(settings, path, name="shop")

    catalog = load_catalog(settings, "shop")
    assert (catalog.schema.id, catalog.schema.title) == ("product_id", "name")
    assert catalog.schema.numeric == ["price"]
    assert "categories" in catalog.schema.categorical
    assert catalog.get("p-1").categorical["categories"] == ["kitchen", "cookware"]
    cheap = catalog.mask([Constraint(field="price", op="lte", value=60)])
    assert {catalog.items[i].id for i in np.flatnonzero(cheap)} == {"p-1", "p-2"}


def test_infer_schema_overrides_win_over_the_guess():
    rows = [{"code": f"c{i}", "label": f"Thing {i}", "makers": f"Maker {i % 3}", "minutes": str(90 + i),
             "blurb": f"short text {i}"} for i in range(10)]
    with pytest.raises(IngestError, match="id-field"):
        infer_schema(rows)

    schema = infer_schema(rows, {"id": "code", "title": "label", "people": ["makers"], "text": ["blurb"],
                                 "numeric": ["minutes"], "year": None})

    assert (schema.id, schema.title) == ("code", "label")
    assert schema.people == ["makers"] and "makers" in schema.categorical
    assert schema.text == ["blurb"] and schema.numeric == ["minutes"]


def test_ingest_schema_yaml_fixes_the_mapping(tmp_path, settings):
    path = write_csv(tmp_path / "books.csv", BOOKS)
    (tmp_path / "genre_syn.yaml").write_text("science fiction: [sci-fi, scifi]\n")
    schema_file = tmp_path / "schema.yaml"
    schema_file.write_text(
        "id: id\ntitle: title\ntext: [description]\ncategorical: [genres, authors]\npeople: [authors]\n"
        "numeric: [year]\nyear: year\nkeep: [average_rating]\nsynonyms_file:\n  genres: genre_syn.yaml\n"
    )

    ingest(settings, path, name="books", schema_file=schema_file)

    catalog = load_catalog(settings, "books")
    assert catalog.schema.numeric == ["year"]  # the file says so, although the rating is numeric too
    assert catalog.schema.synonyms["genres"]["sci-fi"] == "science fiction"
    assert catalog.get("b3").extra == {"average_rating": "4.4"}
    assert catalog.get("b3").numeric == {"year": 2015.0}


def test_schema_yaml_with_inconsistent_roles_is_an_ingest_error(tmp_path):
    bad = tmp_path / "schema.yaml"
    bad.write_text("id: id\ntitle: title\nnumeric: [rating]\nyear: year\n")
    with pytest.raises(IngestError, match="year field 'year' must be listed under numeric"):
        CatalogSchema.from_yaml(bad)


# --- malformed rows --------------------------------------------------------------------------------
def test_ingest_csv_reports_malformed_rows_with_line_numbers_and_reasons(tmp_path, settings):
    path = tmp_path / "books.csv"
    good = [",".join(f'"{b[c]}"' for c in COLUMNS) for b in BOOKS]
    lines = [
        ",".join(COLUMNS),                                                       # 1 header
        good[0],                                                                 # 2
        ',"No Id","Ann Vale","fantasy","2001","4.0","A book whose row lost its id somewhere."',  # 3
        good[1],                                                                 # 4
        '"b90","","Ann Vale","fantasy","2001","4.0","A book whose row lost its title somewhere."',  # 5
        '"b91","Bad Year","Ann Vale","fantasy","nineteen","4.0","A book whose year is a word."',  # 6
        '"b92","Too Wide","Ann Vale","fantasy","2001","4.0","An extra column follows.","oops"',  # 7
        '"b93","Too Narrow","Ann Vale"',                                         # 8
        *good[2:],                                                               # 9..14
    ]
    path.write_text("\n".join(lines) + "\n")

    report = ingest(settings, path, name="books")

    assert report.rejected == 5
    assert report.ingested == report.items == len(BOOKS)
    assert [e.line for e in report.errors] == [3, 5, 6, 7, 8]
    reasons = [e.reason for e in report.errors]
    assert "missing id" in reasons[0]
    assert "missing title" in reasons[1]
    assert "'year'" in reasons[2] and "not a number" in reasons[2] and "nineteen" in reasons[2]
    assert "expected 7 columns, found 8" in reasons[3]
    assert "expected 7 columns, found 3" in reasons[4]
    # the year column stays numeric despite the stray word, so year filters keep working
    assert load_catalog(settings, "books").schema.year == "year"
    saved = json.loads((catalog_dir(settings, "books") / "last_ingest.json").read_text())
    assert [e["line"] for e in saved["errors"]] == [3, 5, 6, 7, 8]


def test_ingest_jsonl_reports_invalid_json_lines(tmp_path, settings):
    rows: list[dict | str] = [BOOKS[0], "{not json", BOOKS[1], "[1, 2, 3]", "", {**BOOKS[2], "title": "  "},
                              BOOKS[3]]
    path = write_jsonl(tmp_path / "books.jsonl", rows)

    report = ingest(settings, path, name="books")

    assert (report.ingested, report.rejected) == (3, 3)
    assert [(e.line, e.reason.split(":")[0]) for e in report.errors] == [
        (2, "invalid JSON"), (4, "not a JSON object"), (6, "missing title field 'title'"),
    ]


def test_ingest_counts_every_rejected_row_but_reports_the_first_fifty(tmp_path, settings):
    rows: list[dict | str] = [*BOOKS, *(["{broken"] * 60)]
    report = ingest(settings, write_jsonl(tmp_path / "books.jsonl", rows), name="books")
    assert report.rejected == 60
    assert len(report.errors) == 50
    assert report.errors[0].line == len(BOOKS) + 1 and report.errors[-1].line == len(BOOKS) + 50


def test_ingest_treats_spelled_out_missing_values_as_missing(tmp_path, settings):
    rows = [dict(b) for b in BOOKS]
    rows[0]["year"] = "N/A"
    rows[1]["average_rating"] = ""
    path = write_csv(tmp_path / "books.csv", rows)

    report = ingest(settings, path, name="books")

    assert report.rejected == 0
    catalog = load_catalog(settings, "books")
    assert "year" not in catalog.get("b1").numeric
    assert catalog.get("b2").numeric == {"year": 2003.0}


def test_ingest_strips_a_utf8_byte_order_mark(tmp_path, settings):
    path = tmp_path / "books.csv"
    write_csv(path, BOOKS)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    report = ingest(settings, path, name="books")

    assert (report.ingested, report.rejected) == (len(BOOKS), 0)


# --- re-ingest: counts, idempotency, only changed items re-embedded -----------------------------------
def test_reingest_same_file_is_idempotent(tmp_path, settings, spy):
    path = write_csv(tmp_path / "books.csv", BOOKS)
    first = ingest(settings, path, name="books")
    assert len(spy.texts) == len(BOOKS)
    before = collection_snapshot(settings, load_catalog(settings, "books").collection_name)
    spy.texts.clear()

    second = ingest(settings, path, name="books")

    assert (second.ingested, second.updated, second.unchanged, second.rejected) == (0, 0, len(BOOKS), 0)
    assert second.items == first.items == len(BOOKS)
    assert spy.texts == []  # nothing embedded again
    after = collection_snapshot(settings, load_catalog(settings, "books").collection_name)
    assert after["ids"] == before["ids"]
    assert after["metadatas"] == before["metadatas"]
    assert after["documents"] == before["documents"]
    np.testing.assert_allclose(after["embeddings"], before["embeddings"], atol=1e-6)
    assert catalog_collections(settings, "books") == [load_catalog(settings, "books").collection_name]


def test_reingest_changed_text_reembeds_only_that_item(tmp_path, settings, spy):
    path = write_csv(tmp_path / "books.csv", BOOKS)
    ingest(settings, path, name="books")
    old = load_catalog(settings, "books")
    old_vectors = {it.id: np.array(old.embeddings[i]) for i, it in enumerate(old.items)}
    spy.texts.clear()
    changed = [dict(b) for b in BOOKS]
    changed[2]["description"] = "A lighthouse keeper on a frozen moon writes letters to a sister who never answers."
    write_csv(path, changed)

    report = ingest(settings, path, name="books")

    assert (report.ingested, report.updated, report.unchanged) == (0, 1, len(BOOKS) - 1)
    assert len(spy.texts) == 1 and "lighthouse keeper" in spy.texts[0]
    new = load_catalog(settings, "books")
    for i, item in enumerate(new.items):
        same = np.allclose(new.embeddings[i], old_vectors[item.id], atol=1e-6)
        assert same == (item.id != "b3"), item.id
    hit = new.collection.query(query_texts=["lighthouse keeper letters"], n_results=1)
    assert hit["ids"][0] == ["b3"]


def test_reingest_changed_number_updates_metadata_without_reembedding(tmp_path, settings, spy):
    path = write_csv(tmp_path / "books.csv", BOOKS)
    ingest(settings, path, name="books")
    spy.texts.clear()
    changed = [dict(b) for b in BOOKS] + [{**BOOKS[0], "id": "b9", "title": "The Silver Road Returns"}]
    changed[4]["average_rating"] = "2.5"
    write_csv(path, changed)

    report = ingest(settings, path, name="books")

    assert (report.ingested, report.updated, report.unchanged) == (1, 1, len(BOOKS) - 1)
    assert spy.texts == [BOOKS[0]["description"]]  # only the new item (its text: titles are not embedded)
    catalog = load_catalog(settings, "books")
    got = catalog.collection.get(ids=["b5"], include=["metadatas"])
    assert got["metadatas"][0]["average_rating"] == 2.5
    assert catalog.get("b5").numeric["average_rating"] == 2.5


def test_reingest_upserts_by_id_keeping_items_absent_from_the_new_file(tmp_path, settings):
    ingest(settings, write_csv(tmp_path / "all.csv", BOOKS), name="books")

    report = ingest(settings, write_csv(tmp_path / "some.csv", BOOKS[:2]), name="books")

    assert (report.items, report.unchanged, report.ingested) == (len(BOOKS), 2, 0)
    assert load_catalog(settings, "books").has("b8")


# --- interactions ------------------------------------------------------------------------------------
def test_ingest_interactions_rejects_unknown_items_and_bad_rows(tmp_path, settings):
    books = write_csv(tmp_path / "books.csv", BOOKS)
    inter = tmp_path / "ratings.csv"
    inter.write_text(
        "user,item,rating\n"
        "u1,b1,5\n"
        "u1,b2,3\n"
        "u2,b1,4\n"
        "u2,nope,5\n"      # unknown item
        ",b3,4\n"          # no user
        "u3,b3,great\n"    # rating not a number
        "u3,b4\n"          # wrong column count
        "u3,b5,\n"         # no rating: kept, as NaN
    )

    report = ingest(settings, books, name="books", interactions=inter)

    assert (report.interactions, report.interactions_rejected) == (4, 4)
    catalog = load_catalog(settings, "books")
    inter_data = catalog.interactions
    assert inter_data.count == 4
    assert set(inter_data.user_ids) == {"u1", "u2", "u3"}
    pairs = {(inter_data.user_ids[u], catalog.items[i].id) for u, i in zip(inter_data.users, inter_data.items, strict=True)}
    assert pairs == {("u1", "b1"), ("u1", "b2"), ("u2", "b1"), ("u3", "b5")}
    assert np.isnan(inter_data.ratings).sum() == 1

    # a re-ingest without an interactions file keeps the ones already stored
    again = ingest(settings, books, name="books")
    assert again.interactions == 4
    assert load_catalog(settings, "books").interactions.count == 4


def test_ingest_missing_interactions_file_fails_before_any_work(tmp_path, settings, spy):
    with pytest.raises(IngestError, match="interactions file not found"):
        ingest(settings, write_csv(tmp_path / "books.csv", BOOKS), name="books",
               interactions=tmp_path / "nope.csv")
    assert spy.texts == [] and list_catalogs(settings) == []


# --- interruption --------------------------------------------------------------------------------------
@pytest.mark.parametrize("phase", ["embed", "index"])
def test_ingest_interrupted_keeps_the_previous_version(tmp_path, settings, monkeypatch, phase):
    path = write_csv(tmp_path / "books.csv", BOOKS)
    ingest(settings, path, name="books")
    v1 = current_version(settings, "books")
    v1_collection = load_catalog(settings, "books").collection_name
    changed = [dict(b) for b in BOOKS] + [{**BOOKS[1], "id": "b9", "title": "Glass Harbour II"}]
    changed[0]["description"] = "Something entirely different about submarines and whales."
    write_csv(path, changed)
    seen = []

    def interrupt(name, done, total):
        seen.append((name, done, total))
        if name == phase and done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest(settings, path, name="books", progress=interrupt)

    assert any(p == phase and done > 0 for p, done, _ in seen)
    assert current_version(settings, "books") == v1
    versions = [p.name for p in catalog_dir(settings, "books").iterdir() if p.is_dir()]
    assert versions == [v1]
    assert catalog_collections(settings, "books") == [v1_collection]
    monkeypatch.setattr(catalog_mod, "_cache", {})  # load from disk, as a new process would
    catalog = load_catalog(settings, "books")
    assert catalog.version == v1 and len(catalog) == len(BOOKS) and not catalog.has("b9")
    hits = catalog.collection.query(query_texts=["cartographer maps a kingdom"], n_results=1)
    assert hits["ids"][0] == ["b1"]

    report = ingest(settings, path, name="books")

    assert (report.ingested, report.updated) == (1, 1)
    v3 = current_version(settings, "books")
    assert v3 != v1
    assert [p.name for p in catalog_dir(settings, "books").iterdir() if p.is_dir()] == [v3]
    assert catalog_collections(settings, "books") == [load_catalog(settings, "books").collection_name]


def test_ingest_cleans_up_orphan_collections_of_an_earlier_crash(tmp_path, settings):
    path = write_csv(tmp_path / "books.csv", BOOKS)
    ingest(settings, path, name="books")
    # a process killed mid-ingest leaves a collection (and maybe a folder) behind
    get_client(settings).create_collection("books-v1")
    (catalog_dir(settings, "books") / "v2").mkdir()

    ingest(settings, path, name="books")

    assert catalog_collections(settings, "books") == [load_catalog(settings, "books").collection_name]
    assert [p.name for p in catalog_dir(settings, "books").iterdir() if p.is_dir()] == [
        current_version(settings, "books")
    ]


# --- files that cannot be ingested at all ----------------------------------------------------------------
def _write(tmp_path: Path, name: str, data: bytes | None) -> Path:
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "has no header row"),
        ("header-only.csv", b"id,title\n", "no rows"),
        ("empty.jsonl", b"", "no rows"),
        ("blank.jsonl", b"\n\n  \n", "no rows"),
        ("catalog.xml", b"<items/>", "unsupported catalog format 'catalog.xml'"),
        ("missing.csv", None, "file not found"),
        ("corrupt.csv.gz", b"this is not gzip", "cannot read"),
        ("all-bad.jsonl", b"{oops\n[1]\n", "no valid rows"),
        ("no-id.csv", b"colour,size\nred,3\n", "cannot tell which columns are the id and the title"),
    ],
)
def test_ingest_unusable_file_raises_ingest_error(tmp_path, settings, name, data, message):
    path = _write(tmp_path, name, data)
    with pytest.raises(IngestError, match=message):
        ingest(settings, path, name="broken")
    assert list_catalogs(settings) == []


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is not None, reason="pyarrow is installed")
def test_ingest_parquet_without_pyarrow_says_what_to_install(tmp_path, settings):
    with pytest.raises(IngestError, match="pip install pyarrow"):
        ingest(settings, _write(tmp_path, "books.parquet", b"PAR1"), name="broken")


def test_ingest_directory_raises_ingest_error(tmp_path, settings):
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(IngestError, match="not a file"):
        ingest(settings, tmp_path / "dir.csv", name="broken")


def test_ingest_failure_leaves_the_current_catalog_in_use(tmp_path, settings):
    ingest(settings, write_csv(tmp_path / "books.csv", BOOKS), name="books")
    v1 = current_version(settings, "books")

    with pytest.raises(IngestError):
        ingest(settings, _write(tmp_path, "empty.jsonl", b""), name="books")

    assert current_version(settings, "books") == v1
    assert len(load_catalog(settings, "books")) == len(BOOKS)


# --- the demo ------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_ensure_catalog_ingests_the_demo_into_an_empty_home(tmp_path):
    settings = _settings(tmp_path / "fresh-home")
    notes: list[str] = []

    catalog = ensure_catalog(settings, notes.append)

    assert catalog.name == "demo" and len(catalog) > 9000
    assert len(notes) == 1 and "demo" in notes[0]
    assert list_catalogs(settings) == ["demo"]
    assert catalog.interactions is not None and catalog.interactions.count > 0
    assert ensure_catalog(settings, notes.append).version == catalog.version
    assert len(notes) == 1  # the second call found it and ingested nothing
