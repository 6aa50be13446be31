"""``/v1/items``: catalog lookup and search, outside any conversation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from recpilot.tools.models import DetailsArgs, ItemDetails, SearchArgs, ToolResult
from recpilot.ui.api import COMMON, NOT_FOUND, ServiceDep

router = APIRouter(prefix="/v1/items", tags=["items"], responses=COMMON)


@router.get("/search", response_model=ToolResult)
def search_items(service: ServiceDep,
                 query: Annotated[str, Query(min_length=1, max_length=2000, description="what to look for")],
                 k: Annotated[int, Query(ge=1, le=10, description="how many items (at most 10)")] = 10) -> ToolResult:
    """Semantic search over the catalog (the ``search_items`` tool)."""
    result = service.run_tool("search_items", SearchArgs(query=query, limit=k))
    result.items = result.items[:k]
    return result


@router.get("/{item_id}", response_model=ItemDetails, responses=NOT_FOUND)
def get_item(item_id: Annotated[str, Path(min_length=1, max_length=200)], service: ServiceDep) -> ItemDetails:
    """Every field of one item (the ``item_details`` tool)."""
    return service.run_tool("item_details", DetailsArgs(item_id=item_id))
