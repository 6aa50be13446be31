"""Serving that holds up, against real ``recpilot serve`` processes on SQLite and PostgreSQL:

- a seeded fuzz of 1,000+ hostile requests over every ``/v1`` route and the MCP tools: never a
  5xx or a traceback, and every session it touched still readable and consistent;
- two servers on one store, turns of each session alternating between them: no acknowledged
  turn and no like is lost;
- ``kill -9`` of a worker of ``--workers 2`` under load: every acknowledged turn is stored,
  before and after a restart of the whole server;
- an empty token stops ``serve``; a foreign Host gets 421 from ``/v1`` and ``/mcp``.

Run with ``-s`` to see the one-line summaries.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fuzz_inputs import Case, Target, fuzz_cases

from recpilot.preferences import PreferenceState
from recpilot.ui.models import SessionView, StateView

pytestmark = pytest.mark.slow

ENGINES = ["sqlite", "postgres"]
#: load and fuzz servers run without rate limits (the defaults are 120/min per user, 600/min per address)
NO_LIMITS = {"RECPILOT_SERVER__RATE_PER_USER": "0", "RECPILOT_SERVER__RATE_PER_IP": "0"}
TRACEBACK_MARKS = ("Traceback (most recent call last)", 'File "/')
SCRIPT = ["a fantasy book", "published after 1990", "show me more", "something popular", "more please"]


@pytest.fixture(params=ENGINES)
def store_env(request) -> dict[str, str]:
    """The environment that puts a server's sessions in the engine under test: nothing for the
    SQLite file under home, RECPILOT_DATABASE_URL of a fresh database for PostgreSQL."""
    if request.param == "postgres":
        return {"RECPILOT_DATABASE_URL": request.getfixturevalue("postgres_db")}
    return {}


def _engine(env: dict[str, str]) -> str:
    return "postgres" if "RECPILOT_DATABASE_URL" in env else "sqlite"


def _has_traceback(text: str) -> bool:
    return any(mark in text for mark in TRACEBACK_MARKS)


def _traceback_tail(log: str, chars: int = 6000) -> str:
    """The server log from its first traceback on (for a failure's message)."""
    at = log.find("Traceback")
    return log[max(0, at - 500):][:chars] if at >= 0 else ""


def _worker_pids(server) -> list[int]:
    """The uvicorn worker processes of a ``--workers N`` server (children of the serve process
    started by multiprocessing's spawn; not its resource tracker)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == server.proc.pid and b"multiprocessing.spawn" in cmdline:
            pids.append(int(entry.name))
    return sorted(pids)


def _stored_turns(url: str, sid: str, user: str, headers: dict | None = None) -> list[str]:
    r = httpx.get(f"{url}/v1/sessions/{sid}", headers={"X-User-Id": user, **(headers or {})}, timeout=60)
    assert r.status_code == 200, (sid, r.status_code, r.text[:300])
    return [t["user"] for t in r.json()["turns"]]


# --- a. the fuzz ----------------------------------------------------------------------------------
class FuzzRun:
    def __init__(self, server, target: Target, turns: dict[str, int]):
        self.server, self.target = server, target
        self.expected_turns = dict(turns)  # session id -> turns it must hold
        self.owner = {sid: user for sid, user in target.sessions}
        self.created: dict[str, str] = {}  # sessions the fuzz's own requests started -> their user
        self.statuses: collections.Counter = collections.Counter()
        self.failures: list[str] = []
        self.client_refused = 0
        self.transport_errors: list[str] = []

    def send(self, client: httpx.Client, case: Case) -> None:
        try:
            if case.stream:
                with client.stream(case.method, case.path, headers=case.headers, content=case.content()) as r:
                    self.statuses[r.status_code] += 1
                    if r.status_code >= 500:
                        self.failures.append(f"5xx: {case.kind} {case.method} {case.path[:60]}")
                return
            r = client.request(case.method, case.path, headers=case.headers, content=case.content())
        except httpx.LocalProtocolError:  # the client would not even send it (a header h11 refuses)
            self.client_refused += 1
            return
        except httpx.TransportError as exc:
            # a guard may answer before a large body is sent in full and close; anything else is a failure
            self.transport_errors.append(f"{case.kind} {case.method} {case.path[:60]}: {exc!r}"[:300])
            if case.expect != 413:
                self.failures.append(f"no response: {case.kind} {case.method} {case.path[:60]}: {exc!r}"[:300])
            return
        self.statuses[r.status_code] += 1
        text = r.text
        where = f"{case.kind} {case.method} {case.path[:60]} -> {r.status_code}"
        if r.status_code >= 500:
            self.failures.append(f"5xx: {where}: {text[:200]}")
        if _has_traceback(text):
            self.failures.append(f"traceback in body: {where}")
        if case.expect is not None and r.status_code != case.expect:
            self.failures.append(f"expected {case.expect}: {where}: {text[:200]}")
        if case.mcp_tool is not None:
            self._mcp(case, r, where)
        elif r.status_code == 200 and r.headers.get("content-type", "").startswith("text/event-stream"):
            self._events(case, r, where)
        elif r.status_code in (200, 201):
            self._http(case, r)

    def _events(self, case: Case, r: httpx.Response, where: str) -> None:
        """A streamed turn: acknowledged by its ``result`` event; an ``error`` event must be the
        caller's mistake or a busy session, never an internal error."""
        events = [block.split("\n", 1) for block in r.text.split("\n\n") if block.startswith("event: ")]
        for head, data in events:
            name, payload = head[len("event: "):], json.loads(data[len("data: "):])
            if name == "result" and case.adds_turn == "http" and payload["session_id"] == case.session \
                    and case.session in self.expected_turns:
                self.expected_turns[case.session] += 1
            elif name == "error" and "internal error" in payload.get("detail", ""):
                self.failures.append(f"internal error event: {where}")

    def _http(self, case: Case, r: httpx.Response) -> None:
        try:
            body = r.json()
        except ValueError:
            return
        if not isinstance(body, dict):
            return
        if case.adds_turn == "http" and r.status_code == 200 and case.session in self.expected_turns:
            got = body.get("session_id") or body.get("recpilot", {}).get("session_id")
            if got == case.session:
                self.expected_turns[case.session] += 1
        if case.path == "/v1/sessions" and case.method == "POST":
            self.created[body["session_id"]] = body["user_id"]
        elif case.path == "/v1/chat/completions":
            turn = body["recpilot"]
            if turn["session_id"] not in self.expected_turns:
                self.created[turn["session_id"]] = turn["user_id"]

    def _mcp(self, case: Case, r: httpx.Response, where: str) -> None:
        if r.status_code != 200:
            return
        try:
            reply = r.json()
        except ValueError:
            self.failures.append(f"MCP answer is not JSON: {where}: {r.text[:200]}")
            return
        if not isinstance(reply, dict):
            return
        if "error" in reply and reply["error"].get("code") == -32603:
            self.failures.append(f"MCP internal error: {where}: {reply['error']}")
        result = reply.get("result") or {}
        texts = [c.get("text", "") for c in result.get("content", []) if isinstance(c, dict)]
        if result.get("isError"):
            # the SDK says only this (and logs the traceback) when a tool crashed unexpectedly
            if any(t.strip() == f"Error executing tool {case.mcp_tool}" for t in texts):
                self.failures.append(f"MCP tool crashed: {where}")
            return
        content = result.get("structuredContent") or {}
        if case.mcp_tool == "recommend" and "session_id" in content:
            sid = content["session_id"]
            if sid in self.expected_turns and case.adds_turn == "mcp":
                self.expected_turns[sid] += 1
            elif sid not in self.expected_turns:
                self.created[sid] = content["user_id"]

    def check_sessions(self, client: httpx.Client) -> list[str]:
        """Every session the fuzz touched or started: readable, state valid, turns as acknowledged."""
        broken = []
        sessions = {**self.created, **self.owner}
        for sid, user in sessions.items():
            h = {"X-User-Id": user}
            got, state = client.get(f"/v1/sessions/{sid}", headers=h), client.get(f"/v1/sessions/{sid}/state", headers=h)
            if got.status_code != 200 or state.status_code != 200:
                broken.append(f"{sid}: GET {got.status_code}, GET state {state.status_code}")
                continue
            view = SessionView.model_validate(got.json())
            StateView.model_validate(state.json())
            PreferenceState.model_validate(state.json()["state"])
            if state.json()["state"] != got.json()["state"]:
                broken.append(f"{sid}: GET state differs from the session's state")
            listed = client.get("/v1/sessions", params={"limit": 1000}, headers=h).json()["sessions"]
            summary = next((s for s in listed if s["id"] == sid), None)
            if summary is None or summary["turns"] != len(view.turns):
                broken.append(f"{sid}: listed with {summary and summary['turns']} turns, GET has {len(view.turns)}")
            if sid in self.expected_turns and len(view.turns) != self.expected_turns[sid]:
                broken.append(f"{sid}: {len(view.turns)} turns stored, {self.expected_turns[sid]} acknowledged")
        return broken


def test_fuzz_every_route_and_tool_never_5xx_and_sessions_stay_sound(store_env, copy_demo_home, start_server):
    token = "fuzz-token-0123456789"
    server = start_server(copy_demo_home(), env={**NO_LIMITS, **store_env, "RECPILOT_API_TOKEN": token})
    auth = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    # the cases carry their own Authorization header (or a bad one, or none): the client sets none
    with httpx.Client(base_url=server.url, timeout=120) as client:
        sessions, turns, item_id = [], {}, None
        for i, user in enumerate(["fuzz-alice", "fuzz-bob", "fuzz-alice", "fuzz-bob"]):
            sid = client.post("/v1/sessions", headers={"X-User-Id": user, **auth}).json()["session_id"]
            r = client.post(f"/v1/sessions/{sid}/messages", headers={"X-User-Id": user, **auth},
                            json={"text": SCRIPT[i]})
            assert r.status_code == 200, r.text
            item_id = item_id or r.json()["items"][0]["id"]
            sessions.append((sid, user))
            turns[sid] = 1
        target = Target(sessions, item_id, token)
        cases = fuzz_cases(target)
        assert len(cases) >= 1000
        run = FuzzRun(server, target, turns)
        for case in cases:
            run.send(client, case)
        assert client.get("/healthz").status_code == 200
        client.headers.update(auth)
        broken = run.check_sessions(client)
    log = server.log.read_text(errors="replace")
    fivexx = sum(n for status, n in run.statuses.items() if status >= 500)
    print(f"\nfuzz [{_engine(store_env)}]: {len(cases)} inputs in {time.perf_counter() - started:.0f} s; statuses "
          f"{dict(sorted(run.statuses.items()))}; 5xx {fivexx}; no response {len(run.transport_errors)}; "
          f"client refused {run.client_refused}; failures {len(run.failures)}; turns acknowledged "
          f"{sum(run.expected_turns.values()) - sum(turns.values())}; sessions checked "
          f"{len(run.owner) + len(run.created)}, broken {len(broken)}")
    server.stop()
    assert not run.failures, "\n".join(run.failures[:30])
    assert not broken, broken
    assert "Traceback" not in log, log[-4000:]


# --- b. two servers on one store ------------------------------------------------------------------
def _session_script(i: int) -> list[str]:
    genres = ["fantasy", "horror", "romance", "mystery", "science fiction", "thriller", "classics", "biography"]
    return [f"a {genres[i % len(genres)]} book", f"published after {1970 + i}", "show me more",
            "something popular", "more please"]


def test_two_servers_on_one_store_lose_no_turn_and_no_like(store_env, copy_demo_home, start_server):
    env = {**NO_LIMITS, **store_env}
    if _engine(store_env) == "sqlite":
        home = copy_demo_home()
        homes = [home, home]
    else:  # the same database, each server its own home
        homes = [copy_demo_home(), copy_demo_home()]
    with ThreadPoolExecutor(2) as pool:  # both start at once (and migrate the store at once)
        servers = list(pool.map(lambda h: start_server(h, env=env), homes))
    n_sessions = 20
    acked: dict[int, list[str]] = {i: [] for i in range(n_sessions)}
    liked: dict[int, str] = {}
    sids: dict[int, str] = {}
    errors: list[str] = []

    def converse(i: int) -> None:
        user = f"pair-{i}"
        clients = [httpx.Client(base_url=s.url, headers={"X-User-Id": user}, timeout=120) for s in servers]
        try:
            sid = clients[i % 2].post("/v1/sessions").json()["session_id"]
            sids[i] = sid
            like_thread = None
            for t, text in enumerate(_session_script(i)):
                if t == 3 and liked.get(i):  # a like on one server while the next turn runs on the other
                    def like(item=liked[i], client=clients[(i + t + 1) % 2]):
                        r = client.post(f"/v1/sessions/{sid}/feedback", json={"item_id": item, "kind": "like"})
                        if r.status_code != 200:
                            errors.append(f"like {i}: {r.status_code} {r.text[:200]}")
                        elif item not in [x["id"] for x in r.json()["state"]["liked_items"]]:
                            errors.append(f"like {i}: the answer's state does not hold {item}")
                    like_thread = threading.Thread(target=like)
                    like_thread.start()
                r = clients[(i + t) % 2].post(f"/v1/sessions/{sid}/messages", json={"text": text})
                if r.status_code == 200:
                    acked[i].append(text)
                    if t == 2 and r.json()["items"]:
                        liked[i] = r.json()["items"][0]["id"]
                else:
                    errors.append(f"turn {i}.{t}: {r.status_code} {r.text[:200]}")
            if like_thread is not None:
                like_thread.join(timeout=300)
        except Exception as exc:  # reported with the session it happened to
            errors.append(f"session {i}: {exc!r}")
        finally:
            for c in clients:
                c.close()

    elapsed = _all_at_once(converse, n_sessions)
    lost_turns, lost_likes = 0, 0
    for i, sid in sids.items():
        for server in servers:  # both servers see the same, complete session
            stored = _stored_turns(server.url, sid, f"pair-{i}")
            lost_turns += len(acked[i]) - len([t for t in stored if t in acked[i]])
            assert stored == acked[i], (i, server.url, stored, acked[i])
            state = httpx.get(f"{server.url}/v1/sessions/{sid}/state", headers={"X-User-Id": f"pair-{i}"}).json()
            if i in liked and liked[i] not in [x["id"] for x in state["state"]["liked_items"]]:
                lost_likes += 1
    # a burst on one server: more turns at once than its database pool has connections (20)
    burst, burst_errors = _burst(servers[0].url, 40, ["a mystery book", "more please"])
    logs = [s.log.read_text(errors="replace") for s in servers]
    print(f"\ntwo servers [{_engine(store_env)}]: {n_sessions} sessions x 5 turns in {elapsed:.1f} s; "
          f"acknowledged turns {sum(map(len, acked.values()))}, likes {len(liked)}; lost turns {lost_turns}, "
          f"lost likes {lost_likes}; errors {len(errors)}; then 40 sessions x 2 turns at once on one server in "
          f"{burst:.1f} s, errors {len(burst_errors)}")
    for s in servers:
        s.stop()
    assert not errors, (errors[:10], [_traceback_tail(log) for log in logs])
    assert not burst_errors, (burst_errors[:10], [_traceback_tail(log) for log in logs])
    assert len(sids) == n_sessions and len(liked) == n_sessions
    assert lost_turns == 0 and lost_likes == 0
    assert all("Traceback" not in log for log in logs), [log[-3000:] for log in logs]


def _burst(url: str, sessions: int, texts: list[str]) -> tuple[float, list[str]]:
    """``sessions`` sessions talking at once on one server; every turn must be answered and stored."""
    errors: list[str] = []
    gate = threading.Barrier(sessions)

    def talk(i: int) -> None:
        user = f"burst-{i}"
        try:
            with httpx.Client(base_url=url, headers={"X-User-Id": user}, timeout=120) as client:
                sid = client.post("/v1/sessions").json()["session_id"]
                gate.wait(timeout=120)
                acked = []
                for text in texts:
                    r = client.post(f"/v1/sessions/{sid}/messages", json={"text": text})
                    if r.status_code == 200:
                        acked.append(text)
                    else:
                        errors.append(f"{user}: {r.status_code} {r.text[:200]}")
                stored = _stored_turns(url, sid, user)
                if stored != acked:
                    errors.append(f"{user}: stored {stored}, acknowledged {acked}")
        except Exception as exc:  # reported with the session it happened to
            errors.append(f"{user}: {exc!r}")

    return _all_at_once(talk, sessions), errors


def _all_at_once(fn, n: int) -> float:
    """Runs ``fn(0)`` … ``fn(n - 1)`` in threads at once; the seconds until all have ended."""
    started = time.perf_counter()
    threads = [threading.Thread(target=fn, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    return time.perf_counter() - started


# --- c. kill -9 of a worker under load (PostgreSQL, --workers 2) -----------------------------------
def test_kill_9_of_a_worker_under_load_loses_no_acknowledged_turn(postgres_db, copy_demo_home, start_server):
    env = {**NO_LIMITS, "RECPILOT_DATABASE_URL": postgres_db}
    server = start_server(copy_demo_home(), env=env, args=("--workers", "2"), timeout=240)
    deadline = time.monotonic() + 60
    while len(_worker_pids(server)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    workers = _worker_pids(server)
    assert len(workers) == 2, workers
    n_sessions, n_turns = 12, 8
    script = [f"a {g} book" for g in ("fantasy", "mystery", "horror", "romance")] + \
             ["published after 1985", "show me more", "something popular", "more please"]
    acked: dict[int, list[str]] = {i: [] for i in range(n_sessions)}
    attempts: dict[int, int] = collections.Counter()
    retries = collections.Counter()
    sids: dict[int, str] = {}
    errors: list[str] = []
    acks = threading.Semaphore(0)

    def with_retry(i: int, call) -> httpx.Response | None:
        for _ in range(30):
            try:
                r = call()
            except httpx.TransportError as exc:  # the worker died under this request: not acknowledged
                retries[type(exc).__name__] += 1
                time.sleep(0.3)
                continue
            if r.status_code in (502, 503, 409):  # busy or unavailable: try again
                retries[r.status_code] += 1
                time.sleep(0.3)
                continue
            return r
        errors.append(f"session {i}: gave up after 30 tries")
        return None

    def converse(i: int) -> None:
        user = f"kill-{i}"
        with httpx.Client(base_url=server.url, headers={"X-User-Id": user}, timeout=120) as client:
            r = with_retry(i, lambda: client.post("/v1/sessions"))
            if r is None or r.status_code != 201:
                errors.append(f"session {i}: create {r and r.status_code}")
                return
            sid = sids[i] = r.json()["session_id"]
            for text in script[i % 4:] + script[:i % 4]:
                def post(text=text):
                    attempts[i] += 1
                    return client.post(f"/v1/sessions/{sid}/messages", json={"text": text})
                r = with_retry(i, post)
                if r is not None and r.status_code == 200:
                    acked[i].append(text)
                    acks.release()
                elif r is not None:
                    errors.append(f"turn {i}: {r.status_code} {r.text[:200]}")

    started = time.perf_counter()
    threads = [threading.Thread(target=converse, args=(i,)) for i in range(n_sessions)]
    for t in threads:
        t.start()
    for _ in range(15):  # under load: some turns done, most still to come
        acks.acquire(timeout=120)
    victim = workers[0]
    os.kill(victim, signal.SIGKILL)
    killed_at = sum(map(len, acked.values()))
    for t in threads:
        t.join(timeout=600)
    elapsed = time.perf_counter() - started
    deadline = time.monotonic() + 60
    while (len(_worker_pids(server)) < 2 or victim in _worker_pids(server)) and time.monotonic() < deadline:
        time.sleep(0.2)
    replaced = _worker_pids(server)

    def verify(url: str) -> int:
        lost = 0
        for i, sid in sids.items():
            stored = _stored_turns(url, sid, f"kill-{i}")
            it = iter(stored)
            lost += sum(1 for text in acked[i] if text not in it)  # acknowledged turns, in order
            assert len(acked[i]) <= len(stored) <= attempts[i], (i, stored, acked[i], attempts[i])
        return lost

    lost = verify(server.url)
    server.stop()
    again = start_server(server.home, env=env, timeout=240)  # the whole server again, on the same database
    lost_after_restart = verify(again.url)
    log = server.log.read_text(errors="replace")
    print(f"\nkill -9 [postgres, 2 workers]: worker {victim} killed after {killed_at} acknowledged turns; "
          f"{sum(map(len, acked.values()))} of {n_sessions * n_turns} turns acknowledged in {elapsed:.1f} s, "
          f"{sum(attempts.values())} attempts, retries {dict(retries)}; workers after {replaced}; lost acknowledged "
          f"{lost}, after a restart {lost_after_restart}; errors {len(errors)}")
    again.stop()
    assert not errors, errors[:10]
    assert lost == 0 and lost_after_restart == 0
    assert all(len(acked[i]) == n_turns for i in range(n_sessions)), {i: len(a) for i, a in acked.items()}
    assert len(replaced) == 2 and victim not in replaced, (victim, replaced)
    assert "Traceback" not in log, log[-4000:]


# --- d. an empty token stops serve; a foreign Host gets 421 ---------------------------------------
def test_empty_token_refuses_to_serve_and_a_foreign_host_gets_421(copy_demo_home, run_cli, start_server):
    home = copy_demo_home()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    for token in ("", "   "):
        done = run_cli(home, "serve", "--port", port, env={"RECPILOT_API_TOKEN": token, "RECPILOT_LLM__BACKEND": "none"},
                       timeout=120)
        out = done.stdout + done.stderr
        assert done.returncode != 0, out[-2000:]
        assert "empty" in out and "RECPILOT_API_TOKEN" in out and "Traceback" not in out, out[-2000:]

    server = start_server(home, env=NO_LIMITS)
    rpc = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    mcp_headers = {"Accept": "application/json, text/event-stream"}
    for host in ("evil.example", "evil.example:80", f"evil.example:{server.url.rsplit(':', 1)[1]}", "127.0.0.1.nip.io"):
        for method, path, body in (("GET", "/v1/sessions", None), ("POST", "/v1/sessions", {}),
                                   ("GET", "/v1/items/search?query=dragons", None), ("POST", "/mcp", rpc)):
            r = httpx.request(method, f"{server.url}{path}", json=body, headers={"Host": host, **mcp_headers})
            assert r.status_code == 421, (host, method, path, r.status_code, r.text[:200])
            assert "Host" in r.json()["detail"]
    ok = httpx.post(f"{server.url}/mcp", json=rpc, headers={"Host": "localhost", **mcp_headers})
    assert ok.status_code == 200 and "recommend" in json.dumps(ok.json())
    assert httpx.get(f"{server.url}/v1/sessions", headers={"Host": "127.0.0.1"}).status_code == 200
    server.stop()


# --- e. the bugs these tests found, each pinned down without a server ------------------------------
def test_regressions_found_by_the_fuzz_and_the_load(demo_settings):
    import asyncio

    from conftest import make_agent
    from mcp import Client
    from mcp.shared.exceptions import MCPError

    from recpilot import embeddings
    from recpilot.ui.mcp_server import build_mcp
    from recpilot.ui.security import LOOPBACK_NAMES, host_name
    from recpilot.ui.service import Service

    # a Host header whose "port" is not a port names no loopback host (it was read as "localhost")
    for header in ("localhost:80@evil.example", "127.0.0.1:x@evil.example", "localhost:evil.example", "[::1]evil",
                   "[::1]:80@evil.example", "[::1"):
        assert host_name(header) not in LOOPBACK_NAMES, header
    assert [host_name(h) for h in ("localhost:7860", "[::1]:80", "127.0.0.1", "LOCALHOST:")] == \
        ["localhost", "::1", "127.0.0.1", "localhost"]

    # the first turns of a fresh server, all at once, load one embedder between them (not one each)
    embeddings._embedder.cache_clear()
    gate, got = threading.Barrier(8), []

    def first_use():
        gate.wait(timeout=60)
        got.append(embeddings.get_embedder())

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(got) == 8 and len({id(e) for e in got}) == 1

    # MCP refuses true for k as the HTTP API does; an unknown prompt is the caller's mistake
    async def talk():
        async with Client(build_mcp(Service(make_agent(demo_settings)))) as client:
            refused = await client.call_tool("recommend", {"message": "a fantasy book", "k": True})
            two = await client.call_tool("recommend", {"message": "a fantasy book", "k": 2})
            try:
                await client.get_prompt("no-such-prompt")
                prompt_error = None
            except MCPError as exc:
                prompt_error = exc.code
            return refused, two, prompt_error

    refused, two, prompt_error = asyncio.run(asyncio.wait_for(talk(), timeout=120))
    assert refused.is_error and "not true" in refused.content[0].text
    assert not two.is_error and len(two.structured_content["items"]) == 2
    assert prompt_error == -32602
