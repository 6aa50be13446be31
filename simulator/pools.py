"""Where dialogues run: in this process, in a pool of processes, or on Ray.

llama.cpp models and chromadb clients do not pickle, so nothing heavy crosses a process
boundary: every worker (a process, or a Ray actor) builds its own ``Worker`` — catalog,
agent, simulator model — from the typed ``Settings`` and ``RunConfig``, and sends back
finished ``DialogueRecord``s as JSON. The settings object itself is pickled to each worker (not
re-read from the environment there), so switches a command set on it (``learned.ranker``) hold
in every worker.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path

from recpilot.settings import LLMSettings, Settings
from recpilot.simulator.models import DialogueRecord, DialogueSpec, RunConfig

OnResult = Callable[[DialogueRecord], None]
SIM_TEMPERATURE = 0.7


class Worker:
    """Everything one worker needs to run dialogues, built once per worker."""

    def __init__(self, settings: Settings, config: RunConfig, workdir: Path, threads: int | None = None):
        from recpilot.catalog import load_catalog
        from recpilot.llm.base import build_chat_model
        from recpilot.simulator.agents import build_agent

        if threads and settings.llm.n_threads is None:
            settings = settings.model_copy(update={"llm": settings.llm.model_copy(update={"n_threads": threads})})
        self.config = config
        self.catalog = load_catalog(settings, config.catalog)
        agent_llm = build_chat_model(settings.llm) if config.agent in ("recpilot", "llm-only") else None
        self.agent = build_agent(config.agent, settings, self.catalog, workdir, agent_llm,
                                 run_tag=f"sim{config.seed}-{int(time.time())}")
        _check_ranker(self.agent, config)
        self.sim_llm = None
        if config.simulator == "llm":
            sim = config.sim_llm or LLMSettings(temperature=SIM_TEMPERATURE)
            if threads and sim.n_threads is None:
                sim = sim.model_copy(update={"n_threads": threads})
            self.sim_llm = build_chat_model(sim)
            if self.sim_llm is None:
                from recpilot.errors import ConfigError

                raise ConfigError("the llm simulator needs an LLM backend (--sim-llm-backend llamacpp or openai)")

    def make_user(self, profile, persona, seed):
        from recpilot.simulator.llm_user import LLMSimulator
        from recpilot.simulator.users import RuleSimulator

        if self.sim_llm is not None:
            temperature = (self.config.sim_llm or LLMSettings(temperature=SIM_TEMPERATURE)).temperature
            return LLMSimulator(profile, persona, seed, self.sim_llm, temperature, chatter=self.config.chatter)
        return RuleSimulator(profile, persona, seed, chatter=self.config.chatter)

    def run(self, spec: DialogueSpec) -> DialogueRecord:
        from recpilot.simulator.episode import run_dialogue

        return run_dialogue(spec, self.catalog, self.agent, self.make_user, self.config)


def _check_ranker(agent, config: RunConfig) -> None:
    """The run records the ranker it uses; one that fails to load here (an unreadable file, a
    model trained meanwhile) would make the record false, so the run stops instead."""
    scorer = getattr(getattr(agent, "agent", None), "scorer", None)
    used = str(getattr(scorer, "meta", {}).get("model", "?")) if scorer is not None else "none"
    if config.agent == "recpilot" and used != config.ranker:
        from recpilot.errors import ConfigError

        raise ConfigError(f"the run records the {config.ranker!r} ranker but this worker loaded {used!r}")


def run_inline(specs: Iterable[DialogueSpec], settings: Settings, config: RunConfig, workdir: Path,
               on_result: OnResult) -> None:
    worker = Worker(settings, config, workdir)
    for spec in specs:
        on_result(worker.run(spec))


# --- a pool of processes ---------------------------------------------------------------------------
_worker: Worker | None = None


def _init_process(settings: Settings, config: RunConfig, workdir: Path, threads: int) -> None:
    global _worker
    _worker = Worker(settings, config, workdir, threads)


def _run_in_process(spec: DialogueSpec) -> str:
    assert _worker is not None, "worker not initialised"
    return _worker.run(spec).model_dump_json()


@contextmanager
def _thread_env(threads: int):
    """Children inherit the environment: numeric libraries in each worker use ``threads``
    threads (as Ray does for its workers), so W workers do not fight over the cores."""
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {n: os.environ.get(n) for n in names}
    for n in names:
        os.environ.setdefault(n, str(threads))
    try:
        yield
    finally:
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = v


def run_processes(specs: list[DialogueSpec], settings: Settings, config: RunConfig, workdir: Path,
                  workers: int, on_result: OnResult) -> None:
    threads = max(1, (os.cpu_count() or 1) // workers)
    with _thread_env(threads):
        _run_processes(specs, settings, config, workdir, workers, threads, on_result)


def _run_processes(specs, settings, config, workdir, workers, threads, on_result) -> None:
    ctx = multiprocessing.get_context("spawn")  # fork would copy native handles (llama.cpp, onnx, sqlite)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_process,
                               initargs=(settings, config, workdir, threads))
    pending = set()
    queue = list(reversed(specs))
    try:
        while queue or pending:
            while queue and len(pending) < 2 * workers:  # a short queue: Ctrl-C loses little work
                pending.add(pool.submit(_run_in_process, queue.pop()))
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                on_result(DialogueRecord.model_validate_json(fut.result()))
    finally:
        pool.shutdown(wait=not pending, cancel_futures=True)


# --- Ray ---------------------------------------------------------------------------------------------
class RayWorker:
    """A Ray actor body: one ``Worker`` per actor, dialogues run one at a time."""

    def __init__(self, settings: Settings, config: RunConfig, workdir: str, threads: int | None):
        self.worker = Worker(settings, config, Path(workdir), threads)

    def run(self, spec: DialogueSpec) -> str:
        return self.worker.run(spec).model_dump_json()


def start_ray(num_cpus: int, address: str | None = None):
    """Connects to ``address``, or starts a quiet local Ray on loopback with ``num_cpus``."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    if ray.is_initialized():
        return ray
    if address:
        ray.init(address=address, log_to_driver=False, logging_level="ERROR")
    else:
        ray.init(num_cpus=num_cpus, include_dashboard=False, _node_ip_address="127.0.0.1",
                 object_store_memory=100 * 1024 * 1024, log_to_driver=False, logging_level="ERROR")
    return ray


def run_ray(specs: list[DialogueSpec], settings: Settings, config: RunConfig, workdir: Path, workers: int,
            on_result: OnResult, address: str | None = None) -> None:
    ray = start_ray(workers, address)
    try:
        threads = None if address else max(1, (os.cpu_count() or 1) // workers)
        actor_cls = ray.remote(num_cpus=1)(RayWorker)
        actors = [actor_cls.remote(settings, config, str(workdir), threads) for _ in range(workers)]
        queue = list(reversed(specs))
        pending: dict = {}
        idle = list(actors) * 2  # two dialogues in flight per actor keeps each one busy
        while queue or pending:
            while queue and idle:
                actor = idle.pop()
                pending[actor.run.remote(queue.pop())] = actor
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                idle.append(pending.pop(ref))
                on_result(DialogueRecord.model_validate_json(ray.get(ref)))
    finally:
        ray.shutdown()
