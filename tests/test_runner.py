"""The simulation runner: files, resuming, interruption, pools (processes, Ray), CLI, reports."""

from __future__ import annotations

import json

import pytest

from recpilot.errors import ConfigError
from recpilot.simulator.models import RunConfig, Summary
from recpilot.simulator.runner import DIALOGUES, RUNS, read_records, repair_tail, run_simulation


def _lines(out) -> list[str]:
    return (out / DIALOGUES).read_text().splitlines(keepends=True)


def _talk(out) -> dict[str, list]:
    """What was said and shown in each dialogue: the same seeds must give the same dialogues."""
    return {r.id: [(t.user, t.reply.item_ids) for t in r.turns] for r in read_records(out / DIALOGUES)}


def test_runner_resumes_and_only_runs_new_dialogues(demo_settings, tmp_path):
    out = tmp_path / "run"
    first = run_simulation(demo_settings, RunConfig(dialogues=4, max_turns=3), out)
    assert first.dialogues == 4
    before = _lines(out)
    summary = run_simulation(demo_settings, RunConfig(dialogues=6, max_turns=3), out)
    after = _lines(out)
    assert after[:4] == before and len(after) == 6
    runs = [json.loads(line) for line in (out / RUNS).read_text().splitlines()]
    assert [r["new_dialogues"] for r in runs] == [4, 2]
    assert summary.dialogues == 6 and summary.scored_dialogues + summary.leaked_dialogues == 6
    on_disk = Summary.model_validate_json((out / "summary.json").read_text())
    assert on_disk.dialogues == 6 and on_disk.success_by_turn == summary.success_by_turn
    assert sorted(r.id for r in read_records(out / DIALOGUES)) == [f"d{i:05d}" for i in range(6)]
    # once everything is there, a re-run adds nothing
    run_simulation(demo_settings, RunConfig(dialogues=6, max_turns=3), out)
    assert len(_lines(out)) == 6


def test_runner_interrupted_run_keeps_finished_dialogues(demo_settings, tmp_path):
    out = tmp_path / "run"

    def stop_after_two(done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_simulation(demo_settings, RunConfig(dialogues=5, max_turns=2, agent="popularity"), out,
                       progress=stop_after_two)
    assert len(read_records(out / DIALOGUES)) == 2
    assert json.loads((out / RUNS).read_text())["interrupted"] is True
    summary = run_simulation(demo_settings, RunConfig(dialogues=5, max_turns=2, agent="popularity"), out)
    assert summary.dialogues == 5 and len(_lines(out)) == 5


def test_runner_ignores_a_half_written_last_line(demo_settings, tmp_path):
    out = tmp_path / "run"
    run_simulation(demo_settings, RunConfig(dialogues=3, max_turns=2, agent="popularity"), out)
    lines = _lines(out)
    (out / DIALOGUES).write_text("".join(lines[:2]) + lines[2][: len(lines[2]) // 2])  # killed mid-write
    assert len(read_records(out / DIALOGUES)) == 2
    summary = run_simulation(demo_settings, RunConfig(dialogues=3, max_turns=2, agent="popularity"), out)
    assert summary.dialogues == 3 and len(_lines(out)) == 3
    assert all(line.endswith("}\n") for line in _lines(out))


def test_repair_tail_cuts_only_an_unfinished_line(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n{"b": 2}\n{"c"')
    repair_tail(path)
    assert path.read_text() == '{"a": 1}\n{"b": 2}\n'
    repair_tail(path)
    assert path.read_text() == '{"a": 1}\n{"b": 2}\n'


def test_runner_refuses_to_mix_different_runs(demo_settings, tmp_path):
    out = tmp_path / "run"
    run_simulation(demo_settings, RunConfig(dialogues=1, max_turns=2, agent="popularity"), out)
    with pytest.raises(ConfigError, match="max_turns"):
        run_simulation(demo_settings, RunConfig(dialogues=2, max_turns=3, agent="popularity"), out)


def test_report_is_self_contained(demo_settings, tmp_path):
    out = tmp_path / "run"
    run_simulation(demo_settings, RunConfig(dialogues=3, max_turns=3), out)
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 3
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "success rate" in page and "Example dialogues" in page


@pytest.mark.slow
def test_runner_process_pool_gives_the_same_dialogues(demo_settings, tmp_path):
    config = RunConfig(dialogues=4, max_turns=3)
    run_simulation(demo_settings, config, tmp_path / "inline")
    summary = run_simulation(demo_settings, config, tmp_path / "pool", workers=2)
    assert summary.pool == "process" and summary.workers == 2
    assert _talk(tmp_path / "pool") == _talk(tmp_path / "inline")


@pytest.mark.slow
def test_runner_on_local_ray_with_two_cpus(demo_settings, tmp_path):
    pytest.importorskip("ray")
    config = RunConfig(dialogues=4, max_turns=3)
    run_simulation(demo_settings, config, tmp_path / "inline")
    summary = run_simulation(demo_settings, config, tmp_path / "ray", workers=2, ray=True)
    assert summary.pool == "ray" and summary.dialogues == 4
    assert _talk(tmp_path / "ray") == _talk(tmp_path / "inline")
    workers = {r.worker for r in read_records(tmp_path / "ray" / DIALOGUES)}
    assert len(workers) == 2  # both actors ran dialogues


@pytest.mark.slow
def test_cli_simulate_then_compare(demo_home, run_cli, tmp_path):
    for agent in ("recpilot", "popularity"):
        res = run_cli(demo_home, "--llm-backend", "none", "simulate", "--agent", agent, "--dialogues", "3",
                      "--max-turns", "2", "--out", str(tmp_path / agent), "--no-progress")
        assert res.returncode == 0, res.stderr
        assert "dialogues/min" in res.stdout and (tmp_path / agent / "report.html").exists()
    res = run_cli(demo_home, "compare", str(tmp_path / "recpilot"), str(tmp_path / "popularity"),
                  "--html", str(tmp_path / "compare.html"))
    assert res.returncode == 0, res.stderr
    assert "recpilot" in res.stdout and "popularity" in res.stdout
    page = (tmp_path / "compare.html").read_text()
    assert "data:image/png;base64," in page and "<th>recpilot</th>" in page and "<th>popularity</th>" in page
    assert "<th>success</th>" in page
    bad = run_cli(demo_home, "simulate", "--simulator", "nope", "--out", str(tmp_path / "x"), "--no-progress")
    assert bad.returncode == 1 and "simulator" in bad.stderr and "Traceback" not in bad.stderr
