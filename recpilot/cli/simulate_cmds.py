"""``recpilot simulate`` (simulated users against an agent or a baseline) and ``recpilot compare``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from recpilot.errors import ConfigError

if TYPE_CHECKING:  # settings load when a command runs, so --help stays quick
    from recpilot.settings import Settings


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_cmd)
    app.command("compare")(compare_cmd)


def simulate_cmd(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="run directory: dialogues.jsonl, summary.json, report.html")],
    simulator: Annotated[str, typer.Option(help="rule | llm")] = "rule",
    agent: Annotated[str, typer.Option(help="recpilot | popularity | retrieval | llm-only")] = "recpilot",
    dialogues: Annotated[int, typer.Option(help="how many dialogues", min=1)] = 20,
    max_turns: Annotated[int, typer.Option(help="turns per dialogue (T)", min=1, max=50)] = 5,
    k: Annotated[int, typer.Option(help="items per recommendation", min=1, max=50)] = 5,
    seed: Annotated[int, typer.Option(help="run seed; dialogue i always gets the same target and persona")] = 0,
    targets: Annotated[str, typer.Option(help="catalog (uniform) | popular (by popularity) | history (held out) | "
                                         "heldout (a real reader's test-split rating, their other ratings as history)")] = "catalog",
    chatter: Annotated[float, typer.Option(help="share of user messages with a sentence of context that changes "
                                           "nothing (unseen by the distilled parser)", min=0, max=1)] = 0.0,
    ranker: Annotated[bool | None, typer.Option("--ranker/--no-ranker", help="RecPilot blends in the trained ranker, "
                                                "when one is trained [default: settings.learned.ranker, on]")] = None,
    learned_parser: Annotated[bool | None, typer.Option("--learned-parser/--no-learned-parser", help="RecPilot may use "
                                                        "the distilled parser [default: settings.learned.parser, on]")] = None,
    workers: Annotated[int, typer.Option(help="parallel workers (processes, or Ray actors with --ray)", min=1)] = 1,
    ray: Annotated[bool, typer.Option("--ray", help="run the dialogues on Ray (local unless --ray-address)")] = False,
    ray_address: Annotated[str | None, typer.Option(help="a Ray cluster address; implies --ray")] = None,
    sim_llm_backend: Annotated[str, typer.Option(help="llm simulator backend: llamacpp | openai")] = "llamacpp",
    sim_llm_model: Annotated[str | None, typer.Option(help="llm simulator model name (openai backend)")] = None,
    sim_llm_model_path: Annotated[Path | None, typer.Option(help="llm simulator GGUF file")] = None,
    sim_llm_base_url: Annotated[str | None, typer.Option(help="llm simulator OpenAI-compatible URL")] = None,
    sim_llm_temperature: Annotated[float, typer.Option(help="llm simulator temperature", min=0, max=2)] = 0.7,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Run N simulated dialogues against an agent; resumable (re-run with the same --out)."""
    from pydantic import ValidationError

    from recpilot.ingest import ensure_catalog
    from recpilot.settings import LLMSettings
    from recpilot.simulator.models import RunConfig
    from recpilot.simulator.runner import DIALOGUES, REPORT, SUMMARY, read_records, run_simulation

    settings = _with_learned(ctx.obj, ranker, learned_parser)
    ensure_catalog(settings, notify=lambda m: typer.echo(m, err=True))
    sim_llm = None
    if simulator == "llm":
        fields = {"backend": sim_llm_backend, "model_path": sim_llm_model_path, "base_url": sim_llm_base_url,
                  "model": sim_llm_model, "temperature": sim_llm_temperature}
        try:
            sim_llm = LLMSettings.model_validate({k_: v for k_, v in fields.items() if v is not None})
        except ValidationError as exc:
            raise ConfigError(f"invalid simulator LLM settings: {exc.errors()[0]['msg']}") from exc
    try:
        config = RunConfig(simulator=simulator, agent=agent, dialogues=dialogues, max_turns=max_turns, k=k,
                           seed=seed, targets=targets, catalog=settings.catalog, chatter=chatter,
                           agent_llm=_llm_label(settings, agent), sim_llm=sim_llm)
    except ValidationError as exc:
        raise ConfigError("invalid simulation options: " + "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']} (got {e.get('input')!r})" for e in exc.errors())) from exc
    done = len(read_records(out / DIALOGUES))
    if done:
        typer.echo(f"resuming: {done} finished dialogues found in {out / DIALOGUES}", err=True)
    bar, update = _progress_bar() if progress else (None, None)
    try:
        if bar is not None:
            with bar:
                summary = run_simulation(settings, config, out, workers=workers, ray=ray or bool(ray_address),
                                         ray_address=ray_address, progress=update)
        else:
            summary = run_simulation(settings, config, out, workers=workers, ray=ray or bool(ray_address),
                                     ray_address=ray_address)
    except KeyboardInterrupt:
        typer.echo(f"\ninterrupted: finished dialogues are in {out / DIALOGUES}; run the same command to resume",
                   err=True)
        raise typer.Exit(130) from None
    s = summary
    typer.echo(f"{s.agent} ({s.agent_llm}, ranker {s.ranker}, learned parser {'on' if s.learned_parser else 'off'}) "
               f"vs {s.simulator} simulator, {s.targets} targets: {s.scored_dialogues}/{s.dialogues} scored, "
               f"success {_f(s.success_rate)}, AT {_f(s.avg_turns)}, by turn {[round(x, 2) for x in s.success_by_turn]}, "
               f"violations {_f(s.violation_rate)}, hallucinations {_f(s.hallucination_rate)}, leaks {_f(s.leak_rate)}, "
               f"LLM calls/turn {_f(s.llm_calls_per_turn)} (parser {_f(s.parser_llm_calls_per_turn)}, distilled "
               f"parser read {_f(s.distilled_share)} of turns), p50 {_f(s.latency_ms_p50)} ms, "
               f"{_f(s.dialogues_per_min)} dialogues/min")
    typer.echo(f"wrote {out / SUMMARY} and {out / REPORT}")


def compare_cmd(
    dirs: Annotated[list[Path], typer.Argument(help="run directories (each with a summary.json)")],
    html: Annotated[Path, typer.Option("--html", help="where to write the comparison page")] = Path("compare.html"),
) -> None:
    """One table over several simulation runs, and compare.html with the success curves."""
    from rich.console import Console
    from rich.table import Table

    from recpilot.simulator.compare import load_summaries, metric_rows, render_compare

    summaries = load_summaries(dirs)
    head, rows = metric_rows(summaries)
    table = Table(*head)
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    html.write_text(render_compare(summaries), encoding="utf-8")
    typer.echo(f"wrote {html}")


def _with_learned(settings: Settings, ranker: bool | None, parser: bool | None) -> Settings:
    """The settings with the switches given on the command line; the copy is what every worker
    gets (pickled), so it holds there too."""
    update = {k_: v for k_, v in (("ranker", ranker), ("parser", parser)) if v is not None}
    if not update:
        return settings
    return settings.model_copy(update={"learned": settings.learned.model_copy(update=update)})


def _llm_label(settings: Settings, agent: str) -> str:
    if agent not in ("recpilot", "llm-only"):
        return "none"
    llm = settings.llm
    if llm.backend == "llamacpp":
        return f"llamacpp:{llm.model_path.stem if llm.model_path else 'SmolLM2-135M-Instruct'}"
    if llm.backend == "openai":
        return f"openai:{llm.model}"
    return "none"


def _progress_bar():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("dialogues"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                   TimeElapsedColumn())
    state: dict = {}

    def update(done: int, total: int) -> None:
        if "task" not in state:
            state.update(task=bar.add_task("dialogues", total=total, rate=""), t0=time.perf_counter(), start=done)
        elapsed = time.perf_counter() - state["t0"]
        new = done - state["start"]
        rate = f"{new / elapsed * 60:.1f} dialogues/min" if new and elapsed > 0 else ""
        bar.update(state["task"], completed=done, total=total, rate=rate)

    return bar, update


def _f(value) -> str:
    return "—" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)
