"""What a catalog item is, and how a catalog file's columns map onto it.

Nothing here assumes books: a schema names which columns are the id, the title, the text
to embed, the categorical list fields (genres, people, tags), and the numeric fields, plus
optional roles (which numeric field is the year, the rating, the popularity; which categorical
field names the item's series and which numeric field its position in it; which categorical
fields hold weaker evidence for another; which values of a field say who the item is for).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, field_validator, model_validator

from recpilot.errors import IngestError

_LIST_SPLIT = re.compile(r"\s*[|;]\s*")


class RankingWeights(BaseModel):
    """How the ranking tool weighs what it knows, per catalog: domains differ (ReDial's human
    recommenders name the few films everyone has seen far more than readers of the demo's books
    share a few titles). The defaults suit the demo catalog; the movies catalog declares its own."""

    model_config = {"extra": "forbid"}

    query: float = Field(0.40, ge=0, le=5, description="closeness to what the user described")
    prefs: float = Field(0.25, ge=0, le=5, description="the user's soft likes and dislikes")
    anchors: float = Field(0.20, ge=0, le=5, description="closeness to items the user named or liked")
    popularity: float = Field(0.10, ge=0, le=5, description="the catalog's popularity field (log-scaled)")
    rating: float = Field(0.05, ge=0, le=5, description="the catalog's rating field")
    ranker: float = Field(0.5, ge=0, le=1, description="share of a trained ranker's score in the blend")
    conversations: float = Field(0.2, ge=0, le=1, description="share of the conversations model's score "
                                 "(items named together in dialogues) in the blend, when there is one")


class CatalogSchema(BaseModel):
    """Field mapping for one catalog (a ``schema.yaml`` or inferred from the file)."""

    model_config = {"extra": "forbid"}

    id: str = "id"
    title: str = "title"
    text: list[str] = Field(default_factory=list, description="fields whose text is embedded")
    categorical: list[str] = Field(default_factory=list, description="list-valued fields")
    people: list[str] = Field(default_factory=list, description="categorical fields naming people")
    numeric: list[str] = Field(default_factory=list)
    year: str | None = Field(None, description="numeric field holding a year")
    rating: str | None = Field(None, description="numeric field holding an average rating")
    popularity: str | None = Field(None, description="numeric field holding a popularity count")
    keep: list[str] = Field(default_factory=list, description="other fields kept for display")
    title_aliases: list[str] = Field(
        default_factory=list, description="kept fields holding other titles of an item (an original title), "
        "linked like the title when a user names it")
    synonyms: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="field -> {alias: canonical value} for the parser"
    )
    topics: dict[str, list[str]] = Field(
        default_factory=dict, description="field -> aliases that name a subject, not a kind ('dragons', 'space'): "
        "read as a soft wish for their value, never a hard filter")
    series: str | None = Field(None, description="categorical field holding the item's series name (one value)")
    series_position: str | None = Field(None, description="numeric field holding the position in the series")
    evidence: dict[str, str] = Field(
        default_factory=dict,
        description="categorical field -> categorical field of weaker labels for the same values: a value "
        "found only there never satisfies a hard constraint, it counts as soft evidence",
    )
    audience_field: str | None = Field(None, description="categorical field whose values say who an item is for")
    audience: dict[str, list[float]] = Field(
        default_factory=dict, description="value of audience_field -> [min_age, max_age] of its readers"
    )
    ranking: RankingWeights = Field(default_factory=RankingWeights)
    noun: str | None = Field(None, max_length=40, description="what one item is called ('book', 'movie'); "
                             "default: guessed from the field names")

    @model_validator(mode="after")
    def _roles_are_fields(self) -> CatalogSchema:
        for role in ("year", "rating", "popularity", "series_position"):
            name = getattr(self, role)
            if name is not None and name not in self.numeric:
                raise ValueError(f"{role} field {name!r} must be listed under numeric")
        for name in self.people:
            if name not in self.categorical:
                raise ValueError(f"people field {name!r} must be listed under categorical")
        for name in self.title_aliases:
            if name not in self.keep:
                raise ValueError(f"title alias field {name!r} must be listed under keep")
        self._check_series()
        self._check_evidence()
        self._check_audience()
        return self

    def _check_series(self) -> None:
        if self.series is not None:
            if self.series not in self.categorical:
                raise ValueError(f"series field {self.series!r} must be listed under categorical")
            if self.series in self.people:
                raise ValueError(f"series field {self.series!r} cannot also be a people field")
        if self.series_position is not None and self.series is None:
            raise ValueError(f"series_position field {self.series_position!r} needs a series field")

    def _check_evidence(self) -> None:
        for main, weaker in self.evidence.items():
            for name in (main, weaker):
                if name not in self.categorical:
                    raise ValueError(f"evidence field {name!r} must be listed under categorical")
            if main == weaker:
                raise ValueError(f"evidence field {main!r} cannot be its own weaker evidence")
            if weaker in self.evidence:
                raise ValueError(f"evidence field {weaker!r} holds weaker labels, it cannot have its own")
        weaker_fields = list(self.evidence.values())
        shared = {name for name in weaker_fields if weaker_fields.count(name) > 1}
        if shared:
            raise ValueError(f"evidence field {sorted(shared)[0]!r} is named for two fields")
        if set(weaker_fields) & {self.series, *self.people}:
            raise ValueError("an evidence field cannot also be the series or a people field")

    def _check_audience(self) -> None:
        if self.audience and self.audience_field is None:
            raise ValueError("audience ranges need an audience_field")
        if self.audience_field is not None and self.audience_field not in self.categorical:
            raise ValueError(f"audience_field {self.audience_field!r} must be listed under categorical")
        for value, ages in self.audience.items():
            if len(ages) != 2 or not 0 <= ages[0] <= ages[1]:
                raise ValueError(f"audience {value!r} must be [min_age, max_age] with 0 <= min_age <= max_age")

    @property
    def evidence_fields(self) -> set[str]:
        """Fields that only hold weaker labels for another field."""
        return set(self.evidence.values())

    @property
    def attribute_fields(self) -> list[str]:
        """Categorical fields a user picks values of to say what they want (genres, language): not
        people, not weaker evidence, and not the series (a series is named, like a title)."""
        skip = {*self.people, *self.evidence_fields, self.series}
        return [name for name in self.categorical if name not in skip]

    @classmethod
    def from_yaml(cls, path: Path) -> CatalogSchema:
        try:
            data = yaml.safe_load(path.read_text()) or {}
            synonyms_file = data.pop("synonyms_file", None)
            schema = cls(**data)
        except Exception as exc:  # yaml or validation: one clear message
            raise IngestError(f"invalid schema file {path}: {exc}") from exc
        for field, name in (synonyms_file or {}).items():
            schema.synonyms[field] = load_synonyms(path.parent / name)
            schema.topics[field] = load_topics(path.parent / name)
        return schema

    @property
    def fields(self) -> set[str]:
        return {self.id, self.title, *self.text, *self.categorical, *self.numeric, *self.keep}


def load_synonyms(path: Path) -> dict[str, str]:
    """Reads ``{canonical: [aliases...]}`` (a ``drop:`` list is ignored) into ``{alias: canonical}``.

    An alias listed under several canonical values is ambiguous and skipped; hyphenated
    aliases also count with spaces ("sci-fi" -> "sci fi").
    """
    raw = yaml.safe_load(path.read_text()) or {}
    seen: dict[str, set[str]] = {}
    for canonical, aliases in raw.items():
        if canonical in ("drop", "topics") or not isinstance(aliases, list):
            continue
        for alias in aliases:
            alias = str(alias).lower().strip()
            for variant in {alias, alias.replace("-", " "), alias.replace("-", "")}:
                seen.setdefault(variant, set()).add(str(canonical))
    return {alias: next(iter(c)) for alias, c in seen.items() if len(c) == 1}


def load_topics(path: Path) -> list[str]:
    """The ``topics:`` list of a synonyms file: aliases that name a subject ("dragons", "space")."""
    raw = yaml.safe_load(path.read_text()) or {}
    topics = raw.get("topics") or []
    out = []
    for alias in topics if isinstance(topics, list) else []:
        alias = str(alias).lower().strip()
        out += list(dict.fromkeys([alias, alias.replace("-", " "), alias.replace("-", "")]))
    return out


class Item(BaseModel):
    """One catalog item, validated. ``public()`` gives the fields under their catalog names."""

    id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=1000)
    text: str = ""
    categorical: dict[str, list[str]] = Field(default_factory=dict)
    numeric: dict[str, float] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id", "title")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        return value

    def public(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "title": self.title}
        for name, value in self.numeric.items():
            out[name] = int(value) if float(value).is_integer() else value
        out.update(self.categorical)
        out.update(self.extra)
        if self.text:
            out.setdefault("text", self.text)
        return out


def item_from_row(row: dict[str, Any], schema: CatalogSchema) -> Item:
    """Builds an ``Item`` from one raw row; raises ``ValueError`` with the reason if malformed."""
    item_id = row.get(schema.id)
    if item_id is None or str(item_id).strip() == "":
        raise ValueError(f"missing id field {schema.id!r}")
    if isinstance(item_id, float) and item_id.is_integer():
        item_id = int(item_id)
    title = row.get(schema.title)
    if title is None or str(title).strip() == "":
        raise ValueError(f"missing title field {schema.title!r}")
    numeric: dict[str, float] = {}
    for name in schema.numeric:
        value = row.get(name)
        if _is_missing(value):
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"field {name!r} is not a number: {str(value)[:40]!r}") from None
        if math.isnan(number) or math.isinf(number):
            continue
        numeric[name] = number
    categorical: dict[str, list[str]] = {}
    for name in schema.categorical:
        values = _one_value(row.get(name)) if name == schema.series else _as_list(row.get(name))
        if values:
            categorical[name] = values
    text = " ".join(str(row[name]).strip() for name in schema.text if row.get(name) not in (None, ""))
    extra = {name: row[name] for name in schema.keep if row.get(name) not in (None, "")}
    return Item(
        id=str(item_id), title=str(title), text=text, categorical=categorical, numeric=numeric, extra=extra
    )


def _one_value(value: Any) -> list[str]:
    """A field holding one name per item (the series): never split, "Love, Rosie" is one series."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if _is_missing(value):
        return []
    text = str(value).strip()
    return [text] if len(text) <= 200 else []


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        parts = [str(v) for v in value]
    else:
        text = str(value).strip()
        if not text:
            return []
        # CSV cells hold lists as "a|b" or "a; b"; a comma list is split only when no other
        # separator is present, because names like "Doe, John" would break otherwise.
        parts = _LIST_SPLIT.split(text) if _LIST_SPLIT.search(text) else text.split(",")
    seen: dict[str, None] = {}
    for part in parts:
        part = part.strip()
        if part and len(part) <= 200:
            seen.setdefault(part, None)
    return list(seen)


_YEAR_NAMES = ("year", "release_year", "publication_year", "original_publication_year", "pub_year")
_RATING_NAMES = ("rating", "average_rating", "avg_rating", "stars", "score", "vote_average")
_POPULARITY_NAMES = ("ratings_count", "popularity", "num_ratings", "votes", "vote_count", "mentions", "nbmentions", "count", "sales")
_PEOPLE_HINTS = ("author", "director", "actor", "cast", "artist", "writer", "creator", "people", "brand")
_SERIES_NAMES = ("series", "series_name", "franchise", "saga")
_SERIES_POSITION_NAMES = ("series_position", "series_number", "series_index", "series_order", "position_in_series")
_ID_NAMES = ("id", "item_id", "movie_id", "book_id", "product_id", "track_id", "asin", "sku")
_TITLE_NAMES = ("title", "name", "movie_name", "product_name", "item_name", "track_name")


def _squash(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.lower())


def infer_schema(rows: list[dict[str, Any]], overrides: dict[str, Any] | None = None) -> CatalogSchema:
    """Guesses a schema from a sample of rows; ``overrides`` (CLI flags) win."""
    if not rows:
        raise IngestError("the catalog file has no rows")
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    lower = {c.lower(): c for c in columns}
    squashed = {_squash(c): c for c in reversed(columns)}  # "movie_id", "Movie ID" -> "movieid"
    overrides = {k: v for k, v in (overrides or {}).items() if v not in (None, [], "")}

    def pick(names: tuple[str, ...]) -> str | None:
        return next((lower[n] for n in names if n in lower), None) or next(
            (squashed[_squash(n)] for n in names if _squash(n) in squashed), None
        )

    id_field = overrides.get("id") or pick(_ID_NAMES)
    title_field = overrides.get("title") or pick(_TITLE_NAMES)
    if not id_field or not title_field:
        raise IngestError(
            f"cannot tell which columns are the id and the title among {columns}; "
            "pass --id-field/--title-field or --schema"
        )
    numeric, categorical, text = [], [], []
    for col in columns:
        if col in (id_field, title_field):
            continue
        values = [r.get(col) for r in rows if not _is_missing(r.get(col))]
        if not values:
            continue
        if _numeric_column(col, values):
            numeric.append(col)
        elif any(isinstance(v, list) for v in values) or col.lower() in _SERIES_NAMES:
            # a series name is a value shared by a few items, even when most series hold one item
            categorical.append(col)
        else:
            strings = [str(v) for v in values]
            avg_len = sum(map(len, strings)) / len(strings)
            distinct = len(set(strings)) / len(strings)
            has_sep = sum(bool(_LIST_SPLIT.search(s)) for s in strings) / len(strings)
            if avg_len > 60 and has_sep < 0.5:
                text.append(col)
            elif has_sep > 0.2 or distinct < 0.5 or any(h in col.lower() for h in _PEOPLE_HINTS):
                categorical.append(col)
            else:
                text.append(col)
    data: dict[str, Any] = {
        "id": id_field,
        "title": title_field,
        "text": overrides.get("text") or text,
        "categorical": overrides.get("categorical") or categorical,
        "numeric": overrides.get("numeric") or numeric,
    }
    num_lower = {n.lower(): n for n in data["numeric"]}
    data["year"] = overrides.get("year") or next((num_lower[n] for n in _YEAR_NAMES if n in num_lower), None)
    data["rating"] = overrides.get("rating") or next((num_lower[n] for n in _RATING_NAMES if n in num_lower), None)
    data["popularity"] = overrides.get("popularity") or next(
        (num_lower[n] for n in _POPULARITY_NAMES if n in num_lower), None
    )
    cat_lower = {n.lower(): n for n in data["categorical"]}
    data["series"] = overrides.get("series") or next((cat_lower[n] for n in _SERIES_NAMES if n in cat_lower), None)
    if data["series"]:
        data["series_position"] = overrides.get("series_position") or next(
            (num_lower[n] for n in _SERIES_POSITION_NAMES if n in num_lower), None
        )
    data["people"] = overrides.get("people") or [
        c for c in data["categorical"] if any(h in c.lower() for h in _PEOPLE_HINTS)
    ]
    try:
        return CatalogSchema(**data)
    except ValueError as exc:
        raise IngestError(f"inconsistent field mapping: {exc}") from exc


_NULLS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "?"})
_NUMERIC_HINTS = (
    *_YEAR_NAMES, *_RATING_NAMES, *_POPULARITY_NAMES, "price", "runtime", "duration", "minutes", "pages",
    "num_pages", "length",
)


def _is_missing(value: Any) -> bool:
    """None, an empty cell, or a cell that spells out "no value" (NA, null, -)."""
    return value is None or (isinstance(value, str) and value.strip().lower() in _NULLS)


def _numeric_column(col: str, values: list[Any]) -> bool:
    """Numeric when (nearly) every value is a number. A few stray values in a column named like
    a number (year, price) do not make it text: those rows are rejected as malformed instead."""
    share = sum(_is_number(v) for v in values) / len(values)
    if share == 1.0:
        return True
    if col.lower() in _NUMERIC_HINTS:
        return share >= 0.8
    return share >= 0.98 and len(values) >= 50


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        float(str(value))
        return True
    except ValueError:
        return False
