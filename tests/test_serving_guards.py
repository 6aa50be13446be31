"""Regression tests for the serving bugs of issue 11 (fixed in 91fee9a), one test per bug.

An empty API token, non-finite and non-numeric constraint bounds, sessions poisoned by a stored
bad constraint, bodies that are not plain JSON or that a 422 would echo, sessions that grow
without end, bodies and requests that stall the server, Host names on loopback (DNS rebinding),
and user and session ids at the CLI and the API. In-process (``TestClient``, the MCP client on
the server object, ``typer``'s ``CliRunner``) except where a real process is the point.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
import uuid

import pytest
from conftest import make_agent
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError
from sqlalchemy import text as sql

from recpilot.errors import ConfigError
from recpilot.ids import SESSION_RULE, USER_RULE
from recpilot.preferences import MAX_CONSTRAINTS, Constraint
from recpilot.settings import LLMSettings, Settings
from recpilot.ui.app import build_app
from recpilot.ui.security import Tokens, check_bind

BASE = "http://127.0.0.1"  # the Host check refuses TestClient's default "testserver"
JSON = {"content-type": "application/json"}
#: a 422 says where and what (at most 20 problems), never the input: its size does not grow with the body
SHORT = 4096


# --- helpers ----------------------------------------------------------------------------------------
def _with_server(settings: Settings, **changes) -> Settings:
    return settings.model_copy(update={"server": settings.server.model_copy(update=changes)})


def _client(settings: Settings, agent, *, mcp: bool = False, host: str | None = None, **server) -> TestClient:
    app = build_app(_with_server(settings, **server), agent, web=False, mcp=mcp, host=host)
    return TestClient(app, base_url=BASE, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def guard_agent(demo_settings):
    return make_agent(demo_settings)


@pytest.fixture(scope="module")
def client(demo_settings, guard_agent):
    """No rate limits here (these tests make many quick requests); the limits have tests of their own."""
    with _client(demo_settings, guard_agent, rate_per_user=0, rate_per_ip=0) as c:
        yield c


def _user() -> str:
    return f"guard-{uuid.uuid4().hex[:8]}"


def _new_session(client: TestClient) -> tuple[str, dict[str, str]]:
    h = {"X-User-Id": _user()}
    r = client.post("/v1/sessions", headers=h)
    assert r.status_code == 201, r.text
    return r.json()["session_id"], h


def _constraints(client: TestClient, sid: str, h: dict) -> list[dict]:
    r = client.get(f"/v1/sessions/{sid}/state", headers=h)
    assert r.status_code == 200, r.text
    return r.json()["state"]["constraints"]


def _assert_session_works(client: TestClient, sid: str, h: dict, text: str = "a fantasy novel") -> dict:
    """GET state, GET session, a PATCH that removes nothing and a turn: all 200. Returns the turn."""
    calls = [("GET", f"/v1/sessions/{sid}/state", None), ("GET", f"/v1/sessions/{sid}", None),
             ("PATCH", f"/v1/sessions/{sid}/state", {"remove": []}),
             ("POST", f"/v1/sessions/{sid}/messages", {"text": text})]
    for method, path, body in calls:
        r = client.request(method, path, json=body, headers=h)
        assert r.status_code == 200, (method, path, r.status_code, r.text[:300])
    return r.json()


def _assert_short_422(r, *never: str) -> None:
    assert r.status_code == 422, (r.status_code, r.text[:300])
    assert len(r.content) < SHORT, len(r.content)
    assert r.json()["detail"]
    for word in never:
        assert word not in r.text


def _run(coro):
    return asyncio.run(asyncio.wait_for(coro, timeout=120))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- 1. an empty API token ----------------------------------------------------------------------------
def test_empty_api_token_is_a_configuration_error_not_no_authentication(demo_settings, guard_agent, monkeypatch):
    for blank in ("", "  ", "\t\n"):
        settings = demo_settings.model_copy(update={"api_token": SecretStr(blank)})
        with pytest.raises(ConfigError, match="RECPILOT_API_TOKEN is set but empty"):
            Tokens.from_settings(settings)
        with pytest.raises(ConfigError, match="RECPILOT_API_TOKEN"):
            check_bind("0.0.0.0", settings)
        with pytest.raises(ConfigError, match="RECPILOT_API_TOKEN"):  # on loopback too: no app without auth
            build_app(settings, guard_agent, web=False, mcp=False, host="127.0.0.1")
    for blank in ("", "  "):  # as the environment gives it
        monkeypatch.setenv("RECPILOT_API_TOKEN", blank)
        with pytest.raises(ConfigError, match="empty"):
            Tokens.from_settings(Settings(home=demo_settings.home, llm=LLMSettings(backend="none")))
    monkeypatch.delenv("RECPILOT_API_TOKEN")
    assert not Tokens.from_settings(demo_settings).required  # unset: no authentication, on loopback only


def test_per_user_tokens_name_valid_users_and_never_share_a_token(demo_settings):
    def tokens(raw: str) -> Tokens:
        return Tokens.from_settings(demo_settings.model_copy(update={"api_token": SecretStr(raw)}))

    for bad in ("a b:tok1", "../x:tok2", ":tok3"):
        with pytest.raises(ConfigError, match="RECPILOT_API_TOKEN"):
            tokens(bad)
    with pytest.raises(ConfigError, match="two users"):
        tokens("alice:same,bob:same")
    assert tokens("alice:t1,bob:t2").check("t2") == (True, "bob")
    with pytest.raises(ConfigError):
        check_bind("0.0.0.0", demo_settings)


@pytest.mark.slow
def test_empty_api_token_refuses_to_start_beyond_loopback_and_on_loopback(run_cli, tmp_path):
    home = tmp_path / "home"  # nothing to serve: the token check must stop it before the catalog loads
    for host in ("0.0.0.0", "127.0.0.1"):
        done = run_cli(home, "serve", "--host", host, "--port", str(_free_port()),
                       env={"RECPILOT_API_TOKEN": "  "}, timeout=60)
        assert done.returncode != 0, (host, done.stdout[-500:], done.stderr[-500:])
        assert "RECPILOT_API_TOKEN" in done.stderr and "empty" in done.stderr, done.stderr[-500:]
        assert "Traceback" not in done.stderr and "RecPilot on" not in done.stdout
    assert not (home / "catalogs").exists()


# --- 2. NaN and infinity as a bound -------------------------------------------------------------------
def test_non_finite_bound_in_a_state_patch_is_422_and_does_not_poison_the_session(client):
    sid, h = _new_session(client)
    good = '{"field": "year", "op": "lte", "value": 2015}'
    huge = "1" + "0" * 400  # a JSON integer too large to be a float
    for literal in ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1E999", huge, f"-{huge}"):
        for add in (f'[{{"field": "year", "op": "gte", "value": {literal}}}]',
                    f'[{good}, {{"field": "year", "op": "gte", "value": {literal}}}]'):  # all or nothing
            body = f'{{"add": {add}}}'.encode()
            r = client.patch(f"/v1/sessions/{sid}/state", content=body, headers={**h, **JSON})
            _assert_short_422(r)
            assert _constraints(client, sid, h) == [], literal
    turn = _assert_session_works(client, sid, h)
    assert turn["items"]


def test_constraint_model_refuses_non_finite_bounds():
    """What the server's JSON check does not see (stdio MCP, a Python caller, an integer of 400 digits)
    still stops here, as a validation error: 10**400 used to escape as an OverflowError (a 500)."""
    for value in (float("nan"), float("inf"), float("-inf"), 10**400, -(10**400)):
        with pytest.raises(ValidationError, match="finite"):
            Constraint(field="year", op="gte", value=value)
    assert Constraint(field="year", op="gte", value=10**300).value == 1e300


# --- 3. bounds that are not numbers; constraints the catalog cannot apply ------------------------------
BAD_BOUNDS = ["1990s", "", "   ", "0x10", "abc", "1e400", "nan", "inf", "-Infinity", True, False, None, [1], {"a": 1}]


def test_non_numeric_bound_is_422_and_leaves_the_state_unchanged(client, guard_agent):
    sid, h = _new_session(client)
    url = f"/v1/sessions/{sid}/state"
    assert client.patch(url, json={"add": [{"field": "year", "op": "lte", "value": 2015}]}, headers=h).status_code == 200
    before = _constraints(client, sid, h)
    for value in BAD_BOUNDS:
        r = client.patch(url, json={"add": [{"field": "year", "op": "gte", "value": value}]}, headers=h)
        _assert_short_422(r)
        assert _constraints(client, sid, h) == before, value
    msg = client.patch(url, json={"add": [{"field": "year", "op": "gte", "value": "1990s"}]}, headers=h).json()
    assert "needs a number" in msg["detail"][0]["msg"]

    wrong = [{"field": "year", "op": "include", "value": "1990"},     # include on a numeric field
             {"field": "year", "op": "exclude", "value": 1990},
             {"field": "genres", "op": "gte", "value": 3},            # a bound on a categorical field
             {"field": "genres", "op": "lte", "value": "3"},
             {"field": "colour", "op": "include", "value": "red"},    # no such field
             {"field": "colour", "op": "gte", "value": 3}]
    for c in wrong:
        _assert_short_422(client.patch(url, json={"add": [c]}, headers=h))
        assert _constraints(client, sid, h) == before, c
    assert client.post(f"/v1/sessions/{sid}/messages", json={"text": "something else"}, headers=h).status_code == 200

    r = client.patch(url, json={"add": [{"field": "year", "op": "gte", "value": "1990"}]}, headers=h)
    assert r.status_code == 200, r.text
    year = [c for c in r.json()["state"]["constraints"] if c["field"] == "year" and c["op"] == "gte"]
    assert len(year) == 1 and year[0]["value"] == 1990 and not isinstance(year[0]["value"], str)
    assert "year:gte:1990" in {c["key"] for c in r.json()["chips"]}
    turn = client.post(f"/v1/sessions/{sid}/messages", json={"text": "show me more"}, headers=h)
    assert turn.status_code == 200
    for item in turn.json()["items"]:
        assert 1990 <= guard_agent.catalog.get(item["id"]).numeric["year"] <= 2015


def test_mcp_bad_bound_is_an_error_result_and_the_session_still_recommends(guard_agent):
    from mcp import Client

    from recpilot.ui.mcp_server import build_mcp
    from recpilot.ui.service import Service

    server = build_mcp(Service(guard_agent))
    user = _user()

    def bound(value, field="year", op="gte"):
        return [{"field": field, "op": op, "value": value}]

    async def talk():
        async with Client(server) as c:
            first = await c.call_tool("recommend", {"message": "a fantasy novel", "user_id": user})
            sid = first.structured_content["session_id"]
            edits = [await c.call_tool("update_preferences", {"session_id": sid, "user_id": user, "add": bound(v)})
                     for v in ("1990s", "nan", "1e400", "", True, 10**400)]
            edits.append(await c.call_tool("update_preferences", {"session_id": sid, "user_id": user,
                                                                  "add": bound(3, "genres")}))
            prefs = await c.call_tool("get_preferences", {"session_id": sid, "user_id": user})
            again = await c.call_tool("recommend", {"message": "something newer", "user_id": user, "session_id": sid})
            filters = [await c.call_tool("filter_items", {"constraints": bound(v)})
                       for v in ("1990s", "abc", "inf", 10**400)]
            filters.append(await c.call_tool("filter_items", {"constraints": bound(5, "genres")}))
            fine = await c.call_tool("filter_items", {"constraints": bound("1990"), "scope": "catalog"})
            return first, edits, prefs, again, filters, fine

    first, edits, prefs, again, filters, fine = _run(talk())
    assert not first.is_error
    for result in edits + filters:
        assert result.is_error and result.content and "Traceback" not in result.content[0].text
    assert "needs a number" in edits[0].content[0].text and "needs a number" in filters[0].content[0].text
    assert not any(c["key"].startswith("year:gte") for c in prefs.structured_content["chips"])
    assert not again.is_error and again.structured_content["items"]
    assert not fine.is_error
    assert all(guard_agent.catalog.get(h["id"]).numeric["year"] >= 1990 for h in fine.structured_content["items"])


# --- 4. a session stored with a bad constraint --------------------------------------------------------
def _rewrite_state(agent, sid: str, change) -> None:
    with agent.store.engine.connect() as conn:
        body = json.loads(conn.execute(sql("SELECT body FROM sessions WHERE id = :id"), {"id": sid}).scalar_one())
    change(body)
    with agent.store.engine.connect().execution_options(write=True) as conn, conn.begin():
        conn.execute(sql("UPDATE sessions SET body = :b WHERE id = :id"), {"b": json.dumps(body), "id": sid})


def _stored_constraints(agent, sid: str) -> list[dict]:
    with agent.store.engine.connect() as conn:
        return json.loads(conn.execute(sql("SELECT body FROM sessions WHERE id = :id"),
                                       {"id": sid}).scalar_one())["state"]["constraints"]


def test_stored_bad_constraint_is_dropped_on_read_and_turns_work(client, guard_agent):
    sid, h = _new_session(client)
    assert client.post(f"/v1/sessions/{sid}/messages", json={"text": "a fantasy novel"}, headers=h).status_code == 200
    good = {"field": "year", "op": "gte", "value": 2000.0, "source": ""}
    bad = [{"field": "year", "op": "lte", "value": "1990s", "source": ""},      # a bound that is not a number
           {"field": "genres", "op": "gte", "value": 3.0, "source": ""},       # a bound on a categorical field
           {"field": "colour", "op": "include", "value": "red", "source": ""},  # a field the catalog lacks
           {"field": "year", "op": "lte", "value": float("nan"), "source": ""},  # stored as NaN
           {"field": "year", "op": "lte", "value": float("inf"), "source": ""},  # stored as Infinity
           {"field": "year", "op": "lte", "value": True, "source": ""}]

    def poison(body):
        body["state"]["constraints"] = [good, *bad]

    _rewrite_state(guard_agent, sid, poison)

    r = client.get(f"/v1/sessions/{sid}", headers=h)
    assert r.status_code == 200, r.text
    assert [(c["field"], c["op"], c["value"]) for c in r.json()["state"]["constraints"]] == [("year", "gte", 2000)]
    assert r.json()["turns"]  # the earlier turn is still there
    chips = client.get(f"/v1/sessions/{sid}/state", headers=h).json()["chips"]
    assert [c["key"] for c in chips if c["key"].startswith(("year:", "genres:gte", "colour:"))] == ["year:gte:2000"]
    turn = client.post(f"/v1/sessions/{sid}/messages", json={"text": "show me more"}, headers=h)
    assert turn.status_code == 200, turn.text
    assert turn.json()["items"]
    assert all(guard_agent.catalog.get(i["id"]).numeric["year"] >= 2000 for i in turn.json()["items"])
    stored = _stored_constraints(guard_agent, sid)  # the turn saved the repaired state
    assert stored and all(guard_agent.catalog.valid(Constraint.model_validate(c)) for c in stored)
    _assert_session_works(client, sid, h, "something newer")


def test_stored_session_that_cannot_be_repaired_is_409_not_500(client, guard_agent):
    sid, h = _new_session(client)
    other, oh = _new_session(client)

    def garbage(body):
        body["state"] = "not a state"
        body["catalog"] = ["not", "a", "name"]

    _rewrite_state(guard_agent, sid, garbage)
    for method, path, body in (("GET", f"/v1/sessions/{sid}", None), ("GET", f"/v1/sessions/{sid}/state", None),
                               ("POST", f"/v1/sessions/{sid}/messages", {"text": "hi"})):
        r = client.request(method, path, json=body, headers=h)
        assert r.status_code == 409 and "start a new session" in r.json()["detail"], (path, r.status_code, r.text)
    assert client.get("/v1/sessions", headers=h).status_code == 200
    _assert_session_works(client, other, oh)


# --- 5. bodies that are not plain JSON; a 422 never echoes ------------------------------------------
def test_lone_surrogates_and_nan_in_a_body_are_422_not_500(client):
    sid, h = _new_session(client)
    url = f"/v1/sessions/{sid}/messages"
    bodies = [b'{"text": "hi \\ud800 there"}', b'{"text": "\\udfff"}', b'{"text": "\\udc00\\ud800"}',
              b'{"\\ud800": 1, "text": "hi"}', b'{"text": "hi", "history": ["\\ud800"]}',
              b"NaN", b'{"text": NaN}', b'{"text": "hi", "k": NaN}', b'{"text": "hi", "k": -Infinity}',
              b'{"text": "hi", "k": 1e400}', b'{"text": "hi"', b'\xff\xfe{"text": "hi"}', b'{"text": "\xed\xa0\x80"}']
    for body in bodies:
        for headers in ({**h, **JSON}, h):  # labelled JSON, and unlabelled
            _assert_short_422(client.post(url, content=body, headers=headers))
    for path, body in ((f"/v1/sessions/{sid}/state", b'{"remove": ["\\ud800"]}'),
                       ("/v1/sessions", b'{"user_id": "\\ud800"}'),
                       ("/v1/chat/completions", b'{"messages": [{"role": "user", "content": "\\ud800"}]}'),
                       (f"/v1/sessions/{sid}/feedback", b'{"item_id": "1", "kind": NaN}')):
        _assert_short_422(client.request("PATCH" if path.endswith("state") else "POST", path, content=body,
                                         headers={**h, **JSON}))
    assert client.get(f"/v1/sessions/{sid}", headers=h).json()["turns"] == []
    ok = client.post(url, content=b'{"text": "a fantasy novel \\ud83d\\ude00"}', headers={**h, **JSON})  # a pair
    assert ok.status_code == 200, ok.text


def test_422_does_not_echo_a_large_body(client):
    sid, h = _new_session(client)
    url = f"/v1/sessions/{sid}/messages"
    junk_fields = {"text": "hi", **{f"junk{i:04d}": "JUNK" + "x" * 396 for i in range(500)}}
    bodies = [junk_fields,                                          # 500 unknown fields
              {"text": "hi", "k": "JUNK" + "x" * 200_000},          # a huge value of the wrong type
              {"text": ["JUNK" + "x" * 1000] * 190},                # a list where text goes
              {"text": "hi", "history": ["JUNK" + "x" * 300] * 500}]  # ids over their length
    for body in bodies:
        raw = json.dumps(body).encode()
        assert 150_000 < len(raw) < 256_000
        _assert_short_422(client.post(url, content=raw, headers={**h, **JSON}), "JUNK", "xxxxxxxxxx")
    patch = {"add": [{"field": "JUNK" + "x" * 40_000, "op": "gte", "value": 1}] * 5}
    _assert_short_422(client.patch(f"/v1/sessions/{sid}/state", json=patch, headers=h), "JUNK")
    long_text = {"text": "JUNK" + "x" * 200_000}  # an utterance over the limit says the limit, not the text
    _assert_short_422(client.post(url, json=long_text, headers=h), "JUNK")
    assert client.get(f"/v1/sessions/{sid}", headers=h).json()["turns"] == []


# --- 6. a session cannot grow without end ---------------------------------------------------------
def test_state_patches_cannot_grow_a_session_past_max_constraints(client):
    sid, h = _new_session(client)
    url = f"/v1/sessions/{sid}/state"
    assert MAX_CONSTRAINTS == 50
    for round_ in range(20):
        add = [{"field": "authors", "op": "exclude", "value": f"Nobody {round_}-{i}"} for i in range(50)]
        r = client.patch(url, json={"add": add}, headers=h)
        if round_ == 0:
            assert r.status_code == 200, r.text
        else:
            _assert_short_422(r)
            assert f"at most {MAX_CONSTRAINTS} constraints" in r.json()["detail"][0]["msg"]
        assert len(_constraints(client, sid, h)) <= MAX_CONSTRAINTS
    held = _constraints(client, sid, h)
    assert len(held) == MAX_CONSTRAINTS and all(c["value"].startswith("Nobody 0-") for c in held)

    same = [{"field": c["field"], "op": c["op"], "value": c["value"]} for c in held]
    assert client.patch(url, json={"add": same}, headers=h).status_code == 200  # re-adding is not growing
    too_many = [{"field": "authors", "op": "exclude", "value": f"Someone {i}"} for i in range(51)]
    _assert_short_422(client.patch(url, json={"add": too_many}, headers=h))  # more than one request may add
    swap = client.patch(url, headers=h, json={"remove": [f"authors:exclude:nobody 0-{i}" for i in range(10)],
                                              "add": too_many[:10]})
    assert swap.status_code == 200, swap.text  # removing first makes room
    assert len(swap.json()["state"]["constraints"]) == MAX_CONSTRAINTS

    for text in ("a fantasy novel", "from the 90s please", "not by Tolkien", "show me more"):
        start = time.monotonic()
        r = client.post(f"/v1/sessions/{sid}/messages", json={"text": text}, headers=h)
        assert r.status_code == 200, (text, r.text[:300])
        assert len(r.json()["state"]["constraints"]) <= MAX_CONSTRAINTS
        assert time.monotonic() - start < 30
    assert len(_constraints(client, sid, h)) <= MAX_CONSTRAINTS


# --- 7. requests that would stall the server ------------------------------------------------------
def _wide(n: int) -> bytes:
    return json.dumps({"text": "hi", **{f"key{i:06d}": i for i in range(n)}}).encode()


def test_wide_or_deep_json_bodies_are_refused_quickly_and_briefly(client, demo_settings):
    sid, h = _new_session(client)
    url = f"/v1/sessions/{sid}/messages"
    over, under = _wide(20_000), _wide(5_000)
    assert len(over) > demo_settings.server.max_body_bytes > len(under)
    cases = [(over, {413}), (under, {422}), (json.dumps({"text": "hi", "history": ["1"] * 5000}).encode(), {422}),
             (b"[" * 50 + b"]" * 50, {422}), (b"[" * 200_000, {413, 422}), (b'{"a":' * 40_000, {413, 422})]
    for body, expected in cases:
        start = time.monotonic()
        r = client.post(url, content=body, headers={**h, **JSON})
        elapsed = time.monotonic() - start
        assert r.status_code in expected, (len(body), r.status_code, r.text[:200])
        assert len(r.content) < SHORT and elapsed < 5, (len(body), len(r.content), elapsed)
    assert client.get(f"/v1/sessions/{sid}", headers=h).json()["turns"] == []


def test_chat_completions_runs_at_most_max_replay_plus_one_turns(client, demo_settings):
    user = _user()
    h = {"X-User-Id": user}
    said = [f"a fantasy novel, message {i}" for i in range(200)]
    messages = [{"role": "user", "content": t} for t in said]
    r = client.post("/v1/chat/completions", json={"messages": messages}, headers=h)
    assert r.status_code == 200, r.text[:300]
    sid = r.json()["recpilot"]["session_id"]
    replay = demo_settings.server.max_replay
    turns = client.get(f"/v1/sessions/{sid}", headers=h).json()["turns"]
    assert len(turns) == replay + 1 and [t["user"] for t in turns] == said[-(replay + 1):]

    again = client.post("/v1/chat/completions", json={"messages": messages, "session_id": sid}, headers=h)
    assert again.status_code == 200  # continuing a session runs the last message only
    assert len(client.get(f"/v1/sessions/{sid}", headers=h).json()["turns"]) == replay + 2

    too_many = {"messages": [*messages, {"role": "user", "content": "one more"}]}
    _assert_short_422(client.post("/v1/chat/completions", json=too_many, headers=h))

    settings = _with_server(demo_settings, max_replay=0, rate_per_user=0, rate_per_ip=0)
    with _client(settings, make_agent(settings, memory=False)) as none:  # the service reads its agent's settings
        r = none.post("/v1/chat/completions", json={"messages": messages[:20]}, headers=h)
        assert r.status_code == 200
        sid = r.json()["recpilot"]["session_id"]
        assert [t["user"] for t in none.get(f"/v1/sessions/{sid}", headers=h).json()["turns"]] == [said[19]]


def test_rate_limit_per_user_answers_429_with_retry_after(demo_settings, guard_agent):
    alice, bob = {"X-User-Id": _user()}, {"X-User-Id": _user()}
    with _client(demo_settings, guard_agent, rate_per_user=5, rate_per_ip=0) as c:
        assert [c.get("/v1/sessions", headers=alice).status_code for _ in range(5)] == [200] * 5
        for method, path in (("GET", "/v1/sessions"), ("POST", "/v1/sessions")):
            r = c.request(method, path, headers=alice)
            assert r.status_code == 429, r.text
            assert 1 <= int(r.headers["retry-after"]) <= 60 and "too many requests" in r.json()["detail"]
        assert c.get("/v1/sessions", headers=bob).status_code == 200  # another user is not held back
        assert c.get("/healthz").status_code == 200


def test_rate_limit_per_address_answers_429_with_retry_after(demo_settings, guard_agent):
    with _client(demo_settings, guard_agent, rate_per_user=0, rate_per_ip=5) as c:
        assert [c.get("/v1/sessions", headers={"X-User-Id": _user()}).status_code for _ in range(5)] == [200] * 5
        r = c.get("/v1/sessions", headers={"X-User-Id": _user()})  # a new user name does not get round it
        assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60, r.text
        assert c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]}).status_code == 429
        assert c.get("/healthz").status_code == 200


# --- 8. Host names (DNS rebinding) -------------------------------------------------------------------
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def _mcp_initialize(c: TestClient, host: str, origin: str | None = None):
    from mcp.types import LATEST_PROTOCOL_VERSION

    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": LATEST_PROTOCOL_VERSION, "capabilities": {},
                       "clientInfo": {"name": "guard-test", "version": "0"}}}
    return c.post("/mcp", json=body, headers={**MCP_HEADERS, "Host": host, **({"Origin": origin} if origin else {})})


def test_loopback_server_answers_only_loopback_host_names(demo_settings, guard_agent):
    with _client(demo_settings, guard_agent, mcp=True, host="127.0.0.1", rate_per_user=0, rate_per_ip=0) as c:
        for host in ("evil.example", "evil.example:7860", "127.0.0.1.evil.example", "localhost.evil.example:80",
                     "0.0.0.0:7860", "192.168.1.5"):
            r = c.get("/v1/sessions", headers={"Host": host})
            assert r.status_code == 421, (host, r.status_code)
            assert c.post("/v1/sessions", headers={"Host": host}).status_code == 421, host
            assert _mcp_initialize(c, host).status_code == 421, host
        for host in ("127.0.0.1:7860", "127.0.0.1", "localhost", "localhost:7860", "LOCALHOST:7860", "[::1]:7860"):
            assert c.get("/v1/sessions", headers={"Host": host}).status_code == 200, host
        r = _mcp_initialize(c, "127.0.0.1:7860")
        assert r.status_code == 200 and r.json()["result"]["serverInfo"]["name"] == "recpilot", r.text[:300]
        # the page and the rest too: a rebinding page reaches nothing on a loopback server
        for path in ("/healthz", "/ui/", "/ui/config", "/ui/gradio_api/info", "/openapi.json"):
            assert c.get(path, headers={"Host": "evil.example"}).status_code == 421, path


def test_allowed_hosts_adds_a_host_name_to_loopback_ones(demo_settings, guard_agent):
    with _client(demo_settings, guard_agent, mcp=True, host="127.0.0.1", allowed_hosts=["recs.example.org"],
                 rate_per_user=0, rate_per_ip=0) as c:
        for host in ("recs.example.org", "recs.example.org:443", "RECS.example.org", "127.0.0.1:7860"):
            assert c.get("/v1/sessions", headers={"Host": host}).status_code == 200, host
        assert c.get("/v1/sessions", headers={"Host": "evil.example"}).status_code == 421
        for host in ("recs.example.org", "recs.example.org:443", "127.0.0.1:7860", "127.0.0.1"):
            r = _mcp_initialize(c, host)  # MCP's own Host check agrees with the server's
            assert r.status_code == 200, (host, r.status_code, r.text[:300])
        assert _mcp_initialize(c, "evil.example").status_code == 421
        assert _mcp_initialize(c, "evil.example:443").status_code == 421
        assert _mcp_initialize(c, "recs.example.org", "https://evil.example").status_code == 403  # Origin too
        assert _mcp_initialize(c, "recs.example.org", "https://recs.example.org").status_code == 200


# --- 9. user and session ids at every door -------------------------------------------------------------
def _plain(output: str) -> str:
    """The CLI's message without rich's box and line wrapping."""
    return re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", output)).strip()


def test_cli_refuses_bad_user_and_session_ids_and_creates_nothing(tmp_path):
    from typer.testing import CliRunner

    from recpilot.cli.main import app

    home = tmp_path / "home"
    session_rule, user_rule = f"use {SESSION_RULE}", f"use {USER_RULE}"
    cases = [(["ask", "hi", "--session", "../../../etc/passwd"], "invalid session id", session_rule),
             (["ask", "hi", "--session", "s" * 1000], "invalid session id", session_rule),
             (["ask", "hi", "--session", "a/b"], "invalid session id", session_rule),
             (["ask", "hi", "--user", ""], "invalid user id", user_rule),
             (["ask", "hi", "--user", "a b"], "invalid user id", user_rule),
             (["ask", "hi", "--user", "../x"], "invalid user id", user_rule),
             (["chat", "--session", "../x"], "invalid session id", session_rule),
             (["chat", "--user", "a b"], "invalid user id", user_rule),
             (["state", "--session", "../../../etc/passwd"], "invalid session id", session_rule),
             (["sessions", "--user", ""], "invalid user id", user_rule),
             (["sessions", "--user", "a b"], "invalid user id", user_rule),
             (["memory", "list", "--user", "a b"], "invalid user id", user_rule),
             (["memory", "forget", "--all", "--user", "../x"], "invalid user id", user_rule)]
    runner = CliRunner()
    for args, what, rule in cases:
        result = runner.invoke(app, ["--home", str(home), *args])
        said = _plain(result.output)
        assert result.exit_code == 2, (args, result.exit_code, said[-300:])
        assert what in said and rule in said, (args, said[-300:])
        assert not home.exists() or not any(home.rglob("*")), (args, list(home.rglob("*"))[:5])
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["home"])  # nothing beside it either


@pytest.mark.slow
def test_cli_console_script_refuses_a_path_as_session_id(run_cli, tmp_path):
    home = tmp_path / "home"
    done = run_cli(home, "ask", "hi", "--session", "../../../etc/passwd", timeout=60)
    assert done.returncode == 2 and "invalid session id" in _plain(done.stderr), done.stderr[-500:]
    assert "Traceback" not in done.stderr and not home.exists()


def test_api_refuses_bad_ids_and_counts_without_500(client):
    sid, h = _new_session(client)
    url = f"/v1/sessions/{sid}/messages"
    for body in ({"text": "hi", "k": True}, {"text": "hi", "k": False}, {"text": "hi", "k": 0},
                 {"text": "hi", "k": 51}, {"text": "hi", "k": 1.5}, {"text": "hi", "k": [3]}):
        _assert_short_422(client.post(url, json=body, headers=h))
    for segment in ("..", "%2E%2E", "..%2F..%2Fetc%2Fpasswd", "a%2Fb", "%2Fetc%2Fpasswd", "-h", ".hidden",
                    "s" * 101, "%00", "%0A", "%ED%A0%80", "%FF", "a%20b", "a%3Bb"):
        for method, path, body in (("GET", f"/v1/sessions/{segment}", None),
                                   ("GET", f"/v1/sessions/{segment}/state", None),
                                   ("PATCH", f"/v1/sessions/{segment}/state", {"remove": []}),
                                   ("POST", f"/v1/sessions/{segment}/messages", {"text": "hi"}),
                                   ("POST", f"/v1/sessions/{segment}/feedback", {"item_id": "1", "kind": "like"})):
            r = client.request(method, path, json=body, headers=h)
            assert r.status_code in (404, 405, 422), (method, path, r.status_code, r.text[:200])
    for bad in ("../x", "a b", "", "x" * 201, "a/b"):
        r = client.get("/v1/sessions", headers={"X-User-Id": bad})
        assert r.status_code in (400, 422), (bad, r.status_code)
        assert client.get("/v1/sessions", params={"user_id": bad}).status_code == 422, bad
        assert client.post("/v1/sessions", json={"user_id": bad}).status_code == 422, bad
    assert client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}],
                                                     "session_id": "../../etc/passwd"}).status_code == 422
    assert client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}],
                                                     "user": "a b"}).status_code == 422


def test_mcp_refuses_bad_ids_with_an_error_result(guard_agent):
    from mcp import Client

    from recpilot.ui.mcp_server import build_mcp
    from recpilot.ui.service import Service

    server = build_mcp(Service(guard_agent))

    async def talk():
        async with Client(server) as c:
            return [await c.call_tool("recommend", {"message": "hi", "session_id": "../../etc/passwd"}),
                    await c.call_tool("recommend", {"message": "hi", "user_id": "a b"}),
                    await c.call_tool("get_preferences", {"session_id": "s" * 101}),
                    await c.call_tool("update_preferences", {"session_id": "../x", "remove": ["a"]})]

    for result in _run(talk()):
        assert result.is_error and "Traceback" not in result.content[0].text


def test_absurd_numeric_bounds_are_refused_by_the_catalog(guard_agent):
    from recpilot.errors import InvalidConstraint
    from recpilot.preferences import Constraint

    catalog = guard_agent.catalog
    for value in (-1e23, 1e13, "-1e23"):
        with pytest.raises(InvalidConstraint, match="out of range"):
            catalog.checked(Constraint(field="year", op="gte", value=value))
    assert catalog.checked(Constraint(field="year", op="gte", value="1990")).value == 1990.0
