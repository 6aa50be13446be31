"""``/v1/memory``: what long-term memory holds about the caller, and forgetting it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from recpilot.ui.api import COMMON, Caller, ServiceDep
from recpilot.ui.models import Forgotten, MemoryList, MemoryView

router = APIRouter(prefix="/v1/memory", tags=["memory"], responses=COMMON)

MemoryKey = Annotated[str, Path(min_length=3, max_length=300, description='a memory key, e.g. "genres:fantasy" or "item:42"')]


@router.get("", response_model=MemoryList)
def list_memories(user: Caller, service: ServiceDep) -> MemoryList:
    """The caller's remembered taste for this catalog: liked, turned-down and read items, authors
    read in full, and what they said they love or dislike. Requests are never remembered."""
    return MemoryList(memories=[MemoryView(key=m.key, kind=m.kind, text=m.text, session_id=m.session_id, at=m.at)
                                for m in service.memories(user)])


@router.delete("/{key:path}", response_model=Forgotten)
def forget_one(key: MemoryKey, user: Caller, service: ServiceDep) -> Forgotten:
    """Forgets one remembered entry (0 when there was none)."""
    return Forgotten(forgotten=service.forget(user, key))


@router.delete("", response_model=Forgotten)
def forget_all(user: Caller, service: ServiceDep) -> Forgotten:
    """Forgets everything the caller's memory holds for this catalog."""
    return Forgotten(forgotten=service.forget(user))
