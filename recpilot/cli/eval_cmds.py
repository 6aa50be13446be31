"""``recpilot eval``: benchmarks on recorded human dialogues (ReDial)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

eval_app = typer.Typer(help="Evaluate on recorded human dialogues.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")


@eval_app.command("redial")
def redial_cmd(
    ctx: typer.Context,
    data: Annotated[Path, typer.Option(help="dialogues in the ReDial format, one JSON object per line")],
    out: Annotated[Path, typer.Option(help="folder for summary.json, report.md and per-dialogue records")],
    movies: Annotated[Path | None, typer.Option(
        help="movieId,movieName,nbMentions CSV; default: movies_with_mentions.csv next to --data")] = None,
    limit: Annotated[int | None, typer.Option(help="only the first N dialogues", min=1)] = None,
    baselines: Annotated[bool, typer.Option(help="also score the popularity and retrieval baselines")] = True,
    stance_folds: Annotated[int, typer.Option(
        help="K > 0: read each dialogue with a stance model trained on the other K-1 folds of --data only "
             "(the shipped model was fitted on ReDial dev; this is its honest score there)", min=0)] = 0,
    leak_free: Annotated[bool, typer.Option(
        "--leak-free/--raw-mentions", help="popularity = nbMentions minus --data's own mentions (nbMentions "
        "counts all of ReDial, test split included); --raw-mentions for dialogues nbMentions never counted")] = True,
    movielens: Annotated[Path | None, typer.Option(
        help="a MovieLens folder (ml-latest-small: movies.csv, ratings.csv, tags.csv): evaluate on the "
             "\"movies\" catalog (genres, tags, ratings joined in; a ranker trained on it) and add the "
             "blend baseline")] = None,
    skip: Annotated[int, typer.Option(
        help="leave out the first N dialogues (e.g. those settings were chosen on), then --limit", min=0)] = 0,
    ablations: Annotated[bool, typer.Option(
        help="also score RecPilot without parser preferences, without the ranker, without popularity and "
             "without the conversations model")] = False,
    conversation_folds: Annotated[int, typer.Option(
        help="K > 0: rank each dialogue with a conversations model (items named together) fitted on the other "
             "K-1 folds of --data; 0: none", min=0)] = 5,
) -> None:
    """Parser score (liked/disliked movies) and Recall@1/10/50 of the movies the human recommender named.

    The movies are ingested as the catalog "redial" in the active RECPILOT_HOME first (with
    --movielens, as the catalog "movies", joined with MovieLens).
    """
    from recpilot.simulator.redial import default_movies_path, run_redial_eval

    settings = ctx.obj
    movies = movies or default_movies_path(data)

    def progress(done: int, total: int) -> None:
        if done == total or done % 25 == 0:
            typer.echo(f"  {done}/{total} dialogues", err=True)

    summary = run_redial_eval(settings, data, out, movies=movies, limit=limit, with_baselines=baselines,
                              progress=progress, notify=lambda m: typer.echo(m, err=True), stance_folds=stance_folds,
                              leak_free=leak_free, movielens=movielens, skip=skip, ablations=ablations,
                              conversation_folds=conversation_folds)
    rec, parser = summary["recommendation"], summary["parser"]
    typer.echo(f"{summary['dialogues']} dialogues, {rec['turns']} recommender turns, {rec['pairs']} (turn, movie) pairs, "
               f"{summary['seconds']:.0f} s")
    cat = summary["catalog"]
    if "coverage" in cat:
        cov, ranker = cat["coverage"], cat["ranker"]
        typer.echo(f"catalog {cat['name']!r}: {cat['items']} movies, MovieLens matched {cov['movies_matched']:.1%} "
                   f"of them and {cov['mentions_matched_share']:.1%} of their mentions; ranker: {ranker.get('model')}")
    typer.echo(f"parser: liked F1 {parser['liked']['f1']:.3f}, disliked F1 {parser['disliked']['f1']:.3f}, "
               f"macro-F1 {parser['macro_f1']:.3f} (stance: {summary['stance']})")
    rows = [("recpilot", rec)] + [(name, b["recommendation"]) for name, b in summary.get("baselines", {}).items()]
    rows += [(name.replace("without_", "-"), a["recommendation"]) for name, a in summary.get("ablations", {}).items()]
    for name, r in rows:
        f = r["filtered"]
        typer.echo(f"{name:>20}: R@1 {r['recall@1']:.3f}  R@10 {r['recall@10']:.3f}  R@50 {r['recall@50']:.3f}   "
                   f"filtered R@1 {f['recall@1']:.3f}  R@10 {f['recall@10']:.3f}  R@50 {f['recall@50']:.3f}")
    typer.echo(f"wrote {out / 'summary.json'} and {out / 'report.md'}")
