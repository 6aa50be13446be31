"""``recpilot train ranker``: the real console script on the demo catalog's ratings."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from recpilot.catalog import load_catalog
from recpilot.cli.main import app
from recpilot.errors import UserError
from recpilot.settings import LLMSettings, Settings
from recpilot.tools.rankers.scorer import TrainedScorer, load_scorer
from recpilot.training.rankers import catalog_split, train_ranker


@pytest.fixture
def home(tmp_path, demo_home):
    """A RECPILOT_HOME that sees the ingested demo catalog (read-only) and has no models."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "catalogs").symlink_to(demo_home / "catalogs")
    return home


@pytest.mark.slow
def test_train_ranker_json_reports_metrics_against_baselines(home, run_cli):
    proc = run_cli(home, "train", "ranker", "--model", "itemknn", "--threads", "1", "--json", timeout=600)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in ("model", "hr@10", "ndcg@10", "recall@50", "baselines", "train_seconds"):
        assert key in report
    assert report["model"] == "itemknn" and set(report["baselines"]) == {"popularity", "itemknn"}
    for metrics in report["baselines"].values():
        assert {"hr@10", "ndcg@10", "recall@50"} <= set(metrics)
    assert report["hr@10"] > report["baselines"]["popularity"]["hr@10"]
    assert report["split"]["test_users"] > 2000
    settings = Settings(home=home, llm=LLMSettings(backend="none"))
    catalog = load_catalog(settings)
    folder = home / "models" / "demo" / catalog.version
    assert (folder / "itemknn.npz").exists() and (folder / "ACTIVE").read_text() == "itemknn"
    assert json.loads((folder / "itemknn.json").read_text())["catalog_version"] == catalog.version
    scorer = load_scorer(settings, catalog)
    assert isinstance(scorer, TrainedScorer) and scorer.name == "itemknn+preference"
    status = run_cli(home, "train", "status", "--json")
    assert status.returncode == 0, status.stderr
    listed = json.loads(status.stdout.strip().splitlines()[-1])
    assert listed["ranker"]["active"] == "itemknn" and listed["ranker"]["enabled"]
    assert [(m["model"], m["source"]) for m in listed["ranker"]["models"]] == [("itemknn", "home")]
    assert listed["ranker"]["models"][0]["hr@10"] == report["hr@10"] and listed["ranker"]["source"] == "home"
    # no parser trained here: the one shipped for the demo catalog is the one in use
    assert (listed["parser"]["trained"], listed["parser"]["source"]) == (True, "shipped")


@pytest.mark.slow
def test_train_ranker_trains_for_the_epochs_asked_and_shows_progress(home, run_cli):
    proc = run_cli(home, "train", "ranker", "--model", "slim", "--epochs", "1", "--seed", "3", "--threads", "1",
                   timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "loss" in proc.stderr and "/s" in proc.stderr and "val ndcg@10" in proc.stderr
    assert "popularity" in proc.stdout and "itemknn" in proc.stdout and "saved" in proc.stdout
    meta = json.loads(next((home / "models" / "demo").glob("*/slim.json")).read_text())
    assert meta["epochs_run"] == 1 and meta["seed"] == 3


@pytest.mark.slow
def test_train_ranker_is_reproducible_with_a_seed(demo_settings, demo_catalog, torch_one_thread):
    a = train_ranker(demo_settings, demo_catalog, "mf", epochs=1, seed=5, save=False)
    b = train_ranker(demo_settings, demo_catalog, "mf", epochs=1, seed=5, save=False)
    for key in ("hr@10", "ndcg@10", "recall@50", "fold_in", "losses"):
        assert a.get(key) == b.get(key)
    for name in ("popularity", "itemknn"):
        assert {k: v for k, v in a["baselines"][name].items() if k != "train_seconds"} == \
            {k: v for k, v in b["baselines"][name].items() if k != "train_seconds"}


@pytest.mark.slow
def test_train_parser_json_reports_per_slot_scores_and_status_lists_it(home, run_cli):
    proc = run_cli(home, "--llm-backend", "none", "train", "parser", "--examples", "600", "--heldout", "200",
                   "--epochs", "8", "--threads", "1", "--json", timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "epoch 1/8" in proc.stderr and "examples/s" in proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    held = report["heldout"]
    for name in ("rules", "distilled", "rules+distilled"):
        assert {"intent_acc", "residual_acc", "likes_f1", "dislikes_f1", "exact"} <= set(held[name])
    assert report["heldout_examples"] == 200 and report["mentions"]["trained"]
    status = json.loads(run_cli(home, "train", "status", "--json").stdout.strip().splitlines()[-1])
    assert status["parser"]["trained"] and status["parser"]["exact"] == held["rules+distilled"]["exact"]
    assert status["parser"]["source"] == "home"
    # no ranker trained here: the one shipped for the demo catalog is the one in use
    assert (status["ranker"]["active"], status["ranker"]["source"]) == ("slim", "shipped")


def test_train_parser_paraphrases_need_an_llm(home):
    result = CliRunner().invoke(app, ["--home", str(home), "--llm-backend", "none", "train", "parser",
                                      "--paraphrases", "5"])
    assert result.exit_code == 2 and "need an LLM backend" in result.output


def test_train_ranker_rejects_an_unknown_model(home):
    result = CliRunner().invoke(app, ["--home", str(home), "train", "ranker", "--model", "sasrec"])
    assert result.exit_code == 2
    assert "choose one of" in result.output


def test_train_ranker_needs_ratings():
    catalog = SimpleNamespace(name="books", interactions=None)
    with pytest.raises(UserError, match="no interactions"):
        catalog_split(catalog)
