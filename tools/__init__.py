"""Recommender tools: typed functions whose docstrings are their schemas.

``TOOLS`` is the registry that the planner, the MCP server, LangChain and the HTTP API all
expose; a tool's JSON schema is its argument model's schema.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from recpilot.tools.collaborative import collaborative_items
from recpilot.tools.details import item_details
from recpilot.tools.filter import filter_items
from recpilot.tools.models import (
    CollaborativeArgs,
    DetailsArgs,
    FilterArgs,
    RankArgs,
    RecallArgs,
    SearchArgs,
    SimilarArgs,
)
from recpilot.tools.rank import rank_items
from recpilot.tools.recall import recall_memory
from recpilot.tools.search import search_items
from recpilot.tools.similar import similar_items


@dataclass(frozen=True)
class Tool:
    name: str
    fn: Callable
    args: type[BaseModel]

    @property
    def description(self) -> str:
        doc = inspect.getdoc(self.fn) or ""
        return doc.split("\n\n")[0].strip()

    def schema(self) -> dict:
        return {"name": self.name, "description": self.description, "parameters": self.args.model_json_schema()}

    def __call__(self, ctx, args: BaseModel | dict):
        if not isinstance(args, self.args):
            args = self.args.model_validate(args)
        return self.fn(ctx, args)


def _tool(fn: Callable) -> Tool:
    hints = inspect.get_annotations(fn, eval_str=True)
    args_model = hints.get("args")
    doc = inspect.getdoc(fn)
    if not (isinstance(args_model, type) and issubclass(args_model, BaseModel)) or not doc or "Args:" not in doc:
        raise TypeError(f"tool {fn.__name__} needs a typed pydantic `args` parameter and a docstring with Args:")
    return Tool(fn.__name__, fn, args_model)


TOOLS: dict[str, Tool] = {
    t.name: t
    for t in map(_tool, [search_items, filter_items, rank_items, similar_items, collaborative_items, item_details,
                         recall_memory])
}

__all__ = ["TOOLS", "Tool", "SearchArgs", "FilterArgs", "RankArgs", "SimilarArgs", "CollaborativeArgs", "DetailsArgs",
           "RecallArgs"]
