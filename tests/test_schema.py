"""Catalog schema roles beyond year/rating/popularity (recpilot/schema.py): series and position,
evidence fields, audience ranges; how they are validated, inferred and carried through ingest
on a small catalog that is not books."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from recpilot.catalog import load_catalog
from recpilot.errors import IngestError
from recpilot.ingest import _embed_text, ingest
from recpilot.schema import CatalogSchema, Item, infer_schema, item_from_row
from recpilot.settings import LLMSettings, Settings

BASE = {"categorical": ["tags", "minor_tags", "franchise", "studio"], "people": ["studio"],
        "numeric": ["year", "part"]}
GOOD = {**BASE, "series": "franchise", "series_position": "part", "evidence": {"tags": "minor_tags"},
        "audience_field": "tags", "audience": {"family": [0, 12], "teen": [13, 17]}}


@pytest.mark.parametrize(("change", "message"), [
    ({"series": "saga"}, "series field 'saga' must be listed under categorical"),
    ({"series": "studio"}, "series field 'studio' cannot also be a people field"),
    ({"series_position": "tags"}, "series_position field 'tags' must be listed under numeric"),
    ({"series": None}, "series_position field 'part' needs a series field"),
    ({"evidence": {"tags": "hints"}}, "evidence field 'hints' must be listed under categorical"),
    ({"evidence": {"moods": "minor_tags"}}, "evidence field 'moods' must be listed under categorical"),
    ({"evidence": {"tags": "tags"}}, "evidence field 'tags' cannot be its own weaker evidence"),
    ({"evidence": {"tags": "minor_tags", "minor_tags": "franchise"}}, "'minor_tags' holds weaker labels"),
    ({"evidence": {"tags": "minor_tags", "franchise": "minor_tags"}}, "'minor_tags' is named for two fields"),
    ({"evidence": {"tags": "franchise"}}, "cannot also be the series or a people field"),
    ({"audience_field": None}, "audience ranges need an audience_field"),
    ({"audience_field": "year"}, "audience_field 'year' must be listed under categorical"),
    ({"audience": {"family": [12, 0]}}, "'family' must be [min_age, max_age]"),
    ({"audience": {"family": [8]}}, "'family' must be [min_age, max_age]"),
    ({"audience": {"family": [-1, 8]}}, "'family' must be [min_age, max_age]"),
])
def test_schema_rejects_roles_that_name_the_wrong_fields(change, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        CatalogSchema(**{**GOOD, **change})


def test_schema_roles_default_to_none_and_evidence_fields_are_not_attributes():
    plain = CatalogSchema(**BASE)
    assert (plain.series, plain.series_position, plain.evidence, plain.audience_field, plain.audience) == (
        None, None, {}, None, {})
    assert plain.attribute_fields == ["tags", "minor_tags", "franchise"]
    schema = CatalogSchema(**GOOD)
    assert schema.evidence_fields == {"minor_tags"}
    assert schema.attribute_fields == ["tags"]
    assert schema.audience["family"] == [0.0, 12.0]


def test_schema_file_with_a_bad_role_is_an_ingest_error(tmp_path):
    bad = tmp_path / "schema.yaml"
    bad.write_text("categorical: [genres]\nevidence:\n  genres: weak_genres\n")
    with pytest.raises(IngestError, match="evidence field 'weak_genres' must be listed under categorical"):
        CatalogSchema.from_yaml(bad)


def test_series_value_is_one_name_even_with_a_comma():
    schema = CatalogSchema(**GOOD)
    item = item_from_row({"id": "1", "title": "Sonnie's Edge", "franchise": "Love, Death & Robots",
                          "tags": "animation|sci-fi", "part": "1"}, schema)
    assert item.categorical["franchise"] == ["Love, Death & Robots"]
    assert item.categorical["tags"] == ["animation", "sci-fi"]
    assert item.numeric["part"] == 1.0


def test_infer_schema_finds_series_and_position_by_name():
    rows = [{"id": str(i), "name": f"Episode {i}", "series": f"Show {i % 7}", "series_number": i % 3 + 1,
             "genre": "drama" if i % 2 else "comedy"} for i in range(30)]
    schema = infer_schema(rows)
    assert (schema.series, schema.series_position) == ("series", "series_number")
    assert "series" in schema.categorical
    no_series = infer_schema([{k: v for k, v in r.items() if k != "series"} for r in rows])
    assert (no_series.series, no_series.series_position) == (None, None)


@pytest.mark.parametrize(("item", "embedded"), [
    (Item(id="1", title="Dark Harbour", text="A detective hunts a smuggler.", categorical={"tags": ["noir"]}),
     "A detective hunts a smuggler."),
    (Item(id="2", title="Dark Harbour", categorical={"tags": ["noir", "crime"], "studio": ["Ealing"]}),
     "noir, crime. Ealing"),
    (Item(id="3", title="Dark Harbour"), "Dark Harbour"),
])
def test_embedded_text_leaves_the_title_out_unless_there_is_nothing_else(item, embedded):
    assert _embed_text(item) == embedded


FILMS = [
    {"id": "f1", "title": "Toy Story", "franchise": "Toy Story", "part": "1", "year": "1995",
     "tags": "animation|family", "minor_tags": "comedy", "studio": "Pixar",
     "plot": "A cowboy doll feels threatened when a space ranger toy joins the bedroom."},
    {"id": "f2", "title": "Toy Story 2", "franchise": "Toy Story", "part": "2", "year": "1999",
     "tags": "animation|family", "minor_tags": "adventure", "studio": "Pixar",
     "plot": "A collector steals a cowboy doll, and his friends cross the city to bring him home."},
    {"id": "f3", "title": "Sonnie's Edge", "franchise": "Love, Death & Robots", "part": "1", "year": "2019",
     "tags": "animation|teen", "minor_tags": "horror", "studio": "Blur",
     "plot": "A fighter controls a monster in underground beast battles and hides a secret."},
    {"id": "f4", "title": "Spirited Away", "franchise": "", "part": "", "year": "2001",
     "tags": "animation|family", "minor_tags": "", "studio": "Ghibli",
     "plot": "A girl works in a bathhouse for spirits to free her parents from a witch's spell."},
]


def test_ingest_carries_series_evidence_and_audience_roles_of_a_film_catalog(tmp_path):
    path = tmp_path / "films.csv"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(FILMS[0]))
        writer.writeheader()
        writer.writerows(FILMS)
    schema_file = tmp_path / "schema.yaml"
    schema_file.write_text(
        "text: [plot]\ncategorical: [tags, minor_tags, franchise, studio]\npeople: [studio]\n"
        "numeric: [year, part]\nyear: year\nseries: franchise\nseries_position: part\n"
        "evidence:\n  tags: minor_tags\naudience_field: tags\naudience:\n  family: [0, 12]\n  teen: [13, 17]\n"
    )
    settings = Settings(home=tmp_path / "home", llm=LLMSettings(backend="none"))

    report = ingest(settings, path, name="films", schema_file=schema_file)

    assert (report.items, report.rejected) == (4, 0)
    catalog = load_catalog(settings, "films")
    schema = catalog.schema
    assert (schema.series, schema.series_position, schema.evidence) == ("franchise", "part", {"tags": "minor_tags"})
    assert schema.audience == {"family": [0.0, 12.0], "teen": [13.0, 17.0]}
    assert catalog.get("f3").categorical["franchise"] == ["Love, Death & Robots"]
    assert catalog.get("f2").numeric["part"] == 2.0
    assert "franchise" not in catalog.get("f4").categorical and "part" not in catalog.get("f4").numeric
    assert sorted(catalog.categorical["franchise"]["toy story"].tolist()) == [0, 1]
    assert catalog.categorical["minor_tags"]["horror"].tolist() == [2]


def test_schema_of_the_demo_catalog_declares_its_roles():
    demo = Path(__file__).resolve().parent.parent / "recpilot" / "data" / "demo" / "schema.yaml"
    schema = CatalogSchema.from_yaml(demo)
    assert (schema.series, schema.series_position) == ("series", "series_position")
    assert schema.evidence == {"genres": "other_genres"}
    assert schema.audience_field == "genres"
    assert schema.audience["middle grade"] == [8.0, 12.0]
    assert "image_url" in schema.keep
