"""What every HTTP route shares: the service, the caller's identity, and errors as JSON.

Identity: the user a per-user token names; else the ``X-User-Id`` header; else the
``user_id`` given to ``/v1/sessions``; else ``default``. A session belongs to its user:
anyone else gets 404, exactly as for a session that does not exist.
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from recpilot.agent.agent import DEFAULT_USER
from recpilot.errors import (
    AgentRunError,
    InvalidConstraint,
    InvalidUtterance,
    LimitExceeded,
    RecPilotError,
    SessionBusy,
    SessionConflict,
    SessionNotFound,
    SessionUnreadable,
    UnknownItem,
    UserError,
)
from recpilot.ui.models import USER_PATTERN, Problem
from recpilot.ui.service import Service
from recpilot.ui.toolkit import IdentityMismatch

log = logging.getLogger("recpilot.server")

#: responses every /v1 route may give, so that the OpenAPI schema documents them
COMMON = {
    400: {"model": Problem, "description": "the request cannot be served as asked (the message says why)"},
    401: {"model": Problem, "description": "a token is configured and the request has no valid one"},
    403: {"model": Problem, "description": "the user named does not match the token's user"},
    409: {"model": Problem, "description": "the session is busy with another turn, or changed under this request"},
    413: {"model": Problem, "description": "the request body is larger than the server's limit"},
    429: {"model": Problem, "description": "too many requests from this user or address (see Retry-After)"},
}
NOT_FOUND = {404: {"model": Problem, "description": "no such session for this user, or no such item"}}


def get_service(request: Request) -> Service:
    return request.app.state.service


def resolve_user(request: Request, header: str | None, claimed: str | None = None) -> str:
    """The caller's user id (see the module docstring); a contradiction is 403."""
    token_user = getattr(request.state, "auth_user", None)
    named = {u for u in (header, claimed) if u}
    if token_user is not None:
        if named - {token_user}:
            raise IdentityMismatch("the user named does not match the token's user")
        return token_user
    if len(named) > 1:
        raise IdentityMismatch("user_id does not match the X-User-Id header")
    return header or claimed or DEFAULT_USER


XUserIdHeader = Annotated[str | None, Header(min_length=1, max_length=200, pattern=USER_PATTERN,
                                             description="who is calling; must match a per-user token's user")]


def caller(request: Request, x_user_id: XUserIdHeader = None) -> str:
    return resolve_user(request, x_user_id)


Caller = Annotated[str, Depends(caller)]
ServiceDep = Annotated[Service, Depends(get_service)]


def install_error_handlers(app: FastAPI) -> None:
    def problem(status: int, detail: str) -> JSONResponse:
        return JSONResponse({"detail": detail}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        return unprocessable(exc.errors())

    @app.exception_handler(RecPilotError)
    async def _recpilot(request: Request, exc: RecPilotError):
        if isinstance(exc, InvalidUtterance):
            return unprocessable([{"type": "value_error", "loc": ("body", "text"), "msg": str(exc)}])
        if isinstance(exc, (InvalidConstraint, LimitExceeded)):
            return unprocessable([{"type": "value_error", "loc": ("body",), "msg": str(exc)}])
        if isinstance(exc, (SessionBusy, SessionConflict, SessionUnreadable)):
            return problem(409, str(exc))
        if isinstance(exc, (SessionNotFound, UnknownItem)):
            return problem(404, str(exc))
        if isinstance(exc, IdentityMismatch):
            return problem(403, str(exc))
        if isinstance(exc, UserError):
            return problem(400, str(exc))
        if isinstance(exc, AgentRunError):
            return problem(503, f"the recommender could not finish: {exc}")
        return _internal(exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        return _internal(exc)


def unprocessable(errors) -> JSONResponse:
    """422 in FastAPI's shape, without the offending input (which may be a megabyte, or not
    even JSON-serialisable): where each problem is and what it is, at most 20 of them."""
    def short(part) -> str | int:
        return part if isinstance(part, int) else str(part)[:60]

    shown = [{"type": e.get("type", "value_error"), "loc": [short(p) for p in e.get("loc", ())][:8],
              "msg": str(e.get("msg", ""))[:300]} for e in list(errors)[:20]]
    return JSONResponse({"detail": shown}, status_code=422)


def _internal(exc: Exception) -> JSONResponse:
    ref = uuid.uuid4().hex[:8]
    log.error("internal error %s", ref, exc_info=exc)
    return JSONResponse({"detail": f"internal error (reference {ref}); please retry"},
                        status_code=500)
