"""``/v1/sessions``: conversations, their preference state and feedback.

Handlers are plain ``def``: FastAPI runs them in its threadpool, since a turn is synchronous
(parsing, tools, the embedded LLM) and may take seconds.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import StreamingResponse

from recpilot.agent.steps import ReplyStep, TurnResult
from recpilot.errors import RecPilotError
from recpilot.ui.api import (
    COMMON,
    NOT_FOUND,
    Caller,
    ServiceDep,
    XUserIdHeader,
    resolve_user,
)
from recpilot.ui.models import (
    SESSION_PATTERN,
    USER_PATTERN,
    FeedbackIn,
    MessageIn,
    SessionCreate,
    SessionCreated,
    SessionList,
    SessionView,
    StatePatch,
    StateView,
    TurnView,
)
from recpilot.ui.service import state_view

log = logging.getLogger("recpilot.server")

router = APIRouter(prefix="/v1/sessions", tags=["sessions"], responses=COMMON)

SessionId = Annotated[str, Path(min_length=1, max_length=100, pattern=SESSION_PATTERN, description="a session id")]


@router.post("", status_code=201, response_model=SessionCreated)
def create_session(request: Request, service: ServiceDep, x_user_id: XUserIdHeader = None,
                   body: SessionCreate | None = None) -> SessionCreated:
    """Starts a conversation for the caller."""
    user = resolve_user(request, x_user_id, body.user_id if body else None)
    session = service.create_session(user)
    return SessionCreated(session_id=session.id, user_id=user)


@router.get("", response_model=SessionList)
def list_sessions(request: Request, service: ServiceDep, x_user_id: XUserIdHeader = None,
                  user_id: Annotated[str | None, Query(min_length=1, max_length=200, pattern=USER_PATTERN)] = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> SessionList:
    """The caller's sessions, newest first."""
    user = resolve_user(request, x_user_id, user_id)
    return SessionList(sessions=service.list_sessions(user, limit))


@router.get("/{session_id}", response_model=SessionView, responses=NOT_FOUND)
def get_session(session_id: SessionId, user: Caller, service: ServiceDep) -> SessionView:
    """A session with its turns and preference state."""
    s = service.session(session_id, user)
    view = state_view(s.id, s.state)
    return SessionView(id=s.id, user_id=s.user_id, catalog=s.catalog, created=s.created, updated=s.updated,
                       state=s.state, chips=view.chips,
                       turns=[TurnView(user=t.user, reply=t.reply, items=t.items, question=t.question)
                              for t in s.turns])


STREAM = {200: {"description": "the turn; with `Accept: text/event-stream`, server-sent events: one `step` "
                              "event per step of the turn (parse, plan, each tool, reply), then `result` with "
                              "the turn (or `error` with a `detail`)",
                "content": {"text/event-stream": {"schema": {"type": "string"}}}}}


@router.post("/{session_id}/messages", response_model=TurnResult, responses={**NOT_FOUND, **STREAM})
def post_message(session_id: SessionId, body: MessageIn, user: Caller, service: ServiceDep,
                 accept: Annotated[str, Header(include_in_schema=False)] = ""):
    """One turn: the same object as ``recpilot ask --json``. Turns on one session run one at a time.
    With ``Accept: text/event-stream`` the steps stream as they happen, then the result."""
    if "text/event-stream" not in accept:
        return service.ask(session_id, user, body.text, body.k, body.history)
    service.check_utterance(body.text)
    service.session(session_id, user)  # 404 and 422 before the stream starts
    steps = service.turn(session_id, user, body.text, body.k, body.history)
    return StreamingResponse(turn_events(steps), media_type="text/event-stream",
                             headers={"cache-control": "no-store", "x-accel-buffering": "no"})


def turn_events(steps) -> Iterator[str]:
    """Server-sent events of one turn; a failure mid-turn ends the stream with an ``error`` event
    (the status line is already sent)."""
    try:
        for step in steps:
            if isinstance(step, ReplyStep):
                yield _event("step", step.model_dump_json(exclude={"result"}))
                yield _event("result", step.result.model_dump_json())
            else:
                yield _event("step", step.model_dump_json())
    except RecPilotError as exc:
        yield _event("error", json.dumps({"detail": str(exc)}))
    except Exception:
        log.exception("a streamed turn failed")
        yield _event("error", json.dumps({"detail": "internal error; please retry"}))


def _event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"


@router.get("/{session_id}/state", response_model=StateView, responses=NOT_FOUND)
def get_state(session_id: SessionId, user: Caller, service: ServiceDep) -> StateView:
    """The preference state, with every removable entry as a chip."""
    return service.state(session_id, user)


@router.patch("/{session_id}/state", response_model=StateView, responses=NOT_FOUND)
def patch_state(session_id: SessionId, body: StatePatch, user: Caller, service: ServiceDep) -> StateView:
    """Removes chips by key, brings back set-aside requests (``restore``), forgets remembered
    entries (``forget``: from the session and long-term memory), and adds hard constraints."""
    return service.edit_state(session_id, user, remove=body.remove, add=body.add, restore=body.restore,
                              forget=body.forget)


@router.post("/{session_id}/feedback", response_model=StateView, responses=NOT_FOUND)
def post_feedback(session_id: SessionId, body: FeedbackIn, user: Caller, service: ServiceDep) -> StateView:
    """like / dislike / more_like_this / accept on an item; a disliked item is never recommended again."""
    return service.feedback(session_id, user, body.item_id, body.kind)
