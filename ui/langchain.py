"""LangChain tools over the same interface tools as MCP: ``get_tools(agent)``.

Each is a ``StructuredTool`` whose ``args_schema`` is the tool's pydantic argument model and
whose result is the returned model as a JSON-ready dict.
"""

from __future__ import annotations

from langchain_core.tools import StructuredTool, ToolException

from recpilot.agent.agent import RecPilot
from recpilot.errors import RecPilotError
from recpilot.ui.service import Service
from recpilot.ui.toolkit import InterfaceTool, interface_tools


def get_tools(agent: RecPilot | Service, names: list[str] | None = None) -> list[StructuredTool]:
    """The interface tools (all, or those named) as LangChain tools bound to ``agent``."""
    service = agent if isinstance(agent, Service) else Service(agent)
    tools = [t for t in interface_tools() if names is None or t.name in names]
    return [_structured(t, service) for t in tools]


def _structured(tool: InterfaceTool, service: Service) -> StructuredTool:
    def run(**fields) -> dict:
        try:
            return tool(service, fields).model_dump(mode="json")
        except RecPilotError as exc:  # shown to the model as the tool's answer, so it can correct itself
            raise ToolException(str(exc)) from exc

    return StructuredTool.from_function(func=run, name=tool.name, description=tool.description,
                                        args_schema=tool.args, handle_tool_error=True,
                                        handle_validation_error=_explain)


def _explain(exc) -> str:
    """A validation error as one line the model can act on."""
    errors = getattr(exc, "errors", lambda: [])()
    return "invalid arguments: " + ("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
                                    or str(exc))


_GRAMMAR_LIMITS = ("maxLength", "minLength", "maxItems", "minItems")


def llamacpp_tool_specs(tools: list[StructuredTool]) -> list[dict]:
    """The tools as OpenAI tool dicts for ``ChatLlamaCpp.bind_tools``, without length bounds.

    llama.cpp turns a JSON schema into a grammar and expands ``maxLength: 2000`` into 2000
    nested repetitions, which it refuses (and llama-cpp-python 0.3 then crashes the process).
    The calls still go to the tools themselves, which enforce every bound on the way in.
    """
    from langchain_core.utils.function_calling import convert_to_openai_tool

    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in _GRAMMAR_LIMITS}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return [strip(convert_to_openai_tool(t)) for t in tools]
