"""A simulation run: N dialogues in parallel, written as they finish, resumable.

``DIR/dialogues.jsonl`` gets one line per finished dialogue, appended and flushed at once, so
Ctrl-C leaves every finished dialogue intact; a half-written last line is cut off on the next
start. Re-running with the same ``DIR`` skips the dialogue ids already there (the config must
match; the dialogue count may grow). ``DIR/summary.json`` and ``DIR/report.html`` are
rebuilt from the whole file at the end. The config records which learned components the
settings switch on (the trained ranker, the distilled parser), so runs with and without them
are never mixed in one directory.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from recpilot.errors import ConfigError
from recpilot.settings import Settings
from recpilot.simulator.episode import dialogue_seed
from recpilot.simulator.models import DialogueRecord, DialogueSpec, RunConfig, RunInfo, Summary

DIALOGUES, SUMMARY, CONFIG, RUNS, REPORT = "dialogues.jsonl", "summary.json", "config.json", "runs.jsonl", "report.html"
Progress = Callable[[int, int], None]


def dialogue_id(index: int) -> str:
    return f"d{index:05d}"


def read_records(path: Path) -> list[DialogueRecord]:
    """Every complete, valid record in a dialogues file (a broken line is skipped)."""
    if not path.exists():
        return []
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                break  # half-written by an interrupted run
            try:
                out.append(DialogueRecord.model_validate_json(line))
            except (ValidationError, ValueError):
                continue
    return out


def repair_tail(path: Path) -> None:
    """Cuts a half-written last line, so that appending starts on a fresh line."""
    if not path.exists() or path.stat().st_size == 0:
        return
    data = path.read_bytes()
    if data.endswith(b"\n"):
        return
    cut = data.rfind(b"\n") + 1
    with path.open("r+b") as fh:
        fh.truncate(cut)


def check_config(out: Path, config: RunConfig) -> None:
    """Writes ``config.json``, or refuses to mix a different run into an existing directory."""
    path = out / CONFIG
    if path.exists():
        old = RunConfig.model_validate_json(path.read_text())
        mine, theirs = config.identity(), old.identity()
        diff = sorted(k for k in mine if mine[k] != theirs.get(k))
        if diff:
            details = ", ".join(f"{k}: {theirs.get(k)!r} there, {mine[k]!r} now" for k in diff)
            raise ConfigError(f"{out} holds a different run ({details}); use another --out")
    path.write_text(config.model_dump_json(indent=2))


def active_ranker_meta(settings: Settings, catalog) -> dict | None:
    """The active trained ranker's metadata when its checkpoint fits this catalog version (what
    ``load_checkpoint`` checks, without loading the model: the main process only records it)."""
    from recpilot.tools.rankers.checkpoint import catalog_hash, resolve_ranker

    found = resolve_ranker(settings, catalog)  # HOME's active model, else the shipped one
    if found is None:
        return None
    model, folder, _source = found
    path = folder / f"{model}.json"
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if meta.get("n_items") != len(catalog) or meta.get("content_hash") != catalog_hash(settings, catalog):
        return None
    return meta


def record_learned(settings: Settings, config: RunConfig) -> RunConfig:
    """``config`` with what the settings make of it: the ranker RecPilot blends in ('none' when
    ``settings.learned.ranker`` is off, no model is trained, or the agent is a baseline), whether
    it may use the distilled parser, and the split heldout targets come from: the active
    ranker's (whether or not it is used, so runs with and without it face the same targets)."""
    from recpilot.catalog import load_catalog

    catalog = load_catalog(settings, config.catalog)
    meta = active_ranker_meta(settings, catalog)
    recpilot = config.agent == "recpilot"
    ranker = str(meta.get("model")) if recpilot and meta and settings.learned.ranker else "none"
    split_seed = int((meta or {}).get("seed", 0)) if config.targets == "heldout" else None
    if split_seed is not None:
        _check_heldout(catalog, split_seed)
    return config.model_copy(update={"ranker": ranker, "learned_parser": recpilot and settings.learned.parser,
                                     "split_seed": split_seed})


def _check_heldout(catalog, seed: int) -> None:
    """Heldout targets need readers to draw from: said once here, not in every dialogue's error
    (this also computes the cached split before the first dialogue)."""
    from recpilot.simulator.target import HELDOUT_MIN_HISTORY, heldout_split

    if len(heldout_split(catalog, seed).users) == 0:  # a catalog without ratings raises in the split
        raise ConfigError(f"no reader of catalog {catalog.name!r} has a held-out rating of an item a user could "
                          f"describe and {HELDOUT_MIN_HISTORY} other positives; use --targets catalog")


def load_runs(out: Path) -> list[RunInfo]:
    path = out / RUNS
    if not path.exists():
        return []
    runs = []
    for line in path.read_text().splitlines():
        try:
            runs.append(RunInfo.model_validate_json(line))
        except (ValidationError, ValueError):
            continue
    return runs


def run_simulation(settings: Settings, config: RunConfig, out: Path, *, workers: int = 1, ray: bool = False,
                   ray_address: str | None = None, progress: Progress | None = None) -> Summary:
    from recpilot.simulator import pools

    config = record_learned(settings, config)
    out.mkdir(parents=True, exist_ok=True)
    (out / "work").mkdir(exist_ok=True)
    check_config(out, config)
    path = out / DIALOGUES
    repair_tail(path)
    done = {r.id for r in read_records(path)}
    specs = [DialogueSpec(id=dialogue_id(i), index=i, seed=dialogue_seed(config.seed, i))
             for i in range(config.dialogues) if dialogue_id(i) not in done]
    total, finished = config.dialogues, config.dialogues - len(specs)
    if progress:
        progress(finished, total)
    pool = "ray" if ray else ("process" if workers > 1 else "inline")
    started = time.time()
    first: list[float] = []
    new = 0
    interrupted = False

    with path.open("a", encoding="utf-8") as fh:
        def on_result(record: DialogueRecord) -> None:
            nonlocal finished, new
            fh.write(record.model_dump_json() + "\n")
            fh.flush()
            finished, new = finished + 1, new + 1
            if not first:
                first.append(time.time())
            if progress:
                progress(finished, total)

        try:
            if specs:
                if pool == "ray":
                    pools.run_ray(specs, settings, config, out / "work", workers, on_result, ray_address)
                elif pool == "process":
                    pools.run_processes(specs, settings, config, out / "work", workers, on_result)
                else:
                    pools.run_inline(specs, settings, config, out / "work", on_result)
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            if specs:
                info = RunInfo(started=started, finished=time.time(), new_dialogues=new, workers=workers, pool=pool,
                               startup_s=round((first[0] if first else time.time()) - started, 2),
                               interrupted=interrupted)
                with (out / RUNS).open("a") as runs:
                    runs.write(info.model_dump_json() + "\n")
    return write_outputs(settings, config, out)


def write_outputs(settings: Settings, config: RunConfig, out: Path) -> Summary:
    """Recomputes ``summary.json`` and ``report.html`` from everything in ``DIR``."""
    from recpilot.catalog import load_catalog
    from recpilot.simulator.metrics import summarize
    from recpilot.simulator.report import write_report

    wanted = {dialogue_id(i) for i in range(config.dialogues)}
    records = sorted((r for r in read_records(out / DIALOGUES) if r.id in wanted), key=lambda r: r.id)
    catalog = load_catalog(settings, config.catalog)
    summary = summarize(records, catalog, config, load_runs(out))
    (out / SUMMARY).write_text(json.dumps(summary.model_dump(mode="json"), indent=2))
    write_report(out / REPORT, summary, records)
    return summary
