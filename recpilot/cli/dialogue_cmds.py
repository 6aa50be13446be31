"""``recpilot dialogues run|check``: scripted YAML dialogues with expectations after each turn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

dialogues_app = typer.Typer(help="Run scripted dialogues (YAML) and check their expectations.",
                            no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(dialogues_app, name="dialogues")


def _load(paths: list[Path]):
    from recpilot.simulator.dialogues import dialogue_files, load_dialogues

    loaded = []
    for path in dialogue_files(paths):
        loaded += load_dialogues(path)
    return loaded


@dialogues_app.command("run")
def run_cmd(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="dialogue files, or folders of *.yaml files")],
    report: Annotated[Path | None, typer.Option(help="also write the results to this file (.json or .md)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the results as one JSON object")] = False,
    failures_only: Annotated[bool, typer.Option(help="print only the failed expectations")] = False,
) -> None:
    """Run each dialogue in a fresh session and user; exit 1 if any expectation fails.

    Use --llm-backend none for deterministic runs (what the test suite does).
    """
    from recpilot.agent.agent import RecPilot
    from recpilot.simulator.dialogues import format_report, run_dialogues

    dialogues = _load(paths)
    settings = ctx.obj
    agents: dict[str, RecPilot] = {}

    def agent_for(catalog: str | None) -> RecPilot:
        name = catalog or settings.catalog
        if name not in agents:
            agents[name] = RecPilot.from_settings(settings.model_copy(update={"catalog": name}),
                                                  notify=lambda m: typer.echo(m, err=True))
        return agents[name]

    result = run_dialogues(dialogues, agent_for)
    text = format_report(result, verbose=not failures_only)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        if report.suffix == ".md":
            report.write_text("# Scripted dialogues\n\n```\n" + format_report(result) + "\n```\n")
        else:
            report.write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    typer.echo(json.dumps(result.to_json(), ensure_ascii=False) if as_json else text)
    if not result.passed:
        raise typer.Exit(1)


@dialogues_app.command("check")
def check_cmd(
    paths: Annotated[list[Path], typer.Argument(help="dialogue files, or folders of *.yaml files")],
) -> None:
    """Validate dialogue files without running them."""
    dialogues = _load(paths)
    turns = sum(len(d.dialogue.turns) for d in dialogues)
    typer.echo(f"{len(dialogues)} dialogues, {turns} turns: format ok")
