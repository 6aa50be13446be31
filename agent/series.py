"""Series a reader already knows: other volumes of a series they read, loved or named are not
recommended, unless they ask for more of it ("the next one", "the
rest of the series"), which the parser turns into an include constraint on the series field."""

from __future__ import annotations

import numpy as np

from recpilot.catalog import Catalog
from recpilot.preferences import PreferenceState


def series_phrase(name: str) -> str:
    """ "the Dune Chronicles series", but "The Hunger Games series" (not "the The ...")."""
    return f"{name} series" if name.lower().startswith("the ") else f"the {name} series"


def known_series(catalog: Catalog, state: PreferenceState, shown: set[str] | frozenset[str] = frozenset()) -> set[str]:
    """Lower-cased names of the series to keep out of recommendations: those of items the user
    read or loved, and of items they named themselves ("like Percy Jackson", "hated Twilight").
    An item they only saw in a list ("like #2 but newer", "not #1, too old") says nothing of
    having read its series: ``shown`` holds what the lists showed."""
    field = catalog.schema.series
    if not field:
        return set()
    wanted = {str(c.value).lower() for c in state.constraints if c.field == field and c.op == "include"}
    named = [r for r in state.anchors + state.rejected_items if r.id not in shown]
    names: set[str] = set()
    for ref in state.liked_items + state.read_items + named:
        row = catalog.index.get(ref.id)
        if row is not None:
            names |= {v.lower() for v in catalog.items[row].categorical.get(field, [])[:1]}
    return names - wanted


def series_rows(catalog: Catalog, names: set[str]) -> np.ndarray:
    field = catalog.schema.series
    if not field or not names:
        return np.zeros(0, dtype=np.int64)
    found = [catalog.categorical.get(field, {}).get(name) for name in names]
    parts = [rows for rows in found if rows is not None]
    return np.unique(np.concatenate(parts)).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
