"""Pydantic models that cross the tool boundary (arguments and results)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from recpilot.preferences import Constraint


class ItemHit(BaseModel):
    id: str
    title: str
    score: float = 0.0
    reason: str = ""


class ToolResult(BaseModel):
    """Candidates after the tool ran (first ``limit`` shown) and the size of the bus."""

    items: list[ItemHit] = Field(default_factory=list)
    candidates: int = 0
    note: str = ""


class SearchArgs(BaseModel):
    model_config = {"extra": "forbid"}
    query: str = Field(min_length=1, max_length=2000, description="what to look for, in words")
    constraints: list[Constraint] = Field(default_factory=list, description="hard constraints to apply")
    limit: int = Field(200, ge=1, le=2000, description="how many candidates to retrieve")
    mode: Literal["replace", "merge"] = Field("replace", description="replace the candidate set or add to it")


class FilterArgs(BaseModel):
    model_config = {"extra": "forbid"}
    constraints: list[Constraint] = Field(default_factory=list)
    exclude_ids: list[str] = Field(default_factory=list, max_length=10000)
    include_ids: list[str] | None = Field(None, max_length=10000, description="keep only these ids")
    scope: Literal["candidates", "catalog"] = Field(
        "candidates", description="filter the current candidates, or the whole catalog (most popular first)"
    )
    limit: int = Field(500, ge=1, le=100000)
    mode: Literal["replace", "merge"] = Field(
        "replace", description="with scope catalog: replace the candidate set, or merge into it")


class RankArgs(BaseModel):
    model_config = {"extra": "forbid"}
    k: int = Field(5, ge=1, le=100)
    query: str | None = Field(None, max_length=2000, description="text the items should be close to")


class SimilarArgs(BaseModel):
    model_config = {"extra": "forbid"}
    item_id: str = Field(min_length=1, max_length=200)
    limit: int = Field(50, ge=1, le=500)
    mode: Literal["replace", "merge"] = "merge"


class CollaborativeArgs(BaseModel):
    model_config = {"extra": "forbid"}
    limit: int = Field(100, ge=1, le=500)
    mode: Literal["replace", "merge"] = "merge"


class DetailsArgs(BaseModel):
    model_config = {"extra": "forbid"}
    item_id: str = Field(min_length=1, max_length=200)


class ItemDetails(BaseModel):
    id: str
    title: str
    fields: dict[str, Any]


class RecallArgs(BaseModel):
    model_config = {"extra": "forbid"}
    query: str | None = Field(None, max_length=2000)
    limit: int = Field(20, ge=1, le=200)
