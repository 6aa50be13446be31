"""The stance training report as text: the same table for ``recpilot train stance`` and
``benchmarks/stance.py``."""

from __future__ import annotations

from recpilot.training.stance_eval import POLICIES


def _row(name: str, s: dict) -> str:
    liked, disliked = s["liked"], s["disliked"]
    return (f"{name:<30}{liked['precision']:>7.3f}{liked['recall']:>7.3f}{liked['f1']:>7.3f}"
            f"{disliked['precision']:>8.3f}{disliked['recall']:>7.3f}{disliked['f1']:>7.3f}{s['macro_f1']:>8.3f}")


def report_lines(report: dict) -> list[str]:
    cv, counts = report["cv"], report["counts"]
    model, base = cv["model"], cv["baselines"]
    read = counts["labelled_movies_with_a_reading"]
    total = counts["labelled_movies"]
    head = f"{'':<30}{'liked P':>7}{'R':>7}{'F1':>7}{'disl. P':>8}{'R':>7}{'F1':>7}{'macro':>8}"
    lines = [
        f"{counts['human_examples']:,} human examples from {counts['dialogues']} dialogues "
        f"({counts['book_examples']} book examples in training only); labelled movies with a reading: "
        f"liked {read['liked']}/{total['liked']}, disliked {read['disliked']}/{total['disliked']}",
        "",
        f"dialogue level, {cv['folds']}-fold cross-validation grouped by dialogue (held-out dialogues only;",
        "perfect mention linking; a labelled movie without a reading is missed):",
        head,
    ]
    lines += [_row(f"model, {policy}", model["dialogue"][policy]) for policy in POLICIES]
    for name, b in base.items():
        lines += [_row(f"{name}, {policy}", s) for policy, s in b["dialogue"].items()]
    lines += ["", "the same, a labelled movie without a reading counted as liked:", head]
    lines += [_row(f"model, {policy}", model["dialogue_unread_liked"][policy]) for policy in POLICIES]
    lines += [_row(f"{name}, last", b["dialogue_unread_liked"]["last"]) for name, b in base.items()]
    lines += ["", "example level (each reading against its movie's label):", head]
    for rule, s in model["example"].items():
        n = s["neutral"]
        lines.append(_row(f"model, rule {rule}", s) + f"   neutral P {n['precision']:.3f} R {n['recall']:.3f} "
                                                        f"F1 {n['f1']:.3f}")
    lines += [_row(name, b["example"]) for name, b in base.items()]
    if "book_heldout" in report:
        b = report["book_heldout"]["product"]
        lines += ["", f"book domain, {b['examples']} held-out phrasebook sentences (rule product): "
                      f"macro-F1 {b['macro_f1']:.3f} (3 classes {b['macro_f1_3']:.3f})"]
    if "thresholds" in report:
        t = report["thresholds"]
        lines.append(f"thresholds: product P(disliked) >= {t['product']['disliked']:.2f}, "
                     f"P(neutral) >= {t['product']['neutral']:.2f}; redial P(disliked) >= {t['redial']['disliked']:.2f}")
    if "weights" in report:
        lines.append(f"saved {report['weights']} ({report['weights_kb']:.0f} KB) in {report['seconds']:.0f}s")
    return lines
