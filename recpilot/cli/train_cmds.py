"""``recpilot train ranker | conversations | parser | stance | status``: fit the learned components
(the ranker and the distilled parser on the active catalog, the conversations model and the stance
reader on human dialogues), evaluate them, save them, and say what is trained."""

from __future__ import annotations

import json
import os
from pathlib import Path
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
    from recpilot.training.rankers import train_ranker

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


@train_app.command("conversations")
def train_conversations_cmd(
    ctx: typer.Context,
    data: Annotated[Path, typer.Option(help="recommendation dialogues in the ReDial format, one JSON object per line "
                                            "(each message's movieMentions name catalog ids)")],
) -> None:
    """Fit the conversations model: which items people name together in recommendation dialogues
    (an item-kNN with each dialogue as one user). The ranking tool blends it in with the catalog's
    ``ranking.conversations`` share. Never evaluate with `eval redial` on the same file: it fits
    its own models on other folds and ignores this one."""
    import time

    from recpilot.ingest import ensure_catalog
    from recpilot.simulator.redial import read_dialogues
    from recpilot.tools.rankers.conversations import fit_conversations, save_conversations

    settings = ctx.obj
    catalog = ensure_catalog(settings, lambda m: typer.echo(m, err=True))
    start = time.perf_counter()
    dialogues, errors = read_dialogues(data)
    for error in errors[:5]:
        typer.echo(f"skipped: {error}", err=True)
    model = fit_conversations(catalog, [list(d.mentioned) for d in dialogues])
    seconds = time.perf_counter() - start
    path = save_conversations(settings, catalog, model, {"data": str(data), "dialogues": len(dialogues),
                                                         "used": model.n_users, "skipped_lines": len(errors)})
    typer.echo(f"conversations model: {len(dialogues)} dialogues read ({len(errors)} lines skipped), {model.n_users} "
               f"of them name two or more items of {catalog.name!r}; {seconds:.1f} s; saved to {path}")


@train_app.command("parser")
def train_parser_cmd(
    ctx: typer.Context,
    examples: Annotated[int, typer.Option(help="simulated training utterances", min=100)] = 8000,
    heldout: Annotated[int, typer.Option(help="held-out utterances (unseen phrasings) to score on", min=50)] = 2000,
    paraphrases: Annotated[int, typer.Option(help="LLM rewordings to add (uses the configured LLM)", min=0)] = 0,
    epochs: Annotated[int, typer.Option(help="most epochs (stops early on validation loss)", min=1)] = 60,
    seed: Annotated[int, typer.Option(help="seeds the corpus, the split and the initialisation")] = 0,
    threads: Annotated[int | None, typer.Option(help="torch threads (default: os.cpu_count())", min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="end with one JSON object on stdout")] = False,
) -> None:
    """Distil a small parser from simulated dialogues: it reads the words the rules leave and
    is used instead of an LLM call when it is sure. Scored per slot on held-out phrasings."""
    import torch
    from rich.console import Console

    from recpilot.ingest import ensure_catalog
    from recpilot.training.distillation import train_parser

    torch.set_num_threads(threads or os.cpu_count() or 1)
    torch.use_deterministic_algorithms(True, warn_only=True)
    err = Console(stderr=True)
    settings = ctx.obj
    catalog = ensure_catalog(settings, lambda m: err.print(m))
    llm = None
    if paraphrases:
        from recpilot.llm.base import build_chat_model

        llm = build_chat_model(settings.llm)
        if llm is None:
            raise typer.BadParameter("paraphrases need an LLM backend (--llm-backend llamacpp or openai)",
                                     param_hint="--paraphrases")

    def epoch_line(e: dict) -> None:
        err.print(f"[dim]epoch {e['epoch']}/{e['epochs']}  loss {e['loss']:.4f}  valid {e['valid_loss']:.4f}  "
                  f"{e['examples_per_s']:,.0f} examples/s[/dim]")

    report = train_parser(settings, catalog, examples=examples, heldout=heldout, paraphrases=paraphrases, llm=llm,
                          epochs=epochs, seed=seed, on_phase=lambda m: err.print(f"[dim]{m}[/dim]"),
                          on_epoch=epoch_line)
    if as_json:
        typer.echo(json.dumps({k: v for k, v in report.items() if k != "curve"}))
        return
    _print_parser_report(report)


def _print_parser_report(report: dict) -> None:
    held = report["heldout"]
    slots = ("intent_acc", "sort_acc", "residual_acc", "likes_f1", "dislikes_f1", "exact")
    typer.echo(f"{'held-out (' + str(held['examples']) + ')':<22}" + "".join(f"{s:>13}" for s in slots))
    for name in ("rules", "distilled", "rules+distilled"):
        typer.echo(f"{name:<22}" + "".join(f"{held[name][s]:>13.4f}" for s in slots))
    typer.echo(f"the rules would call the LLM on {held['would_call_llm']} of {held['examples']} messages; "
               f"the distilled parser took over {held['taken_over']} ({held['llm_calls_saved']:.0%}), "
               f"{(held['taken_over_exact'] or 0):.0%} of them read exactly right")
    typer.echo(f"trained in {report['train_seconds']:.1f}s ({report['epochs_run']} epochs, best {report['best_epoch']}); "
               f"{report['total_seconds']:.0f}s in all")
    if "checkpoint" in report:
        typer.echo(f"saved {report['checkpoint']} (used by the parser for this catalog version)")


@train_app.command("stance")
def train_stance_cmd(
    redial: Annotated[Path, typer.Option(help="ReDial dialogues (JSONL) with the seekers' liked/disliked labels")],
    folds: Annotated[int, typer.Option(help="dialogue-grouped cross-validation folds (nested: k-1 inside)", min=3)] = 5,
    out: Annotated[Path | None, typer.Option(help="weights file (.npz, a .json beside it); default: the shipped one")] = None,
    book_examples: Annotated[int, typer.Option(help="simulator sentences about named books added to training",
                                               min=0)] = 600,
    seed: Annotated[int, typer.Option(help="seeds the folds and the book examples")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="end with one JSON object on stdout")] = False,
) -> None:
    """Train the stance reader (liked / disliked / neutral per named item) on human seekers'
    messages, report cross-validated scores against baselines, and save it. Needs no catalog."""
    from rich.console import Console

    from recpilot.training.stance import StanceParams, train_stance
    from recpilot.training.stance_report import report_lines

    err = Console(stderr=True)
    params = StanceParams(seed=seed, book_examples=book_examples)
    report = train_stance(redial, out, folds, params, on_phase=lambda m: err.print(f"[dim]{m}[/dim]"))
    if as_json:
        typer.echo(json.dumps(report))
        return
    for line in report_lines(report):
        typer.echo(line)


@train_app.command("status")
def train_status_cmd(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
) -> None:
    """What is trained for the active catalog version, how well it did, and whether it is used."""
    from recpilot.ingest import ensure_catalog

    settings = ctx.obj
    catalog = ensure_catalog(settings, lambda m: typer.echo(m, err=True))
    status = learned_status(settings, catalog)
    if as_json:
        typer.echo(json.dumps(status))
        return
    typer.echo(f"catalog {status['catalog']} {status['version']} ({status['folder']})")
    ranker = status["ranker"]
    typer.echo(f"ranker: {ranker['active'] or 'none trained'}{_SOURCE.get(ranker['source'], '')}"
               f"{'' if ranker['enabled'] else ' (switched off: RECPILOT_LEARNED__RANKER=false)'}")
    for m in ranker["models"]:
        typer.echo(f"  {m['model']:<12} hr@10 {m['hr@10']:.4f}  ndcg@10 {m['ndcg@10']:.4f}  "
                   f"recall@50 {m['recall@50']:.4f}  trained in {m['train_seconds']:.1f}s"
                   f"{'  (shipped)' if m['source'] == 'shipped' else ''}")
    talk = status["conversations"]
    typer.echo(f"conversations: {talk['used']} dialogues from {talk['data']}" if talk["trained"] else
               "conversations: none trained (recpilot train conversations)")
    parser = status["parser"]
    if not parser["trained"]:
        typer.echo("distilled parser: none trained (recpilot train parser)")
    else:
        typer.echo(f"distilled parser{_SOURCE.get(parser['source'], '')}: held-out exact {parser['exact']:.3f} "
                   f"(rules alone {parser['rules_exact']:.3f}), "
                   f"takes over {parser['llm_calls_saved']:.0%} of would-be LLM calls"
                   f"{'' if parser['enabled'] else ' (switched off: RECPILOT_LEARNED__PARSER=false)'}")
    if "shipped" in (ranker["source"], parser["source"]):
        typer.echo("shipped models are used until `recpilot train ranker` / `recpilot train parser` trains your own")


_SOURCE = {"shipped": " (shipped with the demo catalog)"}


def learned_status(settings, catalog) -> dict:
    """The trained components of ``catalog``'s version, read from their reports (no model is
    loaded): those trained in HOME, and the shipped ones where they apply. ``source`` says
    where the one in use comes from: ``"home"``, ``"shipped"`` or None."""
    from recpilot.agent.distilled import CHECKPOINT, resolve_parser
    from recpilot.tools.rankers.checkpoint import checkpoint_dir, resolve_ranker
    from recpilot.tools.rankers.conversations import NAME as CONVERSATIONS
    from recpilot.weights import weights_path

    folder = checkpoint_dir(settings, catalog)
    keys = ("model", "hr@10", "ndcg@10", "recall@50", "train_seconds", "created")
    models = []
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        if path.stem in (CHECKPOINT, CONVERSATIONS) or weights_path(folder, path.stem) is None:
            continue
        meta = json.loads(path.read_text())
        models.append({**{k: meta.get(k) for k in keys}, "source": "home"})
    active = resolve_ranker(settings, catalog)
    if active is not None and active[2] == "shipped":
        meta = json.loads((active[1] / f"{active[0]}.json").read_text())
        models.append({**{k: meta.get(k) for k in keys}, "source": "shipped"})
    parser: dict = {"trained": False, "source": None, "enabled": settings.learned.parser}
    found = resolve_parser(settings, catalog)
    if found is not None:
        meta = json.loads(found[1].read_text())
        held = meta["heldout"]
        parser.update(trained=True, source=found[2], exact=held["rules+distilled"]["exact"],
                      rules_exact=held["rules"]["exact"], llm_calls_saved=held["llm_calls_saved"],
                      mentions=meta.get("mentions"), created=meta.get("created"))
    talk = folder / f"{CONVERSATIONS}.json"
    conversations: dict = {"trained": talk.exists(), "enabled": settings.learned.conversations}
    if talk.exists():
        meta = json.loads(talk.read_text())
        conversations.update({k: meta.get(k) for k in ("data", "dialogues", "used", "created")})
    return {"catalog": catalog.name, "version": catalog.version, "folder": str(folder),
            "ranker": {"active": active[0] if active else None, "source": active[2] if active else None,
                       "enabled": settings.learned.ranker, "models": models},
            "conversations": conversations, "parser": parser}
