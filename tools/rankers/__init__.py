"""Rankers learned from ratings: one small interface (``base.Ranker``), a popularity and an
item-kNN baseline, BPR matrix factorisation and a sparse linear item-item model (SLIM) in
torch, their metrics, and the ``TrainedScorer`` that plugs a trained one into the ranking tool.

Nothing is imported here: ``scorer.load_scorer`` must stay cheap (no torch) when no model
applies (none trained in HOME, none shipped for the catalog's content: ``checkpoint``).
Import from the modules: ``factory.make_ranker``, ``scorer.load_scorer``.
"""
