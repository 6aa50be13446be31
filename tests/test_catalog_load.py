"""Loading a catalog version: the kept copy under HOME/cache gives the same catalog as the files."""

from __future__ import annotations

import numpy as np

from recpilot import catalog as catalog_module
from recpilot.catalog import ItemRows, load_catalog
from recpilot.settings import Settings


def _fresh(home):
    catalog_module._cache.clear()  # as a new process would
    return load_catalog(Settings(home=home))


def _same(a, b) -> None:
    assert a.index == b.index and a.display == b.display
    assert a.numeric.keys() == b.numeric.keys()
    for name in a.numeric:
        np.testing.assert_array_equal(a.numeric[name], b.numeric[name])
    for name in a.categorical:
        assert a.categorical[name].keys() == b.categorical[name].keys()
        for value, rows in a.categorical[name].items():
            np.testing.assert_array_equal(rows, b.categorical[name][value])
    assert [a.items[i] for i in (0, len(a) // 2, -1)] == [b.items[i] for i in (0, len(b) // 2, -1)]


def test_a_catalog_loaded_from_the_kept_copy_equals_one_read_from_its_files(copy_demo_home):
    home = copy_demo_home()
    first = _fresh(home)  # reads items.jsonl and keeps a copy
    kept = list((home / "cache" / first.name / first.version).glob("items-*.marshal"))
    assert len(kept) == 1
    second = _fresh(home)
    assert second is not first
    _same(first, second)
    assert second.get(first.items[3].id).title == first.items[3].title
    assert isinstance(second.items, ItemRows) and second.items[1:3] == [second.items[1], second.items[2]]


def test_a_damaged_kept_copy_is_rebuilt_from_the_files(copy_demo_home):
    home = copy_demo_home()
    first = _fresh(home)
    path = next((home / "cache" / first.name / first.version).glob("items-*.marshal"))
    path.write_bytes(b"\x00 not marshal")
    again = _fresh(home)
    _same(first, again)
    assert path.stat().st_size > 1000  # written again, whole


def test_item_rows_make_each_item_once_and_only_when_asked():
    rows = ItemRows([{"id": "a", "title": "A"}, {"id": "b", "title": "B", "numeric": {"year": 1999.0}}])
    assert rows._made == [None, None]
    assert rows[1].numeric == {"year": 1999.0} and rows[1] is rows[1] and rows[-1] is rows[1]
    assert rows._made[0] is None and [i.id for i in rows] == ["a", "b"]
