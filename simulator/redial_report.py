"""``report.md`` for a ReDial run: the numbers, what they count, and published ones for scale."""

from __future__ import annotations

from pathlib import Path

#: published Recall@10 on ReDial's test split (not this subset; for orientation only)
PUBLISHED_R10 = {"KBRD (Chen et al. 2019)": 0.169, "UniCRS (Wang et al. 2022)": 0.215,
                 "ChatGPT zero-shot (He et al. 2023)": 0.174}


def _rec_row(name: str, r: dict) -> str:
    f = r["filtered"]
    return (f"| {name} | {r['recall@1']:.3f} | {r['recall@10']:.3f} | {r['recall@50']:.3f} | "
            f"{f['recall@1']:.3f} | {f['recall@10']:.3f} | {f['recall@50']:.3f} | {r['out_of_catalog']} |")


def _catalog_lines(s: dict) -> list[str]:
    """The MovieLens join and the ranker, for the movies catalog (nothing for ``redial``)."""
    cat = s["catalog"]
    if "coverage" not in cat:
        return []
    cov, ranker = cat["coverage"], cat.get("ranker") or {}
    trained = f", trained for this run: hr@10 {ranker['hr@10']:.3f}" if ranker.get("trained_now") else ""
    return ["", f"Catalog `{cat['name']}`: ReDial's movies joined with MovieLens (`{s.get('movielens', '')}`) by "
            f"title and year: {cov['matched']}/{cov['movies']} movies ({cov['movies_matched']:.1%}), "
            f"{cov['mentions_matched']}/{cov['mentions']} of their mentions ({cov['mentions_matched_share']:.1%}); "
            f"{cat.get('interactions', 0)} MovieLens ratings >= 4 as interactions. RecPilot's ranker: "
            f"{ranker.get('model') or 'none'}{trained}."]


def render_report(s: dict) -> str:
    p, rec = s["parser"], s["recommendation"]
    lines = [
        "# ReDial benchmark",
        "",
        f"Data: `{s.get('data', '')}` — {s['dialogues']} dialogues; movies: `{s.get('movies', '')}` "
        f"({s['catalog']['items']} items in catalog `{s['catalog']['name']}`). LLM backend: "
        f"`{s.get('llm_backend', '?')}`. Run time {s.get('seconds', 0):.0f} s "
        f"({s['timing']['agent_turns']} agent turns, {s['timing']['ms_per_agent_turn']:.0f} ms each).",
        *_catalog_lines(s),
        "",
        "## Recommendation (Recall@k of the movies the human recommender named)",
        "",
        f"{rec['turns']} recommender turns naming movies, {rec['pairs']} (turn, movie) pairs; filtered: "
        f"{rec['filtered']['turns']} turns, {rec['filtered']['pairs']} pairs.",
        "",
        "| system | R@1 | R@10 | R@50 | filtered R@1 | filtered R@10 | filtered R@50 | predictions not in catalog |",
        "|---|---|---|---|---|---|---|---|",
        _rec_row("RecPilot", rec),
    ]
    lines += [_rec_row(name, b["recommendation"]) for name, b in s.get("baselines", {}).items()]
    lines += [_rec_row(f"RecPilot {name.replace('_', ' ')}", a["recommendation"])
              for name, a in s.get("ablations", {}).items()]
    if s.get("ablations"):
        lines += ["", *(f"- RecPilot {name.replace('_', ' ')}: {a['what']}." for name, a in s["ablations"].items())]
    lines += [
        "",
        f"Turns scored on RecPilot's opening list (no seeker turn had brought items yet): "
        f"{rec.get('turns_on_opening_list', 0)}; turns without any prediction: {rec['turns_without_prediction']}. "
        f"Named movies that are not in the catalog: {rec['targets_out_of_catalog']} (always misses).",
        "",
        "Filtered: movies mentioned earlier in the dialogue are removed from the targets and from the "
        "predictions. Published R@10 on the full ReDial test split, for orientation only: "
        + ", ".join(f"{k} {v:.3f}" for k, v in PUBLISHED_R10.items()) + ".",
        "",
        "## Parser (movies the seeker liked / disliked)",
        "",
        "| class | precision | recall | F1 | TP | FP | FN |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("liked", "disliked"):
        c = p[name]
        lines.append(f"| {name} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['tp']} | {c['fp']} | {c['fn']} |")
    seen = p.get("seen_counted_as_disliked")
    lines += [
        "",
        f"Macro-F1 {p['macro_f1']:.3f}. Labelled movies (liked 0/1): {p['labelled_movies']}, of which "
        f"{p['labelled_in_seeker_text']} appear in the seeker's own messages (the rest were only named by "
        f"the recommender). Labels from the recommender's form where the seeker's was empty: "
        f"{p['labels_from_respondent_form']} dialogues. Stance reader: {s.get('stance', 'the configured model')}.",
    ]
    if seen:
        lines.append(f"If movies rejected only as \"already seen\" counted as disliked: disliked F1 "
                     f"{seen['disliked']['f1']:.3f}, macro-F1 {seen['macro_f1']:.3f}.")
    lines += [
        "",
        "## Protocol",
        "",
        "- Seeker messages (with `@id` replaced by the title) go through one RecPilot session per dialogue, "
        "k = 50; each human recommender turn is recorded in the session as the reply, with the movies it "
        "named as the items shown. RecPilot's prediction at a recommender turn is its latest "
        "recommendation list.",
        "- Liked = `liked_items` + `anchors` of the final state; disliked = `rejected_items`, except movies "
        "rejected only because the seeker had already seen them. Gold: `initiatorQuestions` liked 1/0 "
        "(2 = did not say, left out), `respondentQuestions` when the seeker's form is empty. A predicted "
        "movie nobody mentioned is a false positive.",
        "- Baselines (`simulator/baselines.py`): popularity = most mentioned ReDial movies "
        f"({s.get('popularity', 'raw nbMentions')}; RecPilot's popularity prior is the same); retrieval = the seeker's text so far embedded and searched with the "
        "`search_items` tool; blend (catalogs with genres and ratings) = 0.5 item-item CF from the movies the "
        "seeker named + 0.3 genre words in the seeker's text + 0.2 popularity, each min-max scaled. Like "
        "RecPilot, none suggests a movie the recommender already named (blend: nor one the seeker named).",
        "- Per-dialogue predictions are in `dialogues.jsonl`; the sessions in `sessions.db`.",
    ]
    return "\n".join(lines) + "\n"


def write_report(summary: dict, path: Path) -> None:
    Path(path).write_text(render_report(summary), encoding="utf-8")
