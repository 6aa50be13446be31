"""Options several command groups share, checked as the HTTP API checks the same values."""

from __future__ import annotations

from typing import Annotated

import typer

from recpilot.errors import UserError
from recpilot.ids import check_session, check_user


def _user(value: str | None) -> str | None:
    try:
        return None if value is None else check_user(value)
    except UserError as exc:
        raise typer.BadParameter(str(exc)) from None


def _session(value: str | None) -> str | None:
    try:
        return None if value is None else check_session(value)
    except UserError as exc:
        raise typer.BadParameter(str(exc)) from None


UserOpt = Annotated[str, typer.Option(help="user id (long-term memory is per user)", callback=_user)]
MaybeUserOpt = Annotated[str | None, typer.Option(help="only this user's sessions", callback=_user)]
WhoseOpt = Annotated[str, typer.Option(help="whose memory", callback=_user)]
SessionOpt = Annotated[str, typer.Option(help="session id", callback=_session)]
MaybeSessionOpt = Annotated[str | None, typer.Option(help="continue this session", callback=_session)]
