"""The ranker and distilled parser shipped for the bundled demo catalog
(``recpilot/data/models/demo/``, built by ``scripts/build_demo_models.py``): they are used for
the demo catalog's content when HOME has no model of its own, a model trained in HOME comes
first, and a catalog with other content never uses them.

When the demo data or ``Item`` changes, the first test fails: rebuild them with
``.venv/bin/python scripts/build_demo_models.py``."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil

import pytest

from recpilot.agent.agent import RecPilot
from recpilot.agent.distilled import DistilledParser, checkpoint_paths, load_distilled
from recpilot.agent.steps import ParseStep
from recpilot.catalog import load_catalog
from recpilot.cli.train_cmds import learned_status
from recpilot.ingest import DEMO_DIR, ingest
from recpilot.settings import LLMSettings, Settings
from recpilot.tools.rankers import checkpoint
from recpilot.tools.rankers.checkpoint import (
    SHIPPED_DIR,
    catalog_hash,
    interactions_hash,
    shipped_manifest,
)
from recpilot.tools.rankers.factory import make_ranker
from recpilot.tools.rankers.scorer import NO_RANKER_NOTE, TrainedScorer, load_scorer
from recpilot.training.rankers import catalog_split, save_checkpoint

HP1 = "2"  # Harry Potter #1 in goodbooks

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def _settings(home, **learned) -> Settings:
    settings = Settings(home=home, llm=LLMSettings(backend="none"))
    return settings.model_copy(update={"learned": settings.learned.model_copy(update=learned)})


@pytest.fixture
def models_home(tmp_path, demo_home) -> Settings:
    """A fresh RECPILOT_HOME that sees the ingested demo catalog (read-only) and has no models."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "catalogs").symlink_to(demo_home / "catalogs")
    return _settings(home)


def test_the_manifest_names_the_demo_catalog_and_every_file_is_intact(demo_settings, demo_catalog):
    manifest = shipped_manifest()
    assert manifest is not None, f"no {SHIPPED_DIR}/manifest.json: run scripts/build_demo_models.py"
    assert manifest["content_hash"] == catalog_hash(demo_settings, demo_catalog), \
        "the demo catalog changed since the shipped models were built: run scripts/build_demo_models.py"
    assert manifest["n_items"] == len(demo_catalog)
    assert manifest["interactions_hash"] == interactions_hash(demo_catalog)
    assert {"slim.npz", "slim.json", "parser.npz", "parser.json"} <= set(manifest["files"])
    for name, entry in manifest["files"].items():
        data = (SHIPPED_DIR / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], f"{name} differs from the manifest"
    total = sum(p.stat().st_size for p in SHIPPED_DIR.iterdir())
    assert total < 5_000_000  # checked into git: keep it small
    slim = json.loads((SHIPPED_DIR / "slim.json").read_text())
    assert slim["hr@10"] > slim["baselines"]["itemknn"]["hr@10"] - 0.01  # float16 storage costs ~nothing
    assert abs(slim["hr@10"] - slim["full_precision"]["hr@10"]) < 0.005


def test_the_demo_catalog_uses_the_shipped_models_without_training(models_home):
    catalog = load_catalog(models_home)
    scorer = load_scorer(models_home, catalog)
    assert isinstance(scorer, TrainedScorer) and scorer.name == "slim+preference"
    assert scorer.meta["source"] == "shipped" and scorer.meta["seed"] == 0
    parser = load_distilled(models_home, catalog)
    assert isinstance(parser, DistilledParser) and parser.meta["source"] == "shipped"
    assert parser.mentions is not None
    status = learned_status(models_home, catalog)
    assert (status["ranker"]["active"], status["ranker"]["source"]) == ("slim", "shipped")
    assert [(m["model"], m["source"]) for m in status["ranker"]["models"]] == [("slim", "shipped")]
    assert status["parser"]["trained"] and status["parser"]["source"] == "shipped"
    assert not (models_home.home / "models").exists()  # nothing was written to HOME


def test_the_switches_leave_the_shipped_models_unused(models_home):
    catalog = load_catalog(models_home)
    for learned in ({"shipped": False}, {"ranker": False}):
        assert load_scorer(_settings(models_home.home, **learned), catalog) is None
    for learned in ({"shipped": False}, {"parser": False}):
        assert load_distilled(_settings(models_home.home, **learned), catalog) is None
    status = learned_status(_settings(models_home.home, shipped=False), catalog)
    assert status["ranker"]["active"] is None and not status["parser"]["trained"]


def test_the_agent_ranks_and_parses_with_them(demo_settings):
    agent = RecPilot.from_settings(demo_settings, llm=None)
    assert agent.scorer is not None and agent.scorer.meta["source"] == "shipped"
    assert agent.parser.distilled is not None and agent.parser.distilled.meta["source"] == "shipped"
    result = agent.ask("I loved Harry Potter and the Sorcerer's Stone, something like it",
                       user_id="shipped-models-test")
    assert result.items and NO_RANKER_NOTE not in result.state.notes
    assert any("readers who liked" in item.reason for item in result.items)
    # a held-out phrasing of the parser's corpus: the rules would ask an LLM about the leftover words
    steps = list(agent.turn("What's a good contemporary fiction? I'm between jobs at the moment.",
                            user_id="shipped-models-test"))
    parse = next(s for s in steps if isinstance(s, ParseStep))
    assert parse.used_distilled and not parse.used_llm and not parse.update.keywords  # context, not a wish


def test_a_model_trained_in_home_comes_first(models_home):
    catalog = load_catalog(models_home)
    ranker = make_ranker("popularity")
    ranker.fit(catalog_split(catalog, 0).train)
    save_checkpoint(models_home, catalog, ranker, {"seed": 0})
    scorer = load_scorer(models_home, catalog)
    assert scorer.name == "popularity+preference" and scorer.meta["source"] == "home"
    assert load_distilled(models_home, catalog).meta["source"] == "shipped"  # each kind on its own
    path, meta = checkpoint_paths(models_home, catalog)
    shutil.copyfile(SHIPPED_DIR / "parser.npz", path)
    meta.write_text(json.dumps({**json.loads((SHIPPED_DIR / "parser.json").read_text()), "seed": 42}))
    parser = load_distilled(models_home, catalog)
    assert parser.meta["source"] == "home" and parser.meta["seed"] == 42
    status = learned_status(models_home, catalog)
    assert (status["ranker"]["active"], status["ranker"]["source"]) == ("popularity", "home")
    assert [m["source"] for m in status["ranker"]["models"]] == ["home"]
    assert status["parser"]["source"] == "home"


def test_other_ratings_keep_the_shipped_parser_but_not_the_ranker(models_home, monkeypatch):
    catalog = load_catalog(models_home)
    monkeypatch.setattr(checkpoint, "interactions_hash", lambda _catalog: "other-ratings")
    assert load_scorer(models_home, catalog) is None
    assert load_distilled(models_home, catalog).meta["source"] == "shipped"


def test_a_catalog_with_other_content_does_not_use_them(tmp_path):
    rows = gzip.open(DEMO_DIR / "catalog.jsonl.gz", "rt").readlines()[:40]
    path = tmp_path / "books.jsonl"
    path.write_text("".join(rows))
    settings = _settings(tmp_path / "home")
    ingest(settings, path, name="demo", schema_file=DEMO_DIR / "schema.yaml",
           precomputed=DEMO_DIR / "embeddings.npz")
    catalog = load_catalog(settings)
    assert catalog.name == "demo" and len(catalog) == 40
    assert load_scorer(settings, catalog) is None and load_distilled(settings, catalog) is None
    status = learned_status(settings, catalog)
    assert status["ranker"]["active"] is None and not status["parser"]["trained"]


def test_a_shipped_manifest_for_other_content_is_ignored(models_home, tmp_path, monkeypatch):
    other = tmp_path / "shipped"
    shutil.copytree(SHIPPED_DIR, other)
    manifest = json.loads((other / "manifest.json").read_text())
    (other / "manifest.json").write_text(json.dumps({**manifest, "content_hash": "0123456789abcdef"}))
    monkeypatch.setattr(checkpoint, "SHIPPED_DIR", other)
    catalog = load_catalog(models_home)
    assert load_scorer(models_home, catalog) is None and load_distilled(models_home, catalog) is None


def test_answering_with_the_shipped_models_never_imports_torch(demo_home, tmp_path):
    """torch is for training: importing it costs about 2 s on every command that only uses a
    model (``recpilot ask``)."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from recpilot.agent.agent import RecPilot\n"
            "from recpilot.settings import LLMSettings, Settings\n"
            f"s = Settings(home={str(demo_home)!r}, llm=LLMSettings(backend='none'))\n"
            "agent = RecPilot.from_settings(s, llm=None)\n"
            "assert agent.scorer is not None and agent.parser.distilled is not None\n"
            "r = agent.ask('I loved Harry Potter, something like it, but not too long', user_id='no-torch')\n"
            "assert r.items\n"
            "print('torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False"
