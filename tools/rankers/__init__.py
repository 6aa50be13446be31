"""Rankers learned from ratings: one small interface (``base.Ranker``), a popularity and an
item-kNN baseline, BPR matrix factorisation and a sparse linear item-item model (SLIM), their
metrics, and the ``TrainedScorer`` that plugs a trained one into the ranking tool.

Scoring is numpy; the two learned models train in torch, in ``recpilot.training`` (which
their ``_fit`` imports), so using a model never imports torch. Nothing is imported here.
Import from the modules: ``factory.make_ranker``, ``scorer.load_scorer``.
"""
