"""``recpilot state`` and ``recpilot sessions``."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from recpilot.cli.options import MaybeUserOpt, SessionOpt
from recpilot.errors import UserError


def register(app: typer.Typer) -> None:
    app.command("state")(state_cmd)
    app.command("sessions")(sessions_cmd)


def state_cmd(
    ctx: typer.Context,
    session: SessionOpt,
    remove: Annotated[list[str] | None, typer.Option(help="remove a constraint/preference by key")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Show (or edit) a session's preference state."""
    from recpilot.memory.sessions import SessionStore

    store = SessionStore(ctx.obj.store_target)
    sess = store.get(session)
    if remove:
        keys = removable_keys(sess.state)
        unknown = [key for key in remove if key.lower() not in keys]
        if unknown:
            raise UserError(f"session {sess.id} has no entry {', '.join(map(repr, unknown))}; "
                            f"its keys: {', '.join(sorted(keys)) or '(none)'}")
        for key in remove:
            sess.state = sess.state.remove(key)
        store.save(sess)
    if as_json:
        typer.echo(sess.state.model_dump_json())
        return
    typer.echo(f"session {sess.id} (user {sess.user_id}, {len(sess.turns)} turns)")
    for chip in sess.state.chips() or [{"kind": "", "label": "(empty)", "key": ""}]:
        typer.echo(f"  {chip['kind']:<14} {chip['label']:<40} {chip['key']}")


def sessions_cmd(
    ctx: typer.Context,
    user: MaybeUserOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List sessions, newest first."""
    from recpilot.memory.sessions import SessionStore

    rows = SessionStore(ctx.obj.store_target).list(user)
    if as_json:
        typer.echo(json.dumps([r.model_dump() for r in rows]))
        return
    for r in rows:
        when = datetime.fromtimestamp(r.updated).strftime("%Y-%m-%d %H:%M")
        typer.echo(f"{r.id}\t{r.user_id}\t{r.catalog}\t{r.turns} turns\t{when}")


def removable_keys(state) -> set[str]:
    """The keys ``PreferenceState.remove`` acts on: every chip's key, and keywords as written."""
    return {chip["key"] for chip in state.chips()} | {k.lower() for k in state.keywords}
