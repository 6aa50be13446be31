"""Scores for the ReDial benchmark: liked/disliked extraction and Recall@k of named movies.

Pure functions over plain data, so the protocol can be checked by hand on a tiny file.

Parser score. Gold labels come from the seeker's form (``initiatorQuestions``; the
recommender's form when the seeker's is empty): liked 1 = liked, 0 = disliked, 2 = "did not
say", which is left out. A prediction is the parser's final reading of the dialogue. For each
class, a true positive is a labelled movie predicted in that class; a false positive is a
movie predicted in that class whose label is the other class, or that was never mentioned in
the dialogue at all (an invented grounding); a false negative is a labelled movie not
predicted in its class. A predicted movie that was mentioned but has no 0/1 label is ignored.
Counts are summed over dialogues (micro), then precision, recall and F1 per class; macro-F1
is the mean of the two F1s.

Recommendation score (the CRSLab / iEvaLM protocol). Each recommender turn that names
movies is one evaluation point; each (turn, named movie) pair counts once; Recall@k is the
share of pairs whose movie is among the system's first k predictions. Filtered: movies
mentioned earlier in the dialogue (by either side) are dropped from the targets and from the
predictions before the cut at k.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from recpilot.scores import f1, prf

KS = (1, 10, 50)


class ParserCounts(BaseModel):
    """True/false positives and false negatives per class, summed over dialogues."""

    liked: list[int] = Field(default_factory=lambda: [0, 0, 0])  # tp, fp, fn
    disliked: list[int] = Field(default_factory=lambda: [0, 0, 0])

    def add(self, other: ParserCounts) -> None:
        for name in ("liked", "disliked"):
            mine, theirs = getattr(self, name), getattr(other, name)
            for i in range(3):
                mine[i] += theirs[i]

    def scores(self) -> dict:
        return {"liked": prf(*self.liked).model_dump(), "disliked": prf(*self.disliked).model_dump(),
                "macro_f1": round((f1(*self.liked) + f1(*self.disliked)) / 2, 4)}


def score_preferences(labels: dict[str, int], mentioned: set[str], liked: set[str], disliked: set[str],
                      same_movie: dict[str, str] | None = None) -> ParserCounts:
    """Counts for one dialogue.

    Args:
        labels: movie id -> liked label (1 liked, 0 disliked, 2 did not say).
        mentioned: every movie id mentioned in the dialogue (labelled or not).
        liked, disliked: the ids the parser read as liked / disliked.
        same_movie: predicted id -> the labelled id it stands for, when the parser grounded a
            title to another catalog entry of the same movie (e.g. "American Pie" listed twice).
    """
    same_movie = same_movie or {}
    counts = ParserCounts()
    predicted: dict[str, int] = {}
    for ids, cls in ((liked, 1), (disliked, 0)):
        for item_id in ids:
            predicted.setdefault(same_movie.get(item_id, item_id), cls)
    for item_id, cls in predicted.items():
        name = "liked" if cls == 1 else "disliked"
        gold = labels.get(item_id)
        if gold == cls:
            getattr(counts, name)[0] += 1
        elif gold in (0, 1) or item_id not in mentioned:
            getattr(counts, name)[1] += 1  # the other class, or a movie nobody mentioned
    for item_id, gold in labels.items():
        if gold in (0, 1) and predicted.get(item_id) != gold:
            getattr(counts, "liked" if gold == 1 else "disliked")[2] += 1
    return counts


class RecPoint(BaseModel):
    """One recommender turn that names movies, with one system's ranked predictions."""

    targets: list[str]
    predictions: list[str]
    mentioned_before: list[str] = Field(default_factory=list)


def recall_at_k(points: list[RecPoint], ks: tuple[int, ...] = KS, filtered: bool = False) -> dict:
    hits = dict.fromkeys(ks, 0)
    pairs = turns = 0
    for point in points:
        before = set(point.mentioned_before) if filtered else set()
        targets = [t for t in dict.fromkeys(point.targets) if t not in before]
        if not targets:
            continue
        preds = [p for p in dict.fromkeys(point.predictions) if p not in before]
        turns += 1
        for target in targets:
            pairs += 1
            for k in ks:
                hits[k] += target in preds[:k]
    out = {f"recall@{k}": round(hits[k] / pairs, 4) if pairs else 0.0 for k in ks}
    return {**out, "turns": turns, "pairs": pairs}


def recommendation_scores(points: list[RecPoint], in_catalog, ks: tuple[int, ...] = KS) -> dict:
    """Unfiltered and filtered Recall@k, plus predictions and targets that are not catalog items."""
    top = max(ks)
    return {
        **recall_at_k(points, ks),
        "filtered": recall_at_k(points, ks, filtered=True),
        "out_of_catalog": sum(not in_catalog(p) for pt in points for p in pt.predictions[:top]),
        "targets_out_of_catalog": sum(not in_catalog(t) for pt in points for t in dict.fromkeys(pt.targets)),
        "turns_without_prediction": sum(not pt.predictions for pt in points),
    }
