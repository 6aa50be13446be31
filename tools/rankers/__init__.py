"""Rankers learned from ratings: one small interface (``base.Ranker``), a popularity and an
item-kNN baseline, BPR matrix factorisation and Mult-VAE in torch, their metrics, and the
``TrainedScorer`` that plugs the trained one into the ranking tool."""

from recpilot.tools.rankers.base import FitReport, Ranker, TrainProgress
from recpilot.tools.rankers.data import UserItems, positives, split_positives
from recpilot.tools.rankers.factory import RANKERS, make_ranker

__all__ = ["FitReport", "Ranker", "TrainProgress", "UserItems", "positives", "split_positives", "RANKERS",
           "make_ranker"]
