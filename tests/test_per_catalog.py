"""PerCatalog (agent/per_catalog.py): built once per process, and kept on disk between processes."""

from __future__ import annotations

from types import SimpleNamespace

from recpilot.agent.per_catalog import CatalogBound, PerCatalog, code_hash


class Built(CatalogBound):
    def __init__(self, catalog):
        self.catalog = catalog
        self.table = {item: len(item) for item in catalog.items}


def fake_catalog(home, version="v1"):
    return SimpleNamespace(settings=SimpleNamespace(home=home), name="books", version=version,
                           items=["dune", "emma"])


def counting(builds: list):
    def build(catalog):
        builds.append(catalog.version)
        return Built(catalog)
    return build


def test_per_catalog_builds_once_per_process_and_reuses_the_disk_copy_in_the_next(tmp_path):
    builds: list = []
    catalog = fake_catalog(tmp_path)
    first = PerCatalog(counting(builds), name="table")
    assert first(catalog) is first(catalog) and builds == ["v1"]

    again = PerCatalog(counting(builds), name="table")(catalog)  # a new process, in effect

    assert builds == ["v1"] and again.table == {"dune": 4, "emma": 4} and again.catalog is catalog
    assert (tmp_path / "cache" / "books" / "v1" / f"table-{code_hash()}.pkl").exists()


def test_per_catalog_rebuilds_for_a_new_catalog_version_and_a_damaged_file(tmp_path):
    builds: list = []
    PerCatalog(counting(builds), name="table")(fake_catalog(tmp_path))
    PerCatalog(counting(builds), name="table")(fake_catalog(tmp_path, "v2"))
    assert builds == ["v1", "v2"]

    (tmp_path / "cache" / "books" / "v1" / f"table-{code_hash()}.pkl").write_bytes(b"not a pickle")
    rebuilt = PerCatalog(counting(builds), name="table")(fake_catalog(tmp_path))

    assert builds == ["v1", "v2", "v1"] and rebuilt.table["dune"] == 4


def test_per_catalog_pickles_without_the_catalog(tmp_path):
    import pickle

    state = pickle.loads(pickle.dumps(Built(fake_catalog(tmp_path)))).__dict__
    assert "catalog" not in state and state["table"] == {"dune": 4, "emma": 4}


def test_per_catalog_removes_copies_built_by_older_code(tmp_path):
    folder = tmp_path / "cache" / "books" / "v1"
    folder.mkdir(parents=True)
    (folder / "table-0123456789abcdef.pkl").write_bytes(b"from older code")
    (folder / "other-0123456789abcdef.pkl").write_bytes(b"another structure's")
    PerCatalog(counting([]), name="table")(fake_catalog(tmp_path))
    assert sorted(p.name for p in folder.iterdir()) == ["other-0123456789abcdef.pkl", f"table-{code_hash()}.pkl"]
