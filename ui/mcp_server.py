"""The MCP server: the interface tools (``recpilot.ui.toolkit``) over stdio or streamable HTTP.

Each tool's input schema is generated from its pydantic argument model (the catalog tools'
own models in ``recpilot/tools/models.py``), and its output schema from the model it returns.
"""

from __future__ import annotations

import inspect
from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError

from recpilot.errors import RecPilotError
from recpilot.ui import __version__
from recpilot.ui.service import Service
from recpilot.ui.toolkit import InterfaceTool, interface_tools

INSTRUCTIONS = (
    "RecPilot recommends items from a real catalog. Call `recommend` with the user's words (keep the "
    "returned session_id to continue the conversation); use `search_items`, `filter_items`, "
    "`similar_items` and `item_details` to look things up, and `get_preferences` / "
    "`update_preferences` to inspect or edit what the session knows about the user."
)


class _Server(MCPServer):
    async def get_prompt(self, name, arguments=None, context=None):
        # RecPilot publishes no prompts, and the SDK answers a request for an unknown one as a
        # crash: a traceback at ERROR in the server log for every such request, which any
        # client can send. It is the caller's mistake: invalid params (-32602), nothing logged.
        if name not in {p.name for p in await self.list_prompts()}:
            raise MCPError(-32602, f"Unknown prompt: {str(name)[:100]}")
        return await super().get_prompt(name, arguments, context)


def build_mcp(service: Service) -> MCPServer:
    server = _Server("recpilot", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")
    for tool in interface_tools():
        server.add_tool(_function(tool, service), name=tool.name, description=tool.description,
                        structured_output=True)
    return server


def _function(tool: InterfaceTool, service: Service):
    """A function whose signature is the tool's argument model, field by field, so that the
    MCP SDK publishes the model's schema; the call validates with the model itself."""
    params = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[f.annotation, f])
              for name, f in tool.args.model_fields.items()]
    params.append(inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context))

    def call(ctx: Context, **fields):
        try:
            return tool(service, tool.args.model_validate(fields), auth_user=_auth_user(ctx))
        except RecPilotError as exc:  # the caller's mistake or a failed run: its message, no traceback
            raise ToolError(str(exc)) from exc

    call.__name__ = tool.name
    call.__signature__ = inspect.Signature(params, return_annotation=tool.returns)
    call.__annotations__ = {p.name: p.annotation for p in params} | {"return": tool.returns}
    return call


def _auth_user(ctx: Context) -> str | None:
    """The user a per-user bearer token proved (HTTP transport), else None."""
    try:
        request = ctx.request_context.request
    except ValueError:
        return None
    state = getattr(request, "scope", {}).get("state", {}) if request is not None else {}
    return state.get("auth_user")


def run_stdio(service: Service) -> None:
    build_mcp(service).run("stdio")
