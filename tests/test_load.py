"""Bounded load on loopback against a real ``recpilot serve``: concurrent sessions, no errors, no
cross-talk, latency percentiles and server memory printed (and written to artifacts/), and every
session still there after a restart."""

from __future__ import annotations

import json
import statistics
import threading
import time

import httpx
import pytest
from conftest import REPO

GENRES = ["fantasy", "horror", "romance", "mystery", "science fiction", "thriller", "historical fiction",
          "young adult", "classics", "biography"]


def _script(i: int) -> list[str]:
    return [f"a {GENRES[i % len(GENRES)]} book", f"published after {1980 + i}", "show me more",
            "something popular", "more please"]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class _RssSampler(threading.Thread):
    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.peak, self.done = server, 0.0, threading.Event()

    def run(self):
        while not self.done.is_set():
            self.peak = max(self.peak, self.server.rss_mb())
            time.sleep(0.1)


def _converse(url: str, user: str, texts: list[str], out: list, errors: list) -> None:
    try:
        with httpx.Client(base_url=url, headers={"X-User-Id": user}, timeout=300) as client:
            sid = client.post("/v1/sessions").json()["session_id"]
            for text in texts:
                start = time.perf_counter()
                r = client.post(f"/v1/sessions/{sid}/messages", json={"text": text})
                out.append({"user": user, "sid": sid, "text": text, "status": r.status_code,
                            "ms": (time.perf_counter() - start) * 1000, "body": r.json()})
    except Exception as exc:  # reported by the test, with the user it happened to
        errors.append(f"{user}: {exc!r}")


def _load(server, sessions: int, scripts: list[list[str]], prefix: str = "load") -> tuple[list[dict], float]:
    out, errors = [], []
    sampler = _RssSampler(server)
    sampler.start()
    threads = [threading.Thread(target=_converse, args=(server.url, f"{prefix}-{i}", scripts[i], out, errors))
               for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    sampler.done.set()
    sampler.join()
    assert not errors, errors
    return out, sampler.peak


def _check_no_cross_talk(server, out: list[dict], scripts: list[list[str]]) -> dict[str, str]:
    assert all(r["status"] == 200 for r in out), [r for r in out if r["status"] != 200][:3]
    sessions = {}
    for r in out:
        assert r["body"]["session_id"] == r["sid"] and r["body"]["user_id"] == r["user"]
        sessions[r["user"]] = r["sid"]
    for user, sid in sessions.items():
        i = int(user.split("-")[1])
        turns = httpx.get(f"{server.url}/v1/sessions/{sid}", headers={"X-User-Id": user}).json()["turns"]
        assert [t["user"] for t in turns] == scripts[i], user
    return sessions


def _summary(out: list[dict]) -> dict:
    ms = [r["ms"] for r in out]
    return {"turns": len(ms), "p50_ms": round(statistics.median(ms), 1), "p95_ms": round(_percentile(ms, 0.95), 1),
            "max_ms": round(max(ms), 1)}


@pytest.mark.slow
def test_load_twenty_sessions_five_turns_then_restart(copy_demo_home, start_server):
    home = copy_demo_home()
    server = start_server(home)
    httpx.get(f"{server.url}/ui/", timeout=60)
    cold_mb = server.rss_mb()
    scripts = [_script(i) for i in range(20)]

    _load(server, 1, [["a book to warm up"]], prefix="warmup")  # loads the embedder, the vector index, memory
    warm_mb = server.rss_mb()
    single, _ = _load(server, 1, [_script(0)])
    _check_no_cross_talk(server, single, [_script(0)])
    many, peak_mb = _load(server, 20, scripts)
    sessions = _check_no_cross_talk(server, many, scripts)
    for r in many:
        if r["text"] == "more please":  # each session's own constraints, nobody else's
            i = int(r["user"].split("-")[1])
            keys = {f"{c['field']}:{c['op']}:{c['value']}" for c in r["body"]["state"]["constraints"]}
            assert f"year:gte:{1980 + i + 1}" in keys or f"year:gte:{float(1980 + i + 1)}" in keys, keys

    report = {"backend": "none (deterministic parser, templated replies)", "rss_after_start_mb": round(cold_mb),
              "rss_at_rest_after_warmup_mb": round(warm_mb),
              "rss_peak_under_load_mb": round(peak_mb), "one_session": _summary(single),
              "twenty_sessions": _summary(many)}
    print("\nload (LLM backend none):", json.dumps(report))
    (REPO / "artifacts").mkdir(exist_ok=True)
    (REPO / "artifacts" / "load-fake.json").write_text(json.dumps(report, indent=2))

    server.stop()
    again = start_server(home)
    for user, sid in sessions.items():
        r = httpx.get(f"{again.url}/v1/sessions/{sid}", headers={"X-User-Id": user})
        assert r.status_code == 200 and len(r.json()["turns"]) == 5
    listed = httpx.get(f"{again.url}/v1/sessions", headers={"X-User-Id": "load-3"}).json()["sessions"]
    assert [s["id"] for s in listed] == [sessions["load-3"]]


@pytest.mark.slow
@pytest.mark.model
def test_load_embedded_model_four_sessions(copy_demo_home, start_server):
    server = start_server(copy_demo_home(), env={"RECPILOT_LLM__BACKEND": "llamacpp"})
    _load(server, 1, [["a book to warm up"]], prefix="warmup")
    rest_mb = server.rss_mb()
    scripts = [_script(i)[:3] for i in range(4)]
    out, peak_mb = _load(server, 4, scripts)
    _check_no_cross_talk(server, out, scripts)
    assert sum(r["body"]["usage"]["llm_calls"] for r in out) > 0  # the model really answered
    report = {"backend": "llamacpp (SmolLM2-135M)", "rss_at_rest_after_warmup_mb": round(rest_mb),
              "rss_peak_under_load_mb": round(peak_mb), "four_sessions": _summary(out)}
    print("\nload (embedded model):", json.dumps(report))
    (REPO / "artifacts").mkdir(exist_ok=True)
    (REPO / "artifacts" / "load-model.json").write_text(json.dumps(report, indent=2))
