"""Serving throughput: a command that prints numbers (not a test).

    .venv/bin/python -m benchmarks.serving [--sessions 50] [--turns 4] [--workers 4] [--database-url URL]

Starts real ``recpilot serve`` processes (LLM backend none, rate limits off), each on a fresh copy
of an ingested demo home, and runs S concurrent sessions of T turns against each:

- (a) one worker, sessions in the SQLite file under home;
- (b) N workers (``--workers``), sessions in PostgreSQL: ``--database-url``, else
  ``RECPILOT_BENCH_DATABASE_URL``, else a fresh database on the server tests/services.py finds
  (dropped afterwards); without one, (b) is skipped.

For each it prints turns/s, p50/p95 turn latency, errors, lost writes (acknowledged turns that
are not in the stored session) and peak RSS per worker process, then the ratio of (b)'s turns/s
to (a)'s. Each server is warmed up (every worker has answered) before it is timed. A turn with
the backend ``none`` is mostly Python (parsing, retrieval, ranking), so N workers scale with the
cores the machine has to spare, not with N.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from benchmarks.stats import pct

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO = Path(__file__).resolve().parent.parent
RECPILOT_BIN = Path(sys.executable).parent / "recpilot"
#: what users say, one after another (session i starts at request i)
REQUESTS = [
    "I'd like a fantasy novel with dragons",
    "something published after 2000",
    "a mystery with a clever detective",
    "show me more",
    "not horror please",
    "I loved The Hobbit, what else would I like?",
    "something funny for a long flight",
    "a classic romance",
    "any good science fiction about space travel?",
    "something popular",
    "more like the first one",
    "a short thriller",
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def demo_home(root: Path) -> Path:
    """An ingested demo home (as tests/conftest.py's ``demo_home`` builds one)."""
    from recpilot.ingest import ingest_demo
    from recpilot.settings import LLMSettings, Settings

    home = root / "demo-home"
    ingest_demo(Settings(home=home, llm=LLMSettings(backend="none")))
    return home


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Server:
    """``recpilot serve`` on a free loopback port, over its own home."""

    def __init__(self, home: Path, workers: int, env: dict[str, str], logfile: Path):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        base = {k: v for k, v in os.environ.items() if not k.startswith("RECPILOT_")}
        base.update({"RECPILOT_HOME": str(home), "RECPILOT_LLM__BACKEND": "none", "HF_HUB_OFFLINE": "1",
                     "ANONYMIZED_TELEMETRY": "False", "RECPILOT_SERVER__RATE_PER_USER": "0",
                     "RECPILOT_SERVER__RATE_PER_IP": "0", **env})
        self.log = logfile
        with logfile.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(RECPILOT_BIN), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)],
                stdout=out, stderr=subprocess.STDOUT, env=base, cwd=str(REPO))

    def wait(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"recpilot serve exited with {self.proc.returncode}:\n"
                                   f"{self.log.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200 and \
                        len(self.worker_pids()) == self.workers:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"recpilot serve did not answer within {timeout:g} s")

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the serve process itself with one worker, else its
        children started by multiprocessing's spawn (not its resource tracker)."""
        if self.workers == 1:
            return [self.proc.pid]
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (entry / "cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue
            if ppid == self.proc.pid and b"multiprocessing.spawn" in cmdline:
                pids.append(int(entry.name))
        return sorted(pids)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


class RssSampler(threading.Thread):
    """Peak RSS of each worker process while the load runs."""

    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.server, self.peak, self.done = server, {}, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for pid in self.server.worker_pids():
                self.peak[pid] = max(self.peak.get(pid, 0.0), _rss_mb(pid))
            time.sleep(0.2)


def converse(url: str, i: int, turns: int, prefix: str, out: dict) -> None:
    """One session of ``turns`` turns; records each turn's latency, acknowledged texts, errors."""
    user = f"{prefix}-{i}"
    record = out[i] = {"user": user, "sid": None, "ms": [], "acked": [], "errors": []}
    try:
        with httpx.Client(base_url=url, headers={"X-User-Id": user}, timeout=300) as client:
            r = client.post("/v1/sessions")
            if r.status_code != 201:
                record["errors"].append(f"create: {r.status_code} {r.text[:200]}")
                return
            record["sid"] = r.json()["session_id"]
            for t in range(turns):
                text = REQUESTS[(i + t) % len(REQUESTS)]
                start = time.perf_counter()
                try:
                    r = client.post(f"/v1/sessions/{record['sid']}/messages", json={"text": text})
                except httpx.HTTPError as exc:
                    record["errors"].append(f"turn {t}: {exc!r}")
                    continue
                record["ms"].append((time.perf_counter() - start) * 1000)
                if r.status_code == 200:
                    record["acked"].append(text)
                else:
                    record["errors"].append(f"turn {t}: {r.status_code} {r.text[:200]}")
    except Exception as exc:  # noqa: BLE001 - counted as an error of this session
        record["errors"].append(repr(exc))


def run_load(server: Server, sessions: int, turns: int, prefix: str) -> dict:
    out: dict[int, dict] = {}
    threads = [threading.Thread(target=converse, args=(server.url, i, turns, prefix, out)) for i in range(sessions)]
    sampler = RssSampler(server)
    sampler.start()
    started = time.perf_counter()
    for t in threads:
        t.start()
    total = sessions * turns
    while any(t.is_alive() for t in threads):
        time.sleep(2)
        done = sum(len(r["ms"]) for r in list(out.values()))
        log(f"  {done}/{total} turns, {time.perf_counter() - started:.0f} s")
    elapsed = time.perf_counter() - started
    sampler.done.set()
    sampler.join()
    return {"records": out, "elapsed": elapsed, "rss": sampler.peak}


def verify(url: str, records: dict[int, dict]) -> int:
    """Acknowledged turns that are not in the stored session (in order)."""
    lost = 0
    with httpx.Client(base_url=url, timeout=120) as client:
        for r in records.values():
            if r["sid"] is None:
                continue
            got = client.get(f"/v1/sessions/{r['sid']}", headers={"X-User-Id": r["user"]})
            stored = [t["user"] for t in got.json()["turns"]] if got.status_code == 200 else []
            it = iter(stored)
            lost += sum(1 for text in r["acked"] if text not in it)
    return lost


def bench(label: str, home: Path, workers: int, env: dict[str, str], sessions: int, turns: int, tmp: Path) -> dict:
    log(f"{label}: starting {workers} worker(s)")
    t0 = time.perf_counter()
    server = Server(home, workers, env, tmp / f"{label}.log")
    try:
        server.wait()
        log(f"{label}: up in {time.perf_counter() - t0:.0f} s; warming up every worker")
        run_load(server, max(4, 3 * workers), 1, f"{label}-warmup")
        log(f"{label}: {sessions} sessions x {turns} turns")
        load = run_load(server, sessions, turns, label)
        records = load["records"]
        ms = [m for r in records.values() for m in r["ms"]]
        acked = sum(len(r["acked"]) for r in records.values())
        errors = [e for r in records.values() for e in r["errors"]]
        lost = verify(server.url, records)
        rss = load["rss"]
        result = {
            "workers": workers, "store": "postgresql" if "RECPILOT_DATABASE_URL" in env else "sqlite",
            "sessions": sessions, "turns_per_session": turns, "turns_acknowledged": acked,
            "seconds": round(load["elapsed"], 2), "turns_per_s": round(acked / load["elapsed"], 2),
            "p50_ms": round(pct(ms, 50), 1), "p95_ms": round(pct(ms, 95), 1), "errors": len(errors),
            "lost_writes": lost, "rss_mb_per_worker": [round(v) for v in rss.values()],
            "rss_mb_total": round(sum(rss.values())),
        }
        if errors:
            result["first_errors"] = errors[:3]
        log(f"{label}: {json.dumps(result)}")
        return result
    finally:
        server.stop()


def postgres_database(explicit: str | None) -> tuple[str | None, str | None, object]:
    """(URL, why there is none, cleanup)."""
    url = explicit or os.environ.get("RECPILOT_BENCH_DATABASE_URL")
    if url:
        return url, None, lambda: None
    try:
        sys.path.insert(0, str(REPO / "tests"))
        import services  # tests/services.py: finds (or starts) a local PostgreSQL
    except ImportError as exc:
        return None, f"tests/services.py is not importable ({exc})", lambda: None
    base = services.postgres_url()
    if base is None:
        return None, services.postgres_skip_reason(), lambda: None
    fresh = services.fresh_database(base)
    return fresh, None, lambda: services.drop_database(fresh)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=50, help="concurrent sessions")
    parser.add_argument("--turns", type=int, default=4, help="turns per session")
    parser.add_argument("--workers", type=int, default=4, help="workers of the PostgreSQL server (b)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL for (b) (default: "
                        "RECPILOT_BENCH_DATABASE_URL, else a fresh database on the tests' server)")
    parser.add_argument("--out", type=Path, default=None, help="also write serving.json here")
    args = parser.parse_args()
    results: dict = {"cpu_count": os.cpu_count(), "llm_backend": "none"}
    with tempfile.TemporaryDirectory(prefix="recpilot-bench-serving-") as tmp_name:
        tmp = Path(tmp_name)
        log("ingesting the demo catalog into a fresh home")
        home = demo_home(tmp)

        def fresh_home(name: str) -> Path:
            dst = tmp / name
            shutil.copytree(home, dst)
            return dst

        results["a"] = bench("a-sqlite-1w", fresh_home("a"), 1, {}, args.sessions, args.turns, tmp)
        url, why, cleanup = postgres_database(args.database_url)
        if url is None:
            log(f"(b) skipped: no PostgreSQL ({why})")
        else:
            try:
                results["b"] = bench(f"b-postgres-{args.workers}w", fresh_home("b"), args.workers,
                                     {"RECPILOT_DATABASE_URL": url}, args.sessions, args.turns, tmp)
            finally:
                cleanup()
    if "b" in results and results["a"]["turns_per_s"]:
        results["ratio_b_over_a"] = round(results["b"]["turns_per_s"] / results["a"]["turns_per_s"], 2)
    print()
    for key, title in (("a", "(a) 1 worker, SQLite"), ("b", f"(b) {args.workers} workers, PostgreSQL")):
        if key in results:
            r = results[key]
            print(f"{title:28s} {r['turns_per_s']:7.2f} turns/s  p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  "
                  f"errors {r['errors']}  lost writes {r['lost_writes']}  RSS/worker {r['rss_mb_per_worker']} MB "
                  f"(total {r['rss_mb_total']} MB)")
    if "ratio_b_over_a" in results:
        print(f"turns/s (b)/(a): {results['ratio_b_over_a']} on {results['cpu_count']} CPUs")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "serving.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
