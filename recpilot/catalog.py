"""A loaded catalog: items, exact in-memory filters, embeddings, and its chromadb collection.

On disk, ``HOME/catalogs/NAME/vN/`` holds one immutable version (items.jsonl, embeddings.npy,
interactions.npz, manifest.json) and ``HOME/catalogs/NAME/CURRENT`` names the version in use.
Ingest writes a new version and switches ``CURRENT`` atomically, so an interrupted ingest
leaves the previous catalog usable.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recpilot.disk_cache import kept
from recpilot.embeddings import ChromaEmbedder, get_embedder
from recpilot.errors import CatalogNotFound, InvalidConstraint, UnknownItem
from recpilot.preferences import Constraint
from recpilot.schema import CatalogSchema, Item
from recpilot.settings import Settings

#: the largest bound a numeric constraint may give (years, ratings, counts all fit far below)
MAX_BOUND = 1e12


@dataclass
class Interactions:
    """User-item interactions aligned to catalog rows (``items`` are row indices)."""

    users: np.ndarray  # int32 index into user_ids
    items: np.ndarray  # int32 row index
    ratings: np.ndarray  # float32, NaN when the file had none
    user_ids: list[str]

    @property
    def count(self) -> int:
        return int(self.items.shape[0])


def _tables(rows: list[dict], schema: CatalogSchema) -> dict:
    """The exact filters' lookup tables from the stored rows, in plain types (kept on disk with
    the rows): ids in row order, each numeric field as float64 bytes (NaN where missing), and for
    each categorical field the rows holding each lower-cased value (int32 bytes) and the value as
    first written."""
    numeric, categorical, display = {}, {}, {}
    for name in schema.numeric:
        arr = np.full(len(rows), np.nan)
        for i, row in enumerate(rows):
            value = row.get("numeric", {}).get(name)
            if value is not None:
                arr[i] = value
        numeric[name] = arr.tobytes()
    for name in schema.categorical:
        where: dict[str, list[int]] = {}
        shown: dict[str, str] = {}
        for i, row in enumerate(rows):
            for value in row.get("categorical", {}).get(name, ()):
                low = value.lower()
                where.setdefault(low, []).append(i)
                shown.setdefault(low, value)
        categorical[name] = {v: np.asarray(r, dtype=np.int32).tobytes() for v, r in where.items()}
        display[name] = shown
    return {"ids": [row["id"] for row in rows], "numeric": numeric, "categorical": categorical, "display": display}


class ItemRows(Sequence[Item]):
    """A catalog's items as stored, each made an ``Item`` when first asked for: a one-turn
    command touches a few dozen of 10,000, and building them all took 0.15 s. ``tables``: their
    lookup tables (``_tables``) when a kept copy has them."""

    def __init__(self, rows: list[dict], tables: dict | None = None):
        self.rows, self.tables = rows, tables
        self._made: list[Item | None] = [None] * len(rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self.rows)))]
        item = self._made[i]
        if item is None:  # two threads may both make it: the same item either way
            item = self._made[i] = Item.model_construct(**self.rows[i])
        return item


@dataclass
class Catalog:
    name: str
    version: str
    schema: CatalogSchema
    items: Sequence[Item]  # ItemRows when loaded from disk
    embeddings: np.ndarray
    collection_name: str
    settings: Settings
    index: dict[str, int] = field(init=False)
    numeric: dict[str, np.ndarray] = field(init=False)
    categorical: dict[str, dict[str, np.ndarray]] = field(init=False)
    display: dict[str, dict[str, str]] = field(init=False)
    popularity: np.ndarray = field(init=False)
    _collection: object | None = field(default=None, init=False, repr=False)
    _interactions: Interactions | None = field(default=None, init=False, repr=False)
    _query_vectors: OrderedDict = field(default_factory=OrderedDict, init=False, repr=False)
    _query_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.items, ItemRows):
            tables = self.items.tables or _tables(self.items.rows, self.schema)
        else:
            tables = _tables([item.__dict__ for item in self.items], self.schema)
        self.index = {item_id: i for i, item_id in enumerate(tables["ids"])}
        self.numeric = {name: np.frombuffer(raw, dtype=np.float64) for name, raw in tables["numeric"].items()}
        self.categorical = {name: {value: np.frombuffer(raw, dtype=np.int32) for value, raw in values.items()}
                            for name, values in tables["categorical"].items()}
        self.display = tables["display"]
        self.popularity = self._popularity()

    def _popularity(self) -> np.ndarray:
        """Popularity in [0, 1]: log of the popularity field, else of interaction counts."""
        n = len(self.items)
        if self.schema.popularity:
            raw = np.nan_to_num(self.numeric[self.schema.popularity], nan=0.0)
        else:
            raw = np.zeros(n)
        raw = np.log1p(np.clip(raw, 0, None))
        top = raw.max() if n else 0
        return raw / top if top > 0 else np.zeros(n)

    # --- lookup -----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.items)

    def get(self, item_id: str) -> Item:
        row = self.index.get(str(item_id))
        if row is None:
            raise UnknownItem(str(item_id))
        return self.items[row]

    def has(self, item_id: str) -> bool:
        return str(item_id) in self.index

    def rows(self, ids: list[str]) -> np.ndarray:
        return np.asarray([self.index[i] for i in ids if i in self.index], dtype=np.int64)

    # --- exact filtering ---------------------------------------------------------------------
    def checked(self, c: Constraint) -> Constraint:
        """``c`` as this catalog can apply it, or ``InvalidConstraint`` saying why not: the field
        must be one of the catalog's, include/exclude take a value of a categorical field, and
        gte/lte a finite number on a numeric field ("1990" is read as 1990; "1990s" is refused).
        Every door (HTTP, MCP, LangChain, the CLI, the parser's output) goes through this."""
        schema = self.schema
        if c.op in ("include", "exclude"):
            if c.field not in schema.categorical:
                raise InvalidConstraint(f"{c.op} needs a categorical field ({_listed(schema.categorical)}); "
                                        f"got {c.field[:40]!r}")
            return c if isinstance(c.value, str) else c.model_copy(update={"value": f"{float(c.value):g}"})
        if c.field not in schema.numeric:
            raise InvalidConstraint(f"{c.op} needs a numeric field ({_listed(schema.numeric)}); got {c.field[:40]!r}")
        if isinstance(c.value, str):
            try:
                number = float(c.value.strip())
            except ValueError:
                raise InvalidConstraint(f"{c.field} {c.op} needs a number; got {c.value[:40]!r}") from None
            if not math.isfinite(number):
                raise InvalidConstraint(f"{c.field} {c.op} needs a finite number; got {c.value[:40]!r}")
            c = c.model_copy(update={"value": number})
        if abs(float(c.value)) > MAX_BOUND:  # no catalog field holds such a number: a typo or a probe
            raise InvalidConstraint(f"{c.field} {c.op} {float(c.value):g} is out of range (at most {MAX_BOUND:g})")
        return c

    def valid(self, c: Constraint) -> bool:
        try:
            self.checked(c)
            return True
        except InvalidConstraint:
            return False

    def mask(self, constraints: list[Constraint]) -> np.ndarray:
        """Boolean mask over all rows: True where every constraint holds."""
        keep = np.ones(len(self.items), dtype=bool)
        for c in constraints:
            keep &= self._mask_one(c)
        return keep

    def _mask_one(self, c: Constraint) -> np.ndarray:
        n = len(self.items)
        if c.op in ("include", "exclude"):
            hit = np.zeros(n, dtype=bool)
            rows = self.categorical.get(c.field, {}).get(str(c.value).lower())
            if rows is not None:
                hit[rows] = True
            return hit if c.op == "include" else ~hit
        values = self.numeric.get(c.field)
        if values is None:
            return np.zeros(n, dtype=bool)
        c = self.checked(c)  # a stored bound from before every door checked them
        with np.errstate(invalid="ignore"):
            return values >= float(c.value) if c.op == "gte" else values <= float(c.value)

    # --- vector store ---------------------------------------------------------------------------
    def exact_nearest(self, qvec: np.ndarray, limit: int, rows: np.ndarray | None = None
                      ) -> tuple[np.ndarray, np.ndarray] | None:
        """The ``limit`` rows (of ``rows``, default all) closest to ``qvec`` by cosine, best first,
        with their similarities, from the in-memory vectors; None when there are more candidates
        than ``vector_store.exact_scan_max`` (then the vector store's index answers)."""
        candidates = np.arange(len(self)) if rows is None else np.asarray(rows, dtype=np.int64)
        if len(candidates) > self.settings.vector_store.exact_scan_max:
            return None
        sims = np.asarray(self.embeddings[candidates] @ qvec) if len(candidates) else np.zeros(0)
        order = np.argsort(-sims, kind="stable")[:limit]
        return candidates[order], sims[order]

    @property
    def collection(self):
        if self._collection is None:
            from recpilot.vectorstore import get_client

            client = get_client(self.settings)
            self._collection = client.get_collection(
                self.collection_name, embedding_function=ChromaEmbedder(get_embedder())
            )
        return self._collection

    def embed(self, texts: list[str]) -> np.ndarray:
        return get_embedder(self.settings.embedding.batch_size).embed(texts)

    def embed_query(self, text: str) -> np.ndarray:
        """One short text's vector, remembered: a turn's search and ranking embed the same
        query, and preferences repeat from turn to turn."""
        with self._query_lock:
            vector = self._query_vectors.get(text)
            if vector is not None:
                self._query_vectors.move_to_end(text)
                return vector
        vector = self.embed([text])[0]
        with self._query_lock:
            self._query_vectors[text] = vector
            while len(self._query_vectors) > 512:
                self._query_vectors.popitem(last=False)
        return vector

    # --- interactions ------------------------------------------------------------------------
    @property
    def interactions(self) -> Interactions | None:
        if self._interactions is None:
            path = version_dir(self.settings, self.name, self.version) / "interactions.npz"
            if path.exists():
                with np.load(path, allow_pickle=False) as data:
                    self._interactions = Interactions(
                        users=data["users"], items=data["items"], ratings=data["ratings"],
                        user_ids=[str(u) for u in data["user_ids"]],
                    )
        return self._interactions

    def vocabulary(self, field_name: str) -> dict[str, str]:
        """lower-cased value -> value as written in the catalog."""
        return self.display.get(field_name, {})


# --- loading ----------------------------------------------------------------------------------
_cache: dict[tuple[str, str, str], Catalog] = {}
_cache_lock = threading.Lock()


def catalog_dir(settings: Settings, name: str) -> Path:
    return settings.catalogs_dir / name


def version_dir(settings: Settings, name: str, version: str) -> Path:
    return catalog_dir(settings, name) / version


def current_version(settings: Settings, name: str) -> str | None:
    pointer = catalog_dir(settings, name) / "CURRENT"
    if not pointer.exists():
        return None
    version = pointer.read_text().strip()
    return version if (catalog_dir(settings, name) / version / "manifest.json").exists() else None


def set_current(settings: Settings, name: str, version: str) -> None:
    pointer = catalog_dir(settings, name) / "CURRENT"
    tmp = pointer.with_suffix(".tmp")
    tmp.write_text(version)
    os.replace(tmp, pointer)  # atomic: readers see the old or the new version, never half


def list_catalogs(settings: Settings) -> list[str]:
    if not settings.catalogs_dir.exists():
        return []
    return sorted(p.name for p in settings.catalogs_dir.iterdir() if current_version(settings, p.name))


def load_catalog(settings: Settings, name: str | None = None) -> Catalog:
    """The current version of catalog ``name`` (cached per process and version)."""
    name = name or settings.catalog
    version = current_version(settings, name)
    if version is None:
        raise CatalogNotFound(f"no catalog named {name!r} under {settings.catalogs_dir}; run `recpilot ingest`")
    key = (str(settings.home), name, version)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    vdir = version_dir(settings, name, version)
    manifest = json.loads((vdir / "manifest.json").read_text())
    schema = CatalogSchema(**manifest["schema"])
    def read() -> dict:
        with (vdir / "items.jsonl").open() as fh:
            rows = [json.loads(line) for line in fh]
        return {"rows": rows, "tables": _tables(rows, schema)}

    # a version never changes, so its rows and tables are kept in the form that loads fastest
    stored = kept(settings.home / "cache" / name / version / "items", read)
    items = ItemRows(stored["rows"], stored["tables"])
    embeddings = np.load(vdir / "embeddings.npy", mmap_mode="r")
    catalog = Catalog(
        name=name, version=version, schema=schema, items=items, embeddings=embeddings,
        collection_name=manifest["collection"], settings=settings,
    )
    with _cache_lock:
        _cache[key] = catalog
    return catalog


def minmax(values: np.ndarray) -> np.ndarray:
    """Scales to [0, 1]; NaN becomes 0; a constant array becomes 0."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros_like(values)
    lo, hi = finite.min(), finite.max()
    if math.isclose(lo, hi):
        return np.zeros_like(values)
    return np.nan_to_num((values - lo) / (hi - lo), nan=0.0)


#: who the people with a taste for a catalog's items are, by its noun
_AUDIENCE = {"book": ("readers", "read"), "movie": ("viewers", "seen"), "film": ("viewers", "seen")}


def item_noun(catalog: Catalog, plural: bool = False) -> str:
    """What one item is called: the schema's ``noun``, else guessed from its fields (an author
    or pages: books; a director or a runtime: movies), else "item"."""
    noun = catalog.schema.noun
    if not noun:
        names = " ".join(catalog.schema.categorical + catalog.schema.numeric).lower()
        noun = "book" if "author" in names or "page" in names else \
            "movie" if "director" in names or "runtime" in names else "item"
    return noun + ("s" if plural else "")


def audience_words(catalog: Catalog) -> tuple[str, str]:
    """(the people who enjoy the items, what they did with one): ("readers", "read")."""
    return _AUDIENCE.get(item_noun(catalog), ("people", "tried"))


def kind_field(catalog: Catalog) -> str | None:
    """The field a user names first ('a mystery'): the planner's clarifying field."""
    schema = catalog.schema
    for name in schema.attribute_fields:
        if len(catalog.categorical.get(name, {})) >= 3:
            return name
    return None


def _listed(fields: list[str]) -> str:
    return ", ".join(fields) if fields else "this catalog has none"
