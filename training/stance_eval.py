"""Scoring stance readings the way ReDial's parser score counts, and choosing thresholds.

Two levels:

* example: each reading against its movie's label (per class precision/recall/F1);
* dialogue: a movie's readings in one dialogue are aggregated into one prediction and
  counted by ``redial_metrics.score_preferences`` (liked and disliked only; macro-F1 is the
  mean of their F1s). Mention linking is taken as perfect here: every example is read at its
  true movie. A labelled movie without any reading is missed.

Aggregation policies: ``last`` (the latest reading wins, as a cumulative state would keep
it), ``any_disliked`` (one disliked reading is enough), ``mean`` (mean probabilities, then the
thresholds).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np

from recpilot.agent.stance import CLASSES, Decision, decide
from recpilot.scores import class_prf
from recpilot.simulator.redial_metrics import ParserCounts, score_preferences
from recpilot.training.stance_data import DialogueGold, StanceExample

POLICIES = ("last", "any_disliked", "mean")
NEVER = 1.01  # a neutral threshold no probability reaches
_GRID = np.round(np.arange(0.05, 0.96, 0.01), 2)


def group_folds(examples: Sequence[StanceExample], k: int, seed: int = 0) -> list[int]:
    """A fold per example such that a group (dialogue) is never split. Groups are dealt, the
    ones with most disliked examples first, to the fold with fewest disliked then fewest
    examples so far: each fold gets its share of the rare class."""
    sizes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in examples:
        sizes[e.group][0] += e.label == "disliked"
        sizes[e.group][1] += 1
    groups = sorted(sizes)
    random.Random(f"stance-folds:{seed}").shuffle(groups)
    groups.sort(key=lambda g: -sizes[g][0])  # stable: shuffled order within equal counts
    load = [[0, 0] for _ in range(k)]
    fold_of = {}
    for g in groups:
        f = min(range(k), key=lambda i: (load[i][0] if sizes[g][0] else 0, load[i][1], i))
        fold_of[g] = f
        load[f][0] += sizes[g][0]
        load[f][1] += sizes[g][1]
    return [fold_of[e.group] for e in examples]


class Readings:
    """Which examples are readings of the same (dialogue, movie), and which of them is last."""

    def __init__(self, examples: Sequence[StanceExample]):
        ids: dict[tuple[str, str], int] = {}
        self.key_of = np.asarray([ids.setdefault((e.group, e.item), len(ids)) for e in examples], np.int64)
        self.keys = list(ids)
        last: dict[int, int] = {}
        for row, (key, e) in enumerate(zip(self.key_of, examples, strict=True)):
            if key not in last or e.turn >= examples[last[key]].turn:
                last[int(key)] = row
        self.last = np.asarray([last[k] for k in range(len(self.keys))], np.int64)
        self.count = np.bincount(self.key_of, minlength=len(self.keys))


def aggregate(readings: Readings, labels: Sequence[str], probs: np.ndarray | None, policy: str,
              decision: Decision | None = None) -> dict[tuple[str, str], str]:
    """(dialogue, movie) -> one label from its readings (``probs`` and ``decision``: for ``mean``)."""
    codes = np.asarray([CLASSES.index(label) for label in labels], np.int64)
    if policy == "last":
        out = codes[readings.last]
    elif policy == "any_disliked":
        seen = np.zeros((len(readings.keys), len(CLASSES)), bool)
        seen[readings.key_of, codes] = True
        out = np.where(seen[:, 1], 1, np.where(seen[:, 0], 0, 2))
    elif policy == "mean":
        if probs is None or decision is None:
            raise ValueError("the mean policy needs probabilities and a decision")
        sums = np.zeros((len(readings.keys), len(CLASSES)))
        np.add.at(sums, readings.key_of, probs)
        out = np.asarray([CLASSES.index(c) for c in decide(sums / readings.count[:, None], decision)])
    else:
        raise ValueError(f"unknown policy {policy!r}; use one of {POLICIES}")
    return {key: CLASSES[int(c)] for key, c in zip(readings.keys, out, strict=True)}


def dialogue_scores(gold: Sequence[DialogueGold], predicted: dict[tuple[str, str], str],
                    unread: str | None = None) -> dict:
    """ReDial's parser score of ``predicted``; ``unread`` ("liked"): the label of a labelled
    movie that has no reading (None: no prediction, a miss)."""
    by_dialogue: dict[str, dict[str, str]] = defaultdict(dict)
    for (g, item), label in predicted.items():
        by_dialogue[g][item] = label
    counts = ParserCounts()
    for d in gold:
        said = dict(by_dialogue.get(d.id, {}))
        if unread:
            said.update({item: unread for item in d.labels if item not in said})
        liked = {i for i, label in said.items() if label == "liked"}
        disliked = {i for i, label in said.items() if label == "disliked"}
        counts.add(score_preferences(d.labels, set(d.mentioned), liked, disliked))
    return counts.scores()


def example_scores(gold: Sequence[str], pred: Sequence[str]) -> dict:
    """Per class P/R/F1 of readings; ``macro_f1`` over liked and disliked (as ReDial's score),
    ``macro_f1_3`` over all three classes."""
    out: dict = {}
    for cls in CLASSES:
        out[cls] = class_prf(gold, pred, cls).model_dump()
    out["macro_f1"] = round((out["liked"]["f1"] + out["disliked"]["f1"]) / 2, 4)
    out["macro_f1_3"] = round(sum(out[c]["f1"] for c in CLASSES) / 3, 4)
    out["examples"] = len(gold)
    return out


def tune(examples: Sequence[StanceExample], probs: np.ndarray, gold: Sequence[DialogueGold]) -> dict[str, Decision]:
    """Thresholds chosen on out-of-fold ``probs``: per policy, the P(disliked) threshold with
    the best dialogue-level macro-F1 (never neutral: ReDial counts only liked and disliked);
    ``product``: the ``last`` threshold plus the P(neutral) threshold with the best
    example-level three-class macro-F1."""
    out: dict[str, Decision] = {}
    readings = Readings(examples)
    for policy in POLICIES:
        def score(t: float, policy: str = policy) -> float:
            d = Decision(disliked=t, neutral=NEVER)
            pred = aggregate(readings, decide(probs, d), probs, policy, d)
            return dialogue_scores(gold, pred)["macro_f1"]

        out[f"redial_{policy}"] = Decision(disliked=_best(score), neutral=NEVER)
    t_d = out["redial_last"].disliked
    truth = [e.label for e in examples]
    t_n = _best(lambda t: example_scores(truth, decide(probs, Decision(disliked=t_d, neutral=t)))["macro_f1_3"])
    out["product"] = Decision(disliked=t_d, neutral=t_n)
    return out


def _best(score: Callable[[float], float]) -> float:
    """The grid value with the best score; among near-ties (within 0.002), the median one,
    which is less a product of chance than the single best."""
    values = [score(float(t)) for t in _GRID]
    top = max(values)
    near = [float(t) for t, v in zip(_GRID, values, strict=True) if v >= top - 0.002]
    return near[len(near) // 2]
