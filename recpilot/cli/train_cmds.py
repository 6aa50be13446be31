"""``recpilot train ranker``: fit a ranker on the active catalog's ratings, evaluate, save."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer

train_app = typer.Typer(help="Train learned components on the active catalog.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")


@train_app.command("ranker")
def train_ranker_cmd(
    ctx: typer.Context,
    model: Annotated[str, typer.Option(help="slim | mf | itemknn | popularity")] = "slim",
    epochs: Annotated[int | None, typer.Option(help="most epochs (default: the model's)", min=1)] = None,
    seed: Annotated[int, typer.Option(help="seeds the split, the initialisation and the sampling")] = 0,
    threads: Annotated[int | None, typer.Option(help="torch threads (default: os.cpu_count())", min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="end with one JSON object on stdout")] = False,
) -> None:
    """Train a ranker on the ratings, compare it with popularity and item-kNN on held-out
    ratings (HR@10, NDCG@10, Recall@50), and save it for the ranking tool."""
    import torch
    from rich.console import Console

    from recpilot.ingest import ensure_catalog
    from recpilot.tools.rankers.factory import RANKERS
    from recpilot.tools.rankers.train import train_ranker

    if model not in RANKERS:
        raise typer.BadParameter(f"choose one of {', '.join(RANKERS)}", param_hint="--model")
    torch.set_num_threads(threads or os.cpu_count() or 1)
    torch.use_deterministic_algorithms(True, warn_only=True)
    err = Console(stderr=True)
    catalog = ensure_catalog(ctx.obj, lambda m: err.print(m))
    progress, update = _progress(err)
    with progress:
        report = train_ranker(ctx.obj, catalog, model, epochs=epochs, seed=seed, progress=update,
                              on_phase=lambda m: progress.console.print(f"[dim]{m}[/dim]"))
    if as_json:
        typer.echo(json.dumps(report))
        return
    _print_report(report)


def _progress(console):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("epoch {task.fields[epoch]}"), BarColumn(bar_width=16), MofNCompleteColumn(),
                        TextColumn("loss {task.fields[loss]}"), TextColumn("{task.fields[rate]}"),
                        TextColumn("val ndcg@10 {task.fields[valid]}"), TimeElapsedColumn(), console=console)
    state: dict = {}

    def update(p) -> None:
        total = p.epochs * max(p.steps, 1)
        if "task" not in state:
            state["task"] = progress.add_task("train", total=total, epoch="", loss="", rate="", valid="-")
        fields = {"epoch": f"{p.epoch}/{p.epochs}", "loss": f"{p.loss:.4f}",
                  "rate": f"{p.samples_per_s:,.0f}/s"}
        if p.valid is not None:
            fields["valid"] = f"{p.valid:.4f}"
        progress.update(state["task"], completed=(p.epoch - 1) * p.steps + p.step, total=total, **fields)

    return progress, update


def _print_report(report: dict) -> None:
    rows = [(report["model"], report)] + list(report["baselines"].items())
    typer.echo(f"{'model':<12}{'hr@10':>8}{'ndcg@10':>9}{'recall@50':>11}")
    for name, m in rows:
        if name == report["model"] and m is not report:
            continue
        typer.echo(f"{name:<12}{m['hr@10']:>8.4f}{m['ndcg@10']:>9.4f}{m['recall@50']:>11.4f}")
    typer.echo(f"{report['users']} test users; HR@10 is {report['hr@10_vs_popularity']:.2f}x popularity's; "
               f"trained in {report['train_seconds']:.1f}s ({report['epochs_run']} epochs, best "
               f"{report['best_epoch']}{', stopped early' if report['stopped_early'] else ''})")
    if "fold_in" in report:
        typer.echo(f"new users folded in from their history: hr@10 {report['fold_in']['hr@10']:.4f}")
    if "checkpoint" in report:
        typer.echo(f"saved {report['checkpoint']} (used by the ranking tool for this catalog version)")
