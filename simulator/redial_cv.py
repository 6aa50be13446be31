"""Stance readers that never saw the dialogue they read: the ReDial parser score with the
stance model cross-validated by dialogue.

The shipped stance model is fitted on the ReDial dev dialogues, so the parser's score on those
same dialogues flatters it. With ``folds`` k, the dialogues are dealt into k folds (grouped by
dialogue, balanced on disliked labels, as the stance trainer deals them); for each fold a
stance model is trained on the other folds' dialogues only and reads that fold's dialogues. The
rules and cue lists were still written while looking at these dialogues: the figure that
counts is on dialogues nobody here has.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path


def fold_of_dialogues(data: Path, k: int) -> dict[str, int]:
    """Dialogue id -> fold, for every dialogue in ``data``; dialogues without labelled examples
    go by a hash of their id."""
    from recpilot.simulator.redial import read_dialogues
    from recpilot.training.stance_data import redial_examples
    from recpilot.training.stance_eval import group_folds

    examples, _, _ = redial_examples(data)
    folds = {e.group: f for e, f in zip(examples, group_folds(examples, k), strict=True)}
    dialogues, _ = read_dialogues(Path(data))
    return {d.id: folds.get(d.id, hash_fold(d.id, k)) for d in dialogues}


def hash_fold(dialogue_id: str, k: int) -> int:
    """A dialogue's fold of ``k`` by a hash of its id: the same in every run and on every machine."""
    return int(hashlib.sha1(dialogue_id.encode()).hexdigest(), 16) % k


def train_fold_models(data: Path, fold_of: dict[str, int], k: int, out: Path,
                      notify: Callable[[str], None] | None = None) -> dict[int, Path]:
    """For each fold, a stance model trained on the dialogues of ``data`` outside it."""
    from recpilot.training.stance import train_stance

    say = notify or (lambda _m: None)
    lines = [line for line in Path(data).read_text(encoding="utf-8").splitlines() if line.strip()]
    paths: dict[int, Path] = {}
    for f in range(k):
        folder = Path(out) / f"stance-fold{f + 1}"
        folder.mkdir(parents=True, exist_ok=True)
        train = folder / "train.jsonl"
        kept = [line for line in lines if fold_of.get(_id_of(line), -1) != f]
        train.write_text("\n".join(kept) + "\n", encoding="utf-8")
        say(f"stance fold {f + 1}/{k}: training on {len(kept)} dialogues, to read the other "
            f"{sum(v == f for v in fold_of.values())}")
        report = train_stance(train, out=folder / "stance.npz", folds=3, validate=False)
        paths[f] = Path(report["weights"])
    return paths


def _id_of(line: str) -> str:
    try:
        return str(json.loads(line).get("conversationId", ""))
    except (json.JSONDecodeError, AttributeError):
        return ""
