"""Hidden targets: drawn from the catalog (seeded), and what a user may know about them.

``sample_target`` picks the item (uniformly, by popularity, or held out of one user's
interaction history); ``build_profile`` turns it into a ``TargetProfile`` of attributes only:
the simulator receives the profile, never the item, its title or its id.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

import numpy as np

from recpilot.catalog import Catalog
from recpilot.schema import Item
from recpilot.simulator.leak import LeakDetector
from recpilot.simulator.models import ItemView, TargetProfile

TARGET_MODES = ("catalog", "popular", "history")
_DISTINCTIVE = 0.5  # a value of another field is worth saying when fewer than half the items have it


@dataclass
class Target:
    row: int
    item: Item
    liked_rows: list[int] = field(default_factory=list)


def kind_field(catalog: Catalog) -> str | None:
    """The field a user names first ('a mystery'): the planner's clarifying field."""
    schema = catalog.schema
    for name in schema.categorical:
        if name not in schema.people and len(catalog.categorical.get(name, {})) >= 3:
            return name
    return None


def eligible_rows(catalog: Catalog) -> np.ndarray:
    """Items a user could describe: a kind, a person and (when the catalog has one) a year."""
    schema = catalog.schema
    kf = kind_field(catalog)
    people = schema.people[0] if schema.people else None
    keep = np.ones(len(catalog), dtype=bool)
    for row, item in enumerate(catalog.items):
        if kf and not item.categorical.get(kf):
            keep[row] = False
        elif people and not item.categorical.get(people):
            keep[row] = False
        elif schema.year and schema.year not in item.numeric:
            keep[row] = False
    return np.flatnonzero(keep)


def sample_target(catalog: Catalog, rng: random.Random, mode: str = "catalog") -> Target:
    rows = eligible_rows(catalog)
    if len(rows) == 0:
        raise ValueError("no catalog item has the attributes a simulated user needs")
    if mode == "catalog":
        return _target(catalog, int(rows[rng.randrange(len(rows))]))
    if mode == "popular":
        weights = catalog.popularity[rows] + 1e-6
        return _target(catalog, int(rng.choices(rows.tolist(), weights=weights.tolist(), k=1)[0]))
    if mode == "history":
        return _from_history(catalog, rng, set(rows.tolist()))
    raise ValueError(f"unknown target mode {mode!r}; use one of {', '.join(TARGET_MODES)}")


def _target(catalog: Catalog, row: int, liked: list[int] | None = None) -> Target:
    return Target(row, catalog.items[row], liked or [])


def _from_history(catalog: Catalog, rng: random.Random, eligible: set[int]) -> Target:
    """A held-out item one user rated highly; up to three of their other favourites are 'liked'."""
    inter = catalog.interactions
    if inter is None or inter.count == 0:
        raise ValueError("the catalog has no interactions; use --targets catalog")
    order = np.argsort(inter.users, kind="stable")
    users, items, ratings = inter.users[order], inter.items[order], inter.ratings[order]
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    ends = np.r_[starts[1:], len(users)]
    for _ in range(200):
        u = rng.randrange(len(starts))
        rows, scores = items[starts[u]:ends[u]], ratings[starts[u]:ends[u]]
        if len(rows) < 5:
            continue
        top = float(np.nanmax(scores)) if np.isfinite(scores).any() else np.nan
        favourite = [int(r) for r, s in zip(rows.tolist(), scores.tolist(), strict=True)
                     if np.isnan(top) or s >= top - 0.5]
        held = sorted(r for r in favourite if r in eligible)
        if not held:
            continue
        row = held[rng.randrange(len(held))]
        detector = LeakDetector(catalog.items[row].title, catalog.items[row].id)
        liked = [r for r in sorted(set(favourite) - {row}) if not detector.check(catalog.items[r].title)]
        rng.shuffle(liked)
        return _target(catalog, row, liked[:3])
    raise ValueError("no user in the interactions has a usable held-out item")


def build_profile(catalog: Catalog, item: Item) -> TargetProfile:
    schema = catalog.schema
    kf = kind_field(catalog)
    kinds = item.categorical.get(kf, []) if kf else []
    text = item.text.lower()
    mentioned = sorted((text.find(v.lower()), v) for v in kinds if _mentions(text, v))
    salient = [v for _, v in mentioned] or sorted(kinds, key=lambda v: len(catalog.categorical[kf].get(v.lower(), ())))
    pf = schema.people[0] if schema.people else None
    other: dict[str, list[str]] = {}
    for name in schema.categorical:
        if name in (kf, pf):
            continue
        for value in item.categorical.get(name, []):
            share = len(catalog.categorical[name].get(value.lower(), ())) / max(1, len(catalog))
            if share < _DISTINCTIVE:
                other.setdefault(name, []).append(value)
    row = catalog.index[item.id]
    profile = TargetProfile(
        noun=domain_noun(catalog), kind_field=kf, kinds=salient, all_kinds=list(kinds), people_field=pf,
        people=item.categorical.get(pf, [])[:1] if pf else [],
        year_field=schema.year, year=item.numeric.get(schema.year) if schema.year else None,
        rating_field=schema.rating, rating=item.numeric.get(schema.rating) if schema.rating else None,
        popularity=float(catalog.popularity[row]), other=other,
    )
    profile.summary = paraphrase(item, profile)
    return profile


def domain_noun(catalog: Catalog) -> str:
    names = " ".join(catalog.schema.people + catalog.schema.numeric).lower()
    if "author" in names or "page" in names:
        return "book"
    if "director" in names or "runtime" in names:
        return "movie"
    return "item"


def paraphrase(item: Item, profile: TargetProfile) -> str:
    """The item described without its title: its attributes, plus the sentences of its text
    that do not name it (or its series)."""
    parts = []
    if profile.kinds:
        parts.append(f"a {', '.join(profile.kinds[:3])} {profile.noun}")
    if profile.people:
        parts.append(f"by {profile.people[0]}")
    if profile.year is not None:
        parts.append(f"from {int(profile.year)}")
    if profile.rating is not None:
        parts.append(f"rated {profile.rating:g}")
    detector = LeakDetector(item.title, item.id, allowed=profile.values())
    series = re.findall(r"\(([^)#,]+)", item.title)
    safe = [s.strip() for s in re.split(r"(?<=[.!?])\s+", item.text)
            if s.strip() and not detector.check(s) and "title" not in s.lower()
            and not any(x.strip().lower() in s.lower() for x in series)]
    head = ", ".join(parts) + "."
    text = " ".join([head] + safe[:3]).strip()
    return head if detector.check(text) else text  # sentence splitting can cut a title in two


def item_view(catalog: Catalog, item_id: str) -> ItemView:
    """The card a user sees for a recommended id; an id outside the catalog is 'unknown'."""
    if not catalog.has(item_id):
        return ItemView(id=item_id, title=item_id, known=False)
    row = catalog.index[item_id]
    item = catalog.items[row]
    return ItemView(id=item.id, title=item.title, categorical=item.categorical, numeric=item.numeric,
                    popularity=float(catalog.popularity[row]))


def _mentions(text: str, value: str) -> bool:
    return re.search(rf"(?<![a-z]){re.escape(value.lower())}(?![a-z])", text) is not None
