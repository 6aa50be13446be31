"""``recpilot memory``: what long-term memory holds about a user, and forgetting it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from recpilot.cli.options import WhoseOpt
from recpilot.errors import UserError
from recpilot.ids import DEFAULT_USER

memory_app = typer.Typer(help="Long-term memory: what is remembered of a user's taste, and forgetting it.",
                         no_args_is_help=True)


def _memory(ctx: typer.Context):
    from recpilot.catalog import load_catalog
    from recpilot.memory.longterm import LongTermMemory

    return LongTermMemory(ctx.obj), load_catalog(ctx.obj).name


@memory_app.command("list")
def list_cmd(
    ctx: typer.Context,
    user: WhoseOpt = DEFAULT_USER,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """What is remembered of USER's taste in the active catalog, newest first."""
    memory, catalog = _memory(ctx)
    entries = memory.recall(user, catalog, limit=500)
    if as_json:
        typer.echo(json.dumps([{"key": e.key, "kind": e.kind, "text": e.text, "at": e.at} for e in entries]))
        return
    if not entries:
        typer.echo(f"nothing remembered for {user} in the {catalog} catalog")
    for e in entries:
        when = datetime.fromtimestamp(e.at).strftime("%Y-%m-%d %H:%M")
        typer.echo(f"  {e.text:<50} {e.key:<30} {when}")


@memory_app.command("forget")
def forget_cmd(
    ctx: typer.Context,
    key: Annotated[str | None, typer.Argument(help='a key from `recpilot memory list` ("genres:fantasy", "item:42")')] = None,
    user: WhoseOpt = DEFAULT_USER,
    everything: Annotated[bool, typer.Option("--all", help="forget everything remembered of the user")] = False,
) -> None:
    """Forget one remembered entry by KEY, or everything with --all."""
    if (key is None) == (not everything):
        raise UserError("give one KEY to forget, or --all (not both)")
    memory, catalog = _memory(ctx)
    gone = memory.forget(user, catalog, key)
    if key and not gone:
        raise UserError(f"nothing remembered under {key!r} for {user}; `recpilot memory list --user {user}` shows the keys")
    typer.echo(f"forgot {gone} entr{'y' if gone == 1 else 'ies'} for {user}")
