"""Hidden targets: drawn from the catalog (seeded), and what a user may know about them.

``sample_target`` picks the item (uniformly, by popularity, held out of one user's
interaction history, or from the test split the trained ranker never saw); ``build_profile``
turns it into a ``TargetProfile`` of attributes only: the simulator receives the profile,
never the item, its title or its id.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field

import numpy as np

from recpilot.catalog import Catalog, item_noun, kind_field
from recpilot.schema import Item
from recpilot.simulator.leak import LeakDetector
from recpilot.simulator.models import ItemView, TargetProfile
from recpilot.tools.rankers.data import UserItems

TARGET_MODES = ("catalog", "popular", "history", "heldout")
HELDOUT_MIN_HISTORY = 5  # a reader the ranker can say something about
HELDOUT_MAX_HISTORY = 50  # what a product would plausibly know of one reader
_DISTINCTIVE = 0.5  # a value of another field is worth saying when fewer than half the items have it


@dataclass
class Target:
    row: int
    item: Item
    liked_rows: list[int] = field(default_factory=list)
    history_rows: list[int] = field(default_factory=list)  # what the agent is told the user liked before


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


def sample_target(catalog: Catalog, rng: random.Random, mode: str = "catalog", split_seed: int = 0) -> Target:
    """One target by ``mode`` (``TARGET_MODES``); ``split_seed``: the ratings split of ``heldout``."""
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
    if mode == "heldout":
        return _heldout(catalog, rng, rows, split_seed)
    raise ValueError(f"unknown target mode {mode!r}; use one of {', '.join(TARGET_MODES)}")


def _target(catalog: Catalog, row: int, liked: list[int] | None = None,
            history: list[int] | None = None) -> Target:
    return Target(row, catalog.items[row], liked or [], history or [])


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
        return _target(catalog, row, _liked(catalog, rng, row, sorted(set(favourite) - {row})))
    raise ValueError("no user in the interactions has a usable held-out item")


def _liked(catalog: Catalog, rng: random.Random, row: int, rows: list[int]) -> list[int]:
    """Up to three of ``rows`` the user may name ("I loved X"): none whose title leaks the target's."""
    detector = LeakDetector(catalog.items[row].title, catalog.items[row].id)
    liked = [r for r in rows if not detector.check(catalog.items[r].title)]
    rng.shuffle(liked)
    return liked[:3]


@dataclass(frozen=True)
class HeldoutSplit:
    """Per reader of the ratings: what a ranker trained on this split may know (train + valid
    positives) and what it never saw (test), with the readers a heldout target can come from."""

    known: UserItems
    test: UserItems
    users: np.ndarray  # readers with an eligible test positive and HELDOUT_MIN_HISTORY known ones


_splits: dict[tuple[str, str, int], HeldoutSplit] = {}
_splits_lock = threading.Lock()


def heldout_split(catalog: Catalog, seed: int = 0) -> HeldoutSplit:
    """``catalog_split(catalog, seed)`` (the trained ranker's split), cached per catalog version
    and seed: every dialogue of a run draws from it and the demo has ~300k ratings."""
    from recpilot.training.rankers import catalog_split  # imports torch: only for this mode

    key = (catalog.name, catalog.version, seed)
    with _splits_lock:
        if key not in _splits:
            split = catalog_split(catalog, seed)
            known = split.train.union(split.valid)
            eligible = np.zeros(len(catalog), dtype=bool)
            eligible[eligible_rows(catalog)] = True
            hits = np.bincount(split.test.user_of_each()[eligible[split.test.indices]], minlength=known.n_users)
            users = np.flatnonzero((hits > 0) & (known.lengths() >= HELDOUT_MIN_HISTORY))
            _splits.clear()  # one catalog version at a time is all a run needs
            _splits[key] = HeldoutSplit(known, split.test, users)
        return _splits[key]


def _heldout(catalog: Catalog, rng: random.Random, eligible: np.ndarray, seed: int) -> Target:
    """A positive of one real reader from the *test* part of the split the trained ranker was
    fitted on (``seed``: the active checkpoint's), with that reader's train + valid positives
    as the history the agent is given. The ranker was fitted on train (early-stopped on valid)
    and never saw a test item, so it cannot have memorised the target: success measures what
    a product knowing the reader's other ratings would do, and runs with and without the
    ranker face the same targets. Up to three history items the user may name ("I loved X")."""
    split = heldout_split(catalog, seed)
    if len(split.users) == 0:
        raise ValueError(f"no reader has an eligible test item and {HELDOUT_MIN_HISTORY} other positives")
    user = int(split.users[rng.randrange(len(split.users))])
    held = [int(r) for r in np.intersect1d(split.test.row(user), eligible)]
    row = held[rng.randrange(len(held))]
    history = [int(r) for r in split.known.row(user)]
    if len(history) > HELDOUT_MAX_HISTORY:
        history = sorted(rng.sample(history, HELDOUT_MAX_HISTORY))
    return _target(catalog, row, _liked(catalog, rng, row, history), history)


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
        # a weaker genre is no fact a reader would state, and a series name gives the title away
        if name in (kf, pf, schema.series) or name in schema.evidence_fields:
            continue
        for value in item.categorical.get(name, []):
            share = len(catalog.categorical[name].get(value.lower(), ())) / max(1, len(catalog))
            if share < _DISTINCTIVE:
                other.setdefault(name, []).append(value)
    row = catalog.index[item.id]
    profile = TargetProfile(
        noun=item_noun(catalog), kind_field=kf, kinds=salient, all_kinds=list(kinds), people_field=pf,
        people=item.categorical.get(pf, [])[:1] if pf else [],
        year_field=schema.year, year=item.numeric.get(schema.year) if schema.year else None,
        rating_field=schema.rating, rating=item.numeric.get(schema.rating) if schema.rating else None,
        popularity=float(catalog.popularity[row]), other=other,
    )
    profile.summary = paraphrase(item, profile)
    return profile


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
