"""The stance reader: the shipped model on clear cases, span masking, the data it learns from,
the dialogue-grouped folds, broken weight files, and training end to end through the CLI."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import REPO
from typer.testing import CliRunner

from recpilot.agent.stance import SHIPPED, StanceModel
from recpilot.agent.stance_text import contexts
from recpilot.cli.main import app
from recpilot.errors import ModelFileError, UserError
from recpilot.training.stance_data import StanceExample, book_examples, redial_examples
from recpilot.training.stance_eval import group_folds

TINY = REPO / "tests" / "fixtures" / "stance_tiny.jsonl"


@pytest.fixture(scope="module")
def model() -> StanceModel:
    return StanceModel.load()


def spans_of(text: str, *names: str) -> list[tuple[int, int]]:
    return [(text.index(n), text.index(n) + len(n)) for n in names]


@pytest.mark.parametrize(("text", "names", "expected"), [
    ("I loved it", (), "liked"),
    ("I couldn't stand it, too slow", (), "disliked"),
    ("haven't seen it yet", (), "neutral"),
    ("Sounds good, I'll check it out!", (), "liked"),
    ("No thanks, not my thing.", (), "disliked"),
    # the book domain, including the idiom whose words read as a negation
    ("Honestly The Goldfinch was a waste of time.", ("The Goldfinch",), "disliked"),
    ("I couldn't put Gone Girl down.", ("Gone Girl",), "liked"),
    ("Is The Road any good?", ("The Road",), "neutral"),
])
def test_stance_shipped_model_reads_clear_cases(model, text, names, expected):
    (reading,) = model.read(text, spans_of(text, *names))
    assert reading.label == expected, reading.probs
    assert abs(sum(reading.probs.values()) - 1) < 1e-3


@pytest.mark.parametrize("text", ["I loved The Hunger Games but hated Twilight",
                                  "I hated Twilight but loved The Hunger Games"])
def test_stance_masks_each_mention_so_two_in_one_message_can_differ(model, text):
    readings = model.read(text, spans_of(text, "The Hunger Games", "Twilight"))
    assert [r.label for r in readings] == ["liked", "disliked"]


def test_stance_redial_rule_never_says_neutral(model):
    (reading,) = model.read("haven't seen it yet", [], rule="redial")
    assert reading.label == "liked"


def test_stance_contexts_cut_at_a_contrast_between_mentions_and_mask_titles():
    text = "I liked Up and Cars, but not Brave. Tangled was fine"
    spans = spans_of(text, "Up", "Cars", "Brave", "Tangled")
    assert contexts(text, spans) == ["I liked it and that one,", "I liked that one and it,", "but not it.", "it was fine"]
    assert contexts(text, spans[:1], follow=True) == ["I liked it and Cars, but not Brave. Tangled was fine"]
    assert contexts("  sounds   good ", []) == ["sounds good"]


def test_stance_rejects_spans_outside_the_text(model):
    with pytest.raises(ValueError, match="not inside"):
        model.read("short", [(2, 40)])


def test_stance_reads_a_mention_deep_in_a_long_message(model):
    text = "I read a lot. " * 400 + "Honestly I hated Twilight, it was too slow."
    (reading,) = model.read(text, spans_of(text, "Twilight"))
    assert reading.label == "disliked"
    assert len(contexts(text, spans_of(text, "Twilight"))[0]) < 100


def test_stance_reads_the_same_from_many_threads(model):
    texts = ["I loved it", "too slow for me", "what is it about?", "I didn't like it much"] * 4
    alone = [model.read(t, [])[0].probs for t in texts]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda t: model.read(t, [])[0].probs, texts))
    assert together == alone


# --- the data --------------------------------------------------------------------------------------
def test_stance_data_reads_mentions_at_their_titles_and_replies_whole():
    examples, gold, errors = redial_examples(TINY)
    assert errors == [] and [d.id for d in gold] == ["501", "502", "503", "504", "505"]
    by_item = {(e.group, e.item): e for e in examples}
    hated = by_item[("501", "9002")]
    assert (hated.source, hated.label, hated.text[slice(*hated.spans[hated.index])]) == \
        ("mention", "disliked", "The Slow River")
    reply = by_item[("501", "9003")]
    assert (reply.source, reply.index, reply.spans, reply.label) == ("reply", None, [], "liked")
    assert reply.text == "No, I haven't seen it but it sounds good!"
    # a reply that names movies itself is read at its own mentions, not as a reply about 9006/9007
    assert {(e.item, e.source) for e in examples if e.group == "502"} == \
        {("9005", "mention"), ("9006", "mention"), ("9007", "mention")}
    assert by_item[("502", "9007")].label == "neutral"
    assert by_item[("505", "9014")].label == "disliked"  # the recommender's form when the seeker's is []


def test_stance_book_examples_point_at_their_titles_and_weigh_less():
    examples = book_examples(40, seed=3, weight=0.25)
    assert len(examples) == 40 and {e.source for e in examples} == {"book"} and {e.weight for e in examples} == {0.25}
    assert {e.label for e in examples} == {"liked", "disliked", "neutral"}
    for e in examples:
        start, end = e.spans[e.index]
        assert e.text[start:end].strip() and "{" not in e.text and e.group.startswith("book:")


def test_stance_folds_never_split_a_dialogue():
    examples = [StanceExample(text="x", spans=[], index=None, label=label, group=f"d{g}", item=f"m{i}", source="reply")
                for g in range(40) for i, label in enumerate(["liked", "disliked" if g % 7 == 0 else "liked", "neutral"][: 1 + g % 3])]
    for k in (3, 5):
        folds = group_folds(examples, k, seed=1)
        fold_of: dict[str, set[int]] = {}
        for e, f in zip(examples, folds, strict=True):
            fold_of.setdefault(e.group, set()).add(f)
        assert all(len(f) == 1 for f in fold_of.values()) and set(folds) == set(range(k))
        disliked = [f for e, f in zip(examples, folds, strict=True) if e.label == "disliked"]
        assert max(disliked.count(f) for f in range(k)) - min(disliked.count(f) for f in range(k)) <= 1


# --- weight files ----------------------------------------------------------------------------------
@pytest.fixture
def copied(tmp_path):
    path = tmp_path / "stance.npz"
    shutil.copy(SHIPPED, path)
    shutil.copy(SHIPPED.with_suffix(".json"), path.with_suffix(".json"))
    return path


def test_stance_missing_weights_give_a_typed_error(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        StanceModel.load(tmp_path / "nothing.npz")


@pytest.mark.parametrize("damage", ["truncate", "garbage", "json", "other-weights"])
def test_stance_corrupt_weights_give_a_typed_error(copied, damage):
    if damage == "truncate":
        copied.write_bytes(copied.read_bytes()[:200])
    elif damage == "garbage":
        copied.write_bytes(b"not a zip file at all")
    elif damage == "json":
        copied.with_suffix(".json").write_text("{")
    else:  # a valid npz that is not the one the json describes
        meta = json.loads(copied.with_suffix(".json").read_text())
        meta["weights_sha1"] = "0" * 40
        copied.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError) as info:
        StanceModel.load(copied)
    assert isinstance(info.value, UserError) and str(copied) in str(info.value)


# --- training, end to end --------------------------------------------------------------------------
def test_stance_train_cli_runs_end_to_end_and_saves_a_loadable_model(tmp_path):
    out = tmp_path / "model" / "stance.npz"
    result = CliRunner().invoke(app, ["train", "stance", "--redial", str(TINY), "--folds", "3", "--out", str(out),
                                      "--book-examples", "30", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["counts"]["dialogues"] == 5 and report["counts"]["book_examples"] == 30
    assert set(report["cv"]["model"]["dialogue"]) == {"last", "any_disliked", "mean"}
    assert set(report["cv"]["baselines"]) == {"all_liked", "phrase_list", "vader"}
    model = StanceModel.load(out)
    assert model.meta.report["counts"]["human_examples"] == 14 and len(model.read("I loved it", [])) == 1
    assert not list(out.parent.glob("*.tmp"))


def test_stance_train_cli_needs_three_folds():
    result = CliRunner().invoke(app, ["train", "stance", "--redial", str(TINY), "--folds", "2"])
    assert result.exit_code != 0
