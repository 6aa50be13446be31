"""Training the stance reader (``recpilot train stance`` minus the terminal).

1. Examples: ReDial seekers' messages (``stance_data``) plus a capped, down-weighted share
   of the simulator's book sentences.
2. Features once for all examples (``agent.stance.featurize``: one embedding batch).
3. Dialogue-grouped k-fold cross-validation, nested: in each outer fold the thresholds are
   chosen on out-of-fold readings of the training dialogues only (inner k-1 folds), the model
   is fitted on all training dialogues, and the held-out dialogues are read once. These
   held-out readings are the figures that count; book examples are never test examples.
4. The shipped model: thresholds from k-fold readings of every dialogue, weights fitted on
   all of them; saved atomically (``StanceModel.save``).

The model is a multinomial logistic regression fitted in numpy by full-batch Adam on the
class- and sample-weighted cross-entropy with an L2 penalty; it is convex, so the fixed
number of steps only needs to be enough (the loss is flat well before).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from recpilot.agent.stance import (
    CLASSES,
    FeatureSet,
    Featurizer,
    StanceMeta,
    StanceModel,
    decide,
)
from recpilot.errors import UserError
from recpilot.training.stance_baselines import BASELINES
from recpilot.training.stance_data import (
    DialogueGold,
    StanceExample,
    book_examples,
    digest,
    prototypes,
    redial_examples,
)
from recpilot.training.stance_eval import (
    POLICIES,
    Readings,
    aggregate,
    dialogue_scores,
    example_scores,
    group_folds,
    tune,
)

Phase = Callable[[str], None]


class StanceParams(BaseModel):
    """Training choices (fixed before the cross-validated figures are read)."""

    model_config = ConfigDict(extra="forbid")
    l2: float = Field(100.0, gt=0, description="L2 penalty on the weights, per example")
    class_power: float = Field(1.0, ge=0, le=1, description="class weights (n / (3 n_c)) ** power")
    iters: int = Field(400, ge=10)
    lr: float = Field(0.05, gt=0)
    book_examples: int = Field(600, ge=0, description="simulator book mentions added to training")
    book_weight: float = Field(0.5, ge=0, description="each book example's weight (a human one weighs 1)")
    feature_set: FeatureSet = Field(default_factory=FeatureSet)
    policy: Literal["last", "any_disliked", "mean"] = Field(
        "last", description="the aggregation whose threshold the `redial` rule stores")
    seed: int = 0


# --- the model -------------------------------------------------------------------------------------
def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, p: StanceParams) -> tuple[np.ndarray, ...]:
    """(weights, bias, mean, scale) of the logistic regression on ``x`` (n, d) -> ``y`` (n,)
    class indices, with sample weights ``w`` (n,)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    z = ((x - mean) / scale).astype(np.float32)
    n, d = z.shape
    k = len(CLASSES)
    counts = np.bincount(y, weights=w, minlength=k) + 1e-9
    sw = w * ((counts.sum() / (k * counts)) ** p.class_power)[y]
    sw = sw / sw.sum()
    onehot = np.eye(k)[y]
    W, b = np.zeros((d, k)), np.log(counts / counts.sum())
    state = [np.zeros_like(W), np.zeros_like(W), np.zeros_like(b), np.zeros_like(b)]
    for t in range(1, p.iters + 1):
        logits = z @ W + b
        logits -= logits.max(axis=1, keepdims=True)
        prob = np.exp(logits)
        prob /= prob.sum(axis=1, keepdims=True)
        g = (prob - onehot) * sw[:, None]
        for param, grad, (m, v) in ((W, z.T @ g + p.l2 / n * W, state[:2]), (b, g.sum(axis=0), state[2:])):
            m *= 0.9
            m += 0.1 * grad
            v *= 0.999
            v += 0.001 * grad**2
            param -= p.lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return W.astype(np.float32), b.astype(np.float32), mean.astype(np.float32), scale.astype(np.float32)


def labels_of(examples: Sequence[StanceExample]) -> np.ndarray:
    return np.asarray([CLASSES.index(e.label) for e in examples], np.int64)


def predict(x: np.ndarray, params: tuple[np.ndarray, ...]) -> np.ndarray:
    from recpilot.agent.stance import softmax

    W, b, mean, scale = params
    return softmax(((x - mean) / scale) @ W + b)


# --- cross-validation --------------------------------------------------------------------------------
class Data(BaseModel):
    """Everything one training run reads: examples, their features, the dialogues' gold."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    featurizer: Featurizer
    human: list[StanceExample]
    book: list[StanceExample]
    x_human: np.ndarray
    x_book: np.ndarray
    gold: list[DialogueGold]


def load_data(redial: Path, p: StanceParams, phase: Phase = lambda _m: None) -> Data:
    human, gold, errors = redial_examples(redial)
    if errors:
        phase(f"skipped {len(errors)} unreadable lines ({errors[0]})")
    if not any(e.label == "disliked" for e in human) or not any(e.label == "liked" for e in human):
        raise UserError(f"{redial}: the stance reader needs liked and disliked examples; found "
                        f"{sum(e.label == 'liked' for e in human)} liked, {sum(e.label == 'disliked' for e in human)} disliked")
    book = book_examples(p.book_examples, p.seed, "train", p.book_weight) if p.book_examples else []
    phase(f"{len(human):,} human examples from {len(gold)} dialogues, {len(book):,} book examples; embedding them")
    featurizer = Featurizer.build(p.feature_set, prototypes())
    x = featurizer([e.row for e in human + book])
    return Data(featurizer=featurizer, human=human, book=book, x_human=x[: len(human)], x_book=x[len(human):],
                gold=gold)


def fit_on(data: Data, rows: Sequence[int], p: StanceParams) -> tuple[np.ndarray, ...]:
    """The model fitted on human examples ``rows`` plus every book example."""
    chosen = [data.human[i] for i in rows] + data.book
    x = np.vstack([data.x_human[list(rows)], data.x_book]) if data.book else data.x_human[list(rows)]
    return fit(x, labels_of(chosen), np.asarray([e.weight for e in chosen]), p)


def out_of_fold(data: Data, rows: Sequence[int], k: int, p: StanceParams, salt: int = 0) -> np.ndarray:
    """Probabilities of human examples ``rows``, each from a model that did not see its dialogue."""
    folds = group_folds([data.human[i] for i in rows], k, p.seed + salt)
    probs = np.zeros((len(rows), len(CLASSES)), np.float32)
    for f in range(k):
        test = [j for j, fold in enumerate(folds) if fold == f]
        train = [rows[j] for j, fold in enumerate(folds) if fold != f]
        probs[test] = predict(data.x_human[[rows[j] for j in test]], fit_on(data, train, p))
    return probs


def gold_of(data: Data, rows: Sequence[int]) -> list[DialogueGold]:
    groups = {data.human[i].group for i in rows}
    return [d for d in data.gold if d.id in groups]


def cross_validate(data: Data, k: int, p: StanceParams, phase: Phase = lambda _m: None) -> dict:
    """Nested, dialogue-grouped k-fold scores of the model and of the baselines."""
    every = list(range(len(data.human)))
    folds = group_folds(data.human, k, p.seed)
    truth = [e.label for e in data.human]
    by_rule: dict[str, list[str]] = {r: [""] * len(every) for r in ("product", "redial_last")}
    by_policy: dict[str, dict] = {policy: {} for policy in POLICIES}
    chosen = []
    for f in range(k):
        train = [i for i in every if folds[i] != f]
        test = [i for i in every if folds[i] == f]
        phase(f"fold {f + 1}/{k}: {len(test)} held-out examples; thresholds from inner {k - 1}-fold readings")
        decisions = tune([data.human[i] for i in train], out_of_fold(data, train, k - 1, p, salt=1 + f),
                         gold_of(data, train))
        chosen.append({name: d.model_dump() for name, d in decisions.items()})
        probs = predict(data.x_human[test], fit_on(data, train, p))
        held = Readings([data.human[i] for i in test])
        for rule in by_rule:
            for i, label in zip(test, decide(probs, decisions[rule]), strict=True):
                by_rule[rule][i] = label
        for policy in POLICIES:
            d = decisions[f"redial_{policy}"]
            by_policy[policy].update(aggregate(held, decide(probs, d), probs, policy, d))
    model = {"example": {rule: example_scores(truth, labels) for rule, labels in by_rule.items()},
             "dialogue": {policy: dialogue_scores(data.gold, pred) for policy, pred in by_policy.items()},
             "dialogue_unread_liked": {policy: dialogue_scores(data.gold, pred, unread="liked")
                                       for policy, pred in by_policy.items()},
             "thresholds_by_fold": chosen}
    return {"folds": k, "model": model, "baselines": baselines(data)}


def baselines(data: Data) -> dict:
    """The baselines need no training: read every example once, score as the model is."""
    truth = [e.label for e in data.human]
    readings = Readings(data.human)
    out = {}
    for name, read in BASELINES.items():
        labels = read(data.human)
        pred = {policy: aggregate(readings, labels, None, policy) for policy in ("last", "any_disliked")}
        out[name] = {"example": example_scores(truth, labels),
                     "dialogue": {policy: dialogue_scores(data.gold, p) for policy, p in pred.items()},
                     "dialogue_unread_liked": {policy: dialogue_scores(data.gold, p, unread="liked")
                                               for policy, p in pred.items()}}
    return out


# --- the shipped model --------------------------------------------------------------------------------
def train_stance(redial: Path, out: Path | None = None, folds: int = 5, p: StanceParams | None = None,
                 on_phase: Phase | None = None, save: bool = True, validate: bool = True) -> dict:
    """Cross-validates (unless not ``validate``), then fits on every dialogue and saves to
    ``out`` (default: the shipped path); returns the report that ``stance.json`` also holds."""
    from recpilot.agent.stance import SHIPPED

    p = p or StanceParams()
    phase = on_phase or (lambda _m: None)
    if folds < 3:
        raise UserError("nested cross-validation needs at least 3 folds (2 inside each training part)")
    t0 = time.perf_counter()
    data = load_data(redial, p, phase)
    if len({e.group for e in data.human}) < folds:
        raise UserError(f"{redial} has fewer dialogues with labelled movies than --folds {folds}")
    report: dict = {"data": Path(redial).name, "params": p.model_dump(), "counts": counts(data)}
    if validate:
        report["cv"] = cross_validate(data, folds, p, phase)
    phase("thresholds for the shipped model from k-fold readings of every dialogue; fitting on all of them")
    every = list(range(len(data.human)))
    decisions = tune(data.human, out_of_fold(data, every, folds, p, salt=100), data.gold)
    decisions["redial"] = decisions[f"redial_{p.policy}"]
    W, b, mean, scale = fit_on(data, every, p)
    report["thresholds"] = {name: d.model_dump() for name, d in decisions.items()}
    report["book_heldout"] = book_heldout(data.featurizer, (W, b, mean, scale), decisions, p.seed)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    meta = StanceMeta(classes=list(CLASSES), features=data.featurizer.names(), feature_set=p.feature_set,
                      decision=decisions, weights_sha1="", data_digest=digest(data.human + data.book), report=report)
    model = StanceModel(W, b, mean, scale, data.featurizer, meta)
    if save:
        path = model.save(Path(out) if out else SHIPPED)
        report["weights"] = str(path)
        report["weights_kb"] = round(path.stat().st_size / 1024, 1)
    return report


def counts(data: Data) -> dict:
    out: dict = {"dialogues": len(data.gold), "human_examples": len(data.human), "book_examples": len(data.book)}
    for source in ("mention", "reply"):
        for label in CLASSES:
            out[f"{source}_{label}"] = sum(e.source == source and e.label == label for e in data.human)
    labelled = [v for d in data.gold for v in d.labels.values()]
    read = {(e.group, e.item) for e in data.human}
    out["labelled_movies"] = {c: labelled.count(i) for i, c in ((1, "liked"), (0, "disliked"), (2, "neutral"))}
    out["labelled_movies_with_a_reading"] = {
        c: sum((d.id, m) in read for d in data.gold for m, v in d.labels.items() if v == i)
        for i, c in ((1, "liked"), (0, "disliked"), (2, "neutral"))}
    return out


def book_heldout(featurizer: Featurizer, params: tuple[np.ndarray, ...], decisions: dict, seed: int) -> dict:
    """The book domain on the phrasebook's held-out sentences (never trained on, nor used as
    prototypes): example-level scores under each rule."""
    held = book_examples(300, seed, "heldout")
    probs = predict(featurizer([e.row for e in held]), params)
    truth = [e.label for e in held]
    return {rule: example_scores(truth, decide(probs, decisions[rule])) for rule in ("product", "redial")}
