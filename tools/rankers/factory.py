"""The thin factory: a ranker by name, with its options."""

from __future__ import annotations

from typing import Any

from recpilot.errors import UserError
from recpilot.tools.rankers.base import Ranker, registered
from recpilot.tools.rankers.bpr import BPRRanker
from recpilot.tools.rankers.itemknn import ItemKNNRanker
from recpilot.tools.rankers.mf import MFRanker
from recpilot.tools.rankers.popularity import PopularityRanker
from recpilot.tools.rankers.slim import SlimRanker

#: every ranker, the trained ones first
RANKERS: dict[str, type[Ranker]] = {
    cls.name: cls for cls in (SlimRanker, MFRanker, BPRRanker, ItemKNNRanker, PopularityRanker)
}
TRAINED = ("slim", "mf", "bpr")
BASELINES = ("popularity", "itemknn")


def make_ranker(name: str, **options: Any) -> Ranker:
    """A new, unfitted ranker; unknown names and bad options are a ``UserError``."""
    cls = RANKERS.get(name) or registered().get(name)
    if cls is None:
        raise UserError(f"unknown ranker {name!r}; choose one of {', '.join(RANKERS)}")
    try:
        return cls(**options)
    except ValueError as exc:  # pydantic's ValidationError
        raise UserError(f"bad options for the {name} ranker: {exc}") from exc
