"""The mention-linking gold set (tests/data/mentions.yaml) and the scorer that reads it."""

from __future__ import annotations

import gzip
import json
import re
import textwrap
from dataclasses import dataclass

import pytest
from conftest import REPO

from recpilot.simulator.mention_eval import MentionGoldError, check_gold, load_gold, score

GOLD = REPO / "tests" / "data" / "mentions.yaml"


@dataclass
class FakeLink:  # shaped like recpilot.agent.mentions.MentionLink
    kind: str
    start: int
    end: int
    value: str


def _gold(tmp_path, text: str):
    path = tmp_path / "gold.yaml"
    path.write_text(textwrap.dedent(text))
    return load_gold(path)


def phrase_linker(table: dict[str, tuple[str, str]]):
    """A tiny hand-made linker: every case-insensitive occurrence of a phrase links to (kind, value)."""

    def predict(text: str) -> list[FakeLink]:
        out = []
        for phrase, (kind, value) in table.items():
            for m in re.finditer(re.escape(phrase), text, re.I):
                out.append(FakeLink(kind, m.start(), m.end(), value))
        return out

    return predict


SMALL = """
    - text: just finished Gone Girl and couldn't put it down
      mentions: [{text: Gone Girl, kind: title, id: 30}]
    - text: my son loved the first hunger games and anything by rick riordan
      mentions:
        - {text: the first hunger games, kind: title, id: "1"}
        - {text: rick riordan, kind: person, value: Rick Riordan}
    - text: what should I read next?
      mentions: []
    - text: the percy jackson books were a hit
      mentions: [{text: percy jackson books, kind: series, value: Percy Jackson and the Olympians}]
"""


def test_mention_eval_perfect_linker_scores_one(tmp_path):
    gold = _gold(tmp_path, SMALL)
    predict = phrase_linker({"gone girl": ("title", "30"), "first hunger games": ("title", "1"),
                             "Rick Riordan": ("person", "rick  riordan"),  # names ignore case and spacing
                             "percy jackson": ("series", "Percy Jackson and the Olympians")})
    result = score(gold, predict)
    assert (result.tp, result.fp, result.fn) == (4, 0, 0)
    assert result.precision == result.recall == result.f1 == 1.0
    assert (result.traps, result.traps_violated) == (1, 0)
    assert {k: s.tp for k, s in result.per_kind.items()} == {"title": 2, "series": 1, "person": 1}


def test_mention_eval_counts_wrong_links_misses_duplicates_and_traps(tmp_path):
    gold = _gold(tmp_path, SMALL)
    predict = phrase_linker({
        "gone girl": ("title", "30"),
        "Gone": ("title", "30"),                # overlaps the same gold mention again: a duplicate
        "hunger games": ("series", "The Hunger Games"),  # right words, wrong kind and value
        "next": ("title", "1677"),              # the trap
    })
    result = score(gold, predict)
    assert (result.tp, result.fp, result.fn) == (1, 3, 3)
    assert result.precision == pytest.approx(1 / 4) and result.recall == pytest.approx(1 / 4)
    assert result.traps_violated == 1
    assert result.per_kind["title"].summary() == {"precision": 0.3333, "recall": 0.5, "f1": 0.4,
                                                  "tp": 1, "fp": 2, "fn": 1}
    assert result.per_kind["series"].fn == 1 and result.per_kind["person"].fn == 1
    trap = [m for m in result.mistakes if m.trap]
    assert len(trap) == 1 and "'1677'" in trap[0].what and "'next'" in trap[0].what
    assert "FP (trap): title '1677'" in result.report()


def test_mention_eval_needs_overlap_not_just_the_right_value(tmp_path):
    gold = _gold(tmp_path, SMALL)
    # the right id, but linked from words elsewhere in the sentence
    result = score(gold[:1], lambda text: [FakeLink("title", 0, 4, "30")])
    assert (result.tp, result.fp, result.fn) == (0, 1, 1)


def test_mention_eval_accepts_dict_links_and_matches_any_occurrence(tmp_path):
    gold = _gold(tmp_path, """
        - text: It was so good. I mean it, read It by Stephen King
          mentions: [{text: It, kind: title, id: 176}, {text: Stephen King, kind: person, value: Stephen King}]
    """)
    text = gold[0].text
    start = text.index("read It") + len("read ")
    result = score(gold, lambda t: [{"kind": "title", "start": start, "end": start + 2, "value": "176"}])
    assert (result.tp, result.fp, result.fn) == (1, 0, 1)


@pytest.mark.parametrize("text, fragment", [
    ("- text: hi\n  mentions: [{text: hi, kind: title}]\n", "entry 1 ('hi')"),
    ("- text: hi\n  mentions: [{text: hi, kind: title}]\n", "give its catalog `id`"),
    ("- text: hi\n  mentions: [{text: hi, kind: person, id: '3'}]\n", "give its name as `value`"),
    ("- text: hi\n  mentions: [{text: bye, kind: title, id: '3'}]\n", "mention 'bye' is not in the text"),
    ("- text: hi\n  mentions: [{text: hi, kind: author, value: X}]\n", "mentions.0.kind"),
    ("- text: hi\n  mentions: []\n  note: x\n", "Extra inputs are not permitted"),
    ("- text: hi\n", "mentions: Field required"),
    ("text: hi\n", "expected a non-empty list"),
    ("- [unclosed\n", "invalid YAML"),
])
def test_mention_eval_malformed_gold_is_rejected(tmp_path, text, fragment):
    path = tmp_path / "gold.yaml"
    path.write_text(text)
    with pytest.raises(MentionGoldError) as err:
        load_gold(path)
    assert fragment in str(err.value) and str(path) in str(err.value)


# --- the shipped set ----------------------------------------------------------------------------
def _demo_series() -> set[str]:
    """Series names as the rebuilt catalog derives them: the text before ", #N" in the title's
    last parentheses, the first series when several are given. Used while the catalog has none."""
    names = set()
    with gzip.open(REPO / "recpilot" / "data" / "demo" / "catalog.jsonl.gz", "rt") as f:
        for line in f:
            m = re.search(r"\(([^()]*)\)\s*$", json.loads(line)["title"])
            first = m.group(1).split(";")[0] if m else ""
            name = re.match(r"^(.*?),?\s*#\s*[\d.]", first)
            if name:
                names.add(name.group(1).strip())
    return names


def test_mention_eval_shipped_gold_is_big_enough_and_real(demo_catalog):
    gold = load_gold(GOLD)
    mentions = [m for e in gold for m in e.mentions]
    assert len(mentions) >= 150
    assert sum(e.is_trap for e in gold) >= 40
    assert {m.kind for m in mentions} == {"title", "series", "person"}
    assert check_gold(gold, demo_catalog) == []
    if "series" not in demo_catalog.schema.categorical:
        unknown = {m.value for m in mentions if m.kind == "series"} - _demo_series()
        assert not unknown, f"series not derivable from the demo titles: {sorted(unknown)}"


def test_mention_linking_meets_targets(demo_catalog):
    from recpilot.agent.mentions import link_mentions

    result = score(load_gold(GOLD), lambda text: link_mentions(demo_catalog, text))
    print(result.report())
    assert result.precision >= 0.95 and result.recall >= 0.90, "\n" + result.report()


def test_mention_eval_prefers_the_words_in_the_case_written(tmp_path):
    gold = _gold(tmp_path, """
        - text: I loved It, it was terrifying
          mentions: [{text: It, kind: title, id: "176"}]
    """)
    lower = gold[0].text.index("it was")
    wrong = score(gold, lambda t: [FakeLink("title", lower, lower + 2, "176")])
    assert (wrong.tp, wrong.fp, wrong.fn) == (0, 1, 1)
    right = score(gold, lambda t: [FakeLink("title", 8, 10, "176")])
    assert (right.tp, right.fp, right.fn) == (1, 0, 0)
