"""LangChain tools (``recpilot.ui.langchain.get_tools``) driven by a tool-calling chat model."""

from __future__ import annotations

import json

import pytest
from conftest import make_agent
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from recpilot.tools import TOOLS
from recpilot.ui.langchain import get_tools, llamacpp_tool_specs
from recpilot.ui.models import RecommendArgs


@pytest.fixture(scope="module")
def lc_tools(demo_settings):
    return {t.name: t for t in get_tools(make_agent(demo_settings))}


class ScriptedToolCaller(BaseChatModel):
    """A fake tool-calling chat model: searches, looks up the first hit, then answers with it.

    It reads the tool results it is given (never a hard-coded id), like a real model would.
    """

    query: str = "a boy wizard at a school of magic"
    bound: list[str] = []

    @property
    def _llm_type(self) -> str:
        return "scripted-tool-caller"

    def bind_tools(self, tools, **kwargs):
        return self.model_copy(update={"bound": [t.name for t in tools]})

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        results = [m for m in messages if isinstance(m, ToolMessage)]
        if not results:
            reply = AIMessage("", tool_calls=[{"name": "search_items", "args": {"query": self.query}, "id": "c1"}])
        elif len(results) == 1:
            first = json.loads(results[0].content)["items"][0]["id"]
            reply = AIMessage("", tool_calls=[{"name": "item_details", "args": {"item_id": first}, "id": "c2"}])
        else:
            details = json.loads(results[-1].content)
            reply = AIMessage(f"Try {details['title']} ({details['fields'].get('year')}).")
        return ChatResult(generations=[ChatGeneration(message=reply)])


def run_chain(model, tools: list, question: str, max_steps: int = 5):
    """The standard tool-calling loop: model -> tool calls -> tool messages -> model."""
    by_name = {t.name: t for t in tools}
    bound = model.bind_tools(tools)
    messages = [HumanMessage(question)]
    for _ in range(max_steps):
        reply = bound.invoke(messages)
        messages.append(reply)
        if not reply.tool_calls:
            return reply, messages
        messages += [by_name[call["name"]].invoke(call) for call in reply.tool_calls]
    raise AssertionError("the chain did not finish")


def test_langchain_tools_share_the_tool_models(lc_tools):
    assert set(lc_tools) == {"recommend", "search_items", "filter_items", "item_details", "similar_items",
                             "get_preferences", "update_preferences"}
    for name in ("search_items", "filter_items", "item_details", "similar_items"):
        assert lc_tools[name].args_schema is TOOLS[name].args
        assert lc_tools[name].description == TOOLS[name].description
    assert lc_tools["recommend"].args_schema is RecommendArgs


def test_langchain_tool_calling_chain_returns_catalog_items(lc_tools, demo_catalog):
    final, messages = run_chain(ScriptedToolCaller(), list(lc_tools.values()), "any book about wizards?")
    tool_messages = [m for m in messages if isinstance(m, ToolMessage)]
    assert [m.name for m in tool_messages] == ["search_items", "item_details"]
    hits = json.loads(tool_messages[0].content)["items"]
    assert hits and all(demo_catalog.get(h["id"]).title == h["title"] for h in hits)
    details = json.loads(tool_messages[1].content)
    assert details["id"] == hits[0]["id"] and details["title"] in final.content


def test_langchain_recommend_tool_keeps_the_conversation(lc_tools, user_id, demo_catalog):
    first = lc_tools["recommend"].invoke({"message": "a horror novel", "user_id": user_id})
    again = lc_tools["recommend"].invoke({"message": "from after 2000", "user_id": user_id,
                                          "session_id": first["session_id"]})
    assert again["session_id"] == first["session_id"]
    for item in again["items"]:
        book = demo_catalog.get(item["id"])
        assert book.numeric["year"] >= 2000 and "horror" in book.categorical["genres"]
    prefs = lc_tools["get_preferences"].invoke({"session_id": first["session_id"], "user_id": user_id})
    assert {c["kind"] for c in prefs["chips"]} >= {"constraint"}


def test_langchain_tool_errors_go_back_to_the_model(lc_tools):
    unknown = lc_tools["item_details"].invoke({"name": "item_details", "args": {"item_id": "no-such-item"},
                                               "id": "c9", "type": "tool_call"})
    assert unknown.status == "error" and "unknown item id" in unknown.content
    invalid = lc_tools["search_items"].invoke({"name": "search_items", "args": {"query": ""}, "id": "c8",
                                               "type": "tool_call"})
    assert invalid.status == "error" and "query" in invalid.content


def test_langchain_llamacpp_specs_drop_only_length_bounds(lc_tools):
    spec = llamacpp_tool_specs([lc_tools["search_items"]])[0]["function"]
    props = spec["parameters"]["properties"]
    assert spec["name"] == "search_items" and "maxLength" not in json.dumps(spec)
    assert props["limit"]["maximum"] == 2000 and set(props) == {"query", "constraints", "limit", "mode"}


@pytest.mark.model
@pytest.mark.slow
def test_langchain_chatllamacpp_calls_search_items_on_the_embedded_model(lc_tools, real_llm, demo_catalog):
    chat = real_llm.to_langchain()
    chat.max_tokens = 64
    tool = lc_tools["search_items"]
    bound = chat.bind_tools(llamacpp_tool_specs([tool]),
                            tool_choice={"type": "function", "function": {"name": "search_items"}})
    reply = bound.invoke("I would like a cozy mystery novel")
    assert reply.tool_calls and reply.tool_calls[0]["name"] == "search_items"
    result = tool.invoke(reply.tool_calls[0])
    assert result.status == "success", result.content
    hits = json.loads(result.content)["items"]
    assert hits and all(demo_catalog.get(h["id"]).title == h["title"] for h in hits)
