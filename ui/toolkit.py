"""The tools other agents call (MCP, LangChain): the catalog tools of ``recpilot.tools`` plus
three conversation tools over the agent core, each with one pydantic argument model.

MCP and LangChain both build on this list, so a tool's name, description, argument schema
and behaviour are the same whichever way it is reached.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from recpilot.agent.agent import DEFAULT_USER
from recpilot.agent.steps import TurnResult
from recpilot.errors import UserError
from recpilot.tools import TOOLS
from recpilot.ui.models import RecommendArgs, SessionArgs, StateView, UpdatePreferencesArgs
from recpilot.ui.service import Service

CATALOG_TOOLS = ("search_items", "filter_items", "item_details", "similar_items")


class IdentityMismatch(UserError):
    pass


@dataclass(frozen=True)
class InterfaceTool:
    name: str
    description: str
    args: type[BaseModel]
    returns: type[BaseModel]
    run: Callable[[Service, BaseModel], BaseModel]

    def __call__(self, service: Service, args: BaseModel | dict, auth_user: str | None = None) -> BaseModel:
        """Validates ``args`` with the tool's model and runs it; ``auth_user`` is the caller a
        per-user token proved, which a ``user_id`` argument may not contradict."""
        if not isinstance(args, self.args):
            args = self.args.model_validate(args)
        if auth_user is not None and "user_id" in self.args.model_fields:
            if args.user_id not in (auth_user, DEFAULT_USER):
                raise IdentityMismatch(f"user_id {args.user_id!r} does not match the authenticated user")
            args = args.model_copy(update={"user_id": auth_user})
        return self.run(service, args)


def _recommend(service: Service, args: RecommendArgs) -> TurnResult:
    return service.recommend(args.user_id, args.message, args.session_id, args.k, args.history)


def _get_preferences(service: Service, args: SessionArgs) -> StateView:
    return service.state(args.session_id, args.user_id)


def _update_preferences(service: Service, args: UpdatePreferencesArgs) -> StateView:
    return service.edit_state(args.session_id, args.user_id, remove=args.remove, add=args.add)


def _catalog_tool(name: str) -> InterfaceTool:
    tool = TOOLS[name]
    returns = inspect.get_annotations(tool.fn, eval_str=True)["return"]
    return InterfaceTool(name, tool.description, tool.args, returns,
                         lambda service, args: service.run_tool(name, args))


def interface_tools() -> list[InterfaceTool]:
    return [
        InterfaceTool(
            "recommend",
            "Talks to the recommender as the user: returns recommended catalog items with reasons, an "
            "optional clarifying question, and the session's preference state. Omit session_id to start "
            "a new conversation; pass the returned session_id to continue it.",
            RecommendArgs, TurnResult, _recommend),
        *[_catalog_tool(name) for name in CATALOG_TOOLS],
        InterfaceTool(
            "get_preferences",
            "Returns a session's preference state: hard constraints, soft likes and dislikes, liked and "
            "rejected items, each as a chip with a key that update_preferences can remove.",
            SessionArgs, StateView, _get_preferences),
        InterfaceTool(
            "update_preferences",
            "Edits a session's preference state: removes entries by chip key and adds hard constraints "
            "(field, op include/exclude/gte/lte, value). The next recommend call uses the new state.",
            UpdatePreferencesArgs, StateView, _update_preferences),
    ]
