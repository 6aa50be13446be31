"""Series a reader already knows: other volumes of a series they read, loved, named as "like
X" or turned down are not recommended, unless they ask for more of it ("the next one", "the
rest of the series"), which the parser turns into an include constraint on the series field."""

from __future__ import annotations

import numpy as np

from recpilot.catalog import Catalog
from recpilot.preferences import PreferenceState


def series_phrase(name: str) -> str:
    """ "the Dune Chronicles series", but "The Hunger Games series" (not "the The ...")."""
    return f"{name} series" if name.lower().startswith("the ") else f"the {name} series"


def known_series(catalog: Catalog, state: PreferenceState) -> set[str]:
    """Lower-cased names of the series to keep out of recommendations."""
    field = catalog.schema.series
    if not field:
        return set()
    wanted = {str(c.value).lower() for c in state.constraints if c.field == field and c.op == "include"}
    names: set[str] = set()
    for ref in state.liked_items + state.read_items + state.anchors + state.rejected_items:
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
