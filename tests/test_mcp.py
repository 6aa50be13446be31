"""The MCP server (``recpilot.ui.mcp_server``): in-process, over stdio (``recpilot mcp``) and over
streamable HTTP (``/mcp`` of ``recpilot serve``), with the ``mcp`` client library."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from conftest import RECPILOT_BIN, REPO, make_agent
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from recpilot.tools import TOOLS
from recpilot.ui.mcp_server import build_mcp
from recpilot.ui.models import RecommendArgs, SessionArgs, UpdatePreferencesArgs
from recpilot.ui.service import Service

EXPECTED = {"recommend", "search_items", "filter_items", "item_details", "similar_items", "get_preferences",
            "update_preferences"}


@pytest.fixture(scope="module")
def mcp_server(demo_settings):
    return build_mcp(Service(make_agent(demo_settings)))


def _run(coro):
    return asyncio.run(asyncio.wait_for(coro, timeout=120))


def _user() -> str:
    return f"mcp-{uuid.uuid4().hex[:8]}"


def _strip_titles(schema: dict) -> dict:
    return {k: v for k, v in schema.items() if k not in ("title", "additionalProperties")}


def test_mcp_tool_input_schemas_come_from_the_tool_models(mcp_server):
    async def tools():
        async with Client(mcp_server) as client:
            return {t.name: t for t in (await client.list_tools()).tools}

    listed = _run(tools())
    assert set(listed) == EXPECTED
    models = {name: TOOLS[name].args for name in ("search_items", "filter_items", "item_details", "similar_items")}
    models |= {"recommend": RecommendArgs, "get_preferences": SessionArgs, "update_preferences": UpdatePreferencesArgs}
    for name, model in models.items():
        published, own = listed[name].input_schema, model.model_json_schema()
        assert published["properties"] == own["properties"], name
        assert sorted(published.get("required", [])) == sorted(own.get("required", [])), name
        assert listed[name].output_schema is not None and listed[name].description
    assert listed["search_items"].description == TOOLS["search_items"].description


def test_mcp_conversation_tools_in_process(mcp_server, demo_catalog):
    user = _user()

    async def talk():
        async with Client(mcp_server) as client:
            first = await client.call_tool("recommend", {"message": "a fantasy novel from the 90s", "user_id": user})
            sid = first.structured_content["session_id"]
            prefs = await client.call_tool("get_preferences", {"session_id": sid, "user_id": user})
            key = next(c["key"] for c in prefs.structured_content["chips"] if c["key"].startswith("genres"))
            edited = await client.call_tool("update_preferences", {"session_id": sid, "user_id": user,
                                                                   "remove": [key]})
            stranger = await client.call_tool("get_preferences", {"session_id": sid, "user_id": _user()})
            missing = await client.call_tool("item_details", {"item_id": "no-such-item"})
            invalid = await client.call_tool("search_items", {"query": ""})
            return first, edited, stranger, missing, invalid

    first, edited, stranger, missing, invalid = _run(talk())
    assert not first.is_error and first.structured_content["user_id"] == user
    items = first.structured_content["items"]
    assert len(items) == 5 and all(1990 <= demo_catalog.get(i["id"]).numeric["year"] <= 1999 for i in items)
    assert not any(c["key"].startswith("genres") for c in edited.structured_content["chips"])
    assert stranger.is_error and "unknown session" in stranger.content[0].text
    assert missing.is_error and "unknown item id" in missing.content[0].text
    assert invalid.is_error and "query" in invalid.content[0].text and "Traceback" not in invalid.content[0].text


def test_mcp_catalog_tools_in_process(mcp_server, demo_catalog):
    async def look():
        async with Client(mcp_server) as client:
            found = await client.call_tool("filter_items", {"constraints": [
                {"field": "year", "op": "gte", "value": 2010}, {"field": "genres", "op": "include", "value": "horror"}]})
            similar = await client.call_tool("similar_items", {"item_id": "1", "limit": 5})
            details = await client.call_tool("item_details", {"item_id": "1"})
            return found, similar, details

    found, similar, details = _run(look())
    hits = found.structured_content["items"]
    assert hits and all(demo_catalog.get(h["id"]).numeric["year"] >= 2010 for h in hits)
    assert all("horror" in demo_catalog.get(h["id"]).categorical["genres"] for h in hits)
    assert len(similar.structured_content["items"]) == 5 and "1" not in [h["id"] for h in similar.structured_content["items"]]
    assert details.structured_content["title"] == demo_catalog.get("1").title


@pytest.mark.slow
def test_mcp_stdio_recommends_from_the_catalog(copy_demo_home, demo_catalog):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECPILOT_")}
    env |= {"RECPILOT_HOME": str(copy_demo_home()), "RECPILOT_LLM__BACKEND": "none", "HF_HUB_OFFLINE": "1"}
    params = StdioServerParameters(command=str(RECPILOT_BIN), args=["mcp"], env=env, cwd=str(REPO))
    user = _user()

    async def talk():
        async with Client(params) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            first = await client.call_tool("recommend", {"message": "a mystery with a detective", "user_id": user})
            sid = first.structured_content["session_id"]
            more = await client.call_tool("recommend", {"message": "something newer", "user_id": user,
                                                        "session_id": sid})
            return names, first, more

    names, first, more = _run(talk())
    assert names == EXPECTED
    assert first.structured_content["items"] and more.structured_content["session_id"] == first.structured_content["session_id"]
    for item in first.structured_content["items"] + more.structured_content["items"]:
        assert demo_catalog.get(item["id"]).title == item["title"]


@pytest.mark.slow
def test_mcp_streamable_http_with_a_per_user_token(copy_demo_home, start_server, demo_catalog):
    import httpx
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    server = start_server(copy_demo_home(), env={"RECPILOT_API_TOKEN": "alice:tok-alice"})
    url = f"{server.url}/mcp"

    def authed(token: str):
        return streamable_http_client(url, http_client=httpx2.AsyncClient(
            headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(60)))

    async def talk():
        async with Client(authed("tok-alice")) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            first = await client.call_tool("recommend", {"message": "science fiction with robots"})
            impostor = await client.call_tool("recommend", {"message": "horror", "user_id": "bob"})
            return names, first, impostor

    names, first, impostor = _run(talk())
    assert names == EXPECTED
    turn = first.structured_content
    assert turn["user_id"] == "alice" and all(demo_catalog.has(i["id"]) for i in turn["items"])
    assert impostor.is_error and "does not match" in impostor.content[0].text
    # the same core behind the HTTP API: the MCP session is alice's session there too
    r = httpx.get(f"{server.url}/v1/sessions/{turn['session_id']}", headers={"Authorization": "Bearer tok-alice"})
    assert r.status_code == 200 and r.json()["turns"][0]["user"] == "science fiction with robots"
    assert httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).status_code == 401

    async def wrong_token():
        async with Client(authed("nope")) as client:
            await client.list_tools()

    with pytest.raises(Exception):  # noqa: B017 - the client surfaces the 401 as its own error type
        _run(wrong_token())
