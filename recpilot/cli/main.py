"""The ``recpilot`` command: global options build the one ``Settings``; command groups live
in sibling modules."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from recpilot.cli import (
    catalog_cmds,
    chat_cmds,
    dialogue_cmds,
    eval_cmds,
    memory_cmds,
    serve_cmds,
    session_cmds,
    simulate_cmds,
    train_cmds,
)
from recpilot.errors import ConfigError, RecPilotError

app = typer.Typer(help="RecPilot: a conversational recommender built from LLM agents.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)


@app.callback()
def configure(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(help="state directory (RECPILOT_HOME)")] = None,
    catalog: Annotated[str | None, typer.Option(help="active catalog name (RECPILOT_CATALOG)")] = None,
    config: Annotated[Path | None, typer.Option(help="TOML config file")] = None,
    llm_backend: Annotated[str | None, typer.Option(help="llamacpp | openai | none")] = None,
    llm_model_path: Annotated[Path | None, typer.Option(help="GGUF file for llamacpp")] = None,
    llm_base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible base URL")] = None,
    llm_model: Annotated[str | None, typer.Option(help="model name for the openai backend")] = None,
    llm_timeout: Annotated[float | None, typer.Option(help="seconds to wait for the LLM")] = None,
    debug: Annotated[bool, typer.Option(help="show tracebacks")] = False,
) -> None:
    from pydantic import ValidationError  # settings load when a command runs, so --help stays quick

    from recpilot.settings import LLMSettings, Settings

    flags: dict = {k: v for k, v in {"home": home, "catalog": catalog, "config_file": config}.items() if v is not None}
    llm = {k: v for k, v in {"backend": llm_backend, "model_path": llm_model_path, "base_url": llm_base_url,
                              "model": llm_model, "timeout_s": llm_timeout}.items() if v is not None}
    try:
        if llm:
            # CLI flags override single fields; the rest still comes from env and config. Validated
            # again (model_copy would not), so a bad flag is as clear an error as a bad env value.
            base = Settings(**flags)
            flags["llm"] = LLMSettings.model_validate({**base.llm.model_dump(), **llm})
        ctx.obj = Settings(**flags)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from exc


def describe_validation_error(exc) -> str:
    """One line naming every bad setting: where it is, what is wrong, what was given."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in (("llm",) if exc.title == "LLMSettings" else ()) + tuple(err["loc"]))
        given = f" (got {err['input']!r})" if not isinstance(err.get("input"), dict) else ""
        parts.append(f"{where}: {err['msg']}{given}")
    return "invalid settings: " + "; ".join(parts)


app.add_typer(catalog_cmds.items_app, name="items")
app.add_typer(memory_cmds.memory_app, name="memory")
catalog_cmds.register(app)
chat_cmds.register(app)
session_cmds.register(app)
dialogue_cmds.register(app)
eval_cmds.register(app)
serve_cmds.register(app)
train_cmds.register(app)
simulate_cmds.register(app)


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    debug = "--debug" in sys.argv
    try:
        app()
    except RecPilotError as exc:
        if debug:
            raise
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # an unexpected failure still gets one line unless --debug
        if debug:
            raise
        typer.echo(f"error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
