"""Scripted dialogues: every shipped file passes, and the format and runner catch mistakes."""

from __future__ import annotations

import json
import textwrap

import pytest
from conftest import REPO, make_agent
from typer.testing import CliRunner

from recpilot.agent.steps import RecommendedItem, TurnResult
from recpilot.preferences import Constraint, ItemRef, Preference, PreferenceState, SetAside
from recpilot.simulator.dialogues import (
    DialogueFormatError,
    Expect,
    check_turn,
    format_report,
    load_dialogues,
    run_dialogues,
)
from recpilot.simulator.dialogues_checks import _TurnView

DIALOGUES = REPO / "dialogues"
SHIPPED = sorted(DIALOGUES.glob("*.yaml"))


@pytest.fixture(scope="module")
def dialogue_agent(demo_settings):
    return make_agent(demo_settings)


def _run(agent, *paths):
    loaded = [d for p in paths for d in load_dialogues(p)]
    return run_dialogues(loaded, lambda catalog: agent)


def _write(tmp_path, text: str, name: str = "d.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_dialogues_enough_are_shipped():
    assert len(SHIPPED) >= 20
    assert sum(len(load_dialogues(p)) for p in SHIPPED) >= 20


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_dialogues_shipped_file_passes(dialogue_agent, path):
    report = _run(dialogue_agent, path)
    assert report.results and all(r.checks for r in report.results)
    assert report.passed, "\n" + format_report(report, verbose=False)


def test_dialogues_unknown_key_is_rejected_with_a_clear_message(tmp_path):
    path = _write(tmp_path, """
        name: typo
        turns:
          - say: a horror novel
            expect:
              intnet: recommend
    """)
    with pytest.raises(DialogueFormatError) as err:
        load_dialogues(path)
    message = str(err.value)
    assert str(path) in message
    assert "turns[0].expect.intnet: unknown key 'intnet'" in message
    assert "did you mean 'intent'?" in message


def test_dialogues_unknown_key_in_a_nested_spec_is_rejected(tmp_path):
    path = _write(tmp_path, """
        name: typo
        turns:
          - say: a horror novel
            expect:
              has_constraint: [{field: genres, operator: include, value: horror}]
    """)
    with pytest.raises(DialogueFormatError, match=r"has_constraint\[0\]\.operator: unknown key 'operator'"):
        load_dialogues(path)


@pytest.mark.parametrize("text, fragment", [
    ("name: x\nturn:\n  - say: hi\n", "unknown key 'turn' (did you mean 'turns'?)"),
    ("name: x\nturns: []\n", "turns: List should have at least 1 item"),
    ("name: x\nturns:\n  - say: hi\n    expect: {intent: maybe}\n", "turns[0].expect.intent"),
    ("name: x\nturns:\n  - say: hi\n    expect: {anchors: [shown2#1]}\n", "bad item reference"),
    ("name: x\nturns:\n  - say: hi\n    expect: {says: ['(']}\n", "bad regular expression"),
    ("name: x\nturns:\n  - say: more like #2\n", "quote this utterance"),
    ("- just a list\n", "a dialogue is a mapping"),
    ("name: [unclosed\n", "invalid YAML"),
])
def test_dialogues_malformed_file_is_rejected(tmp_path, text, fragment):
    with pytest.raises(DialogueFormatError) as err:
        load_dialogues(_write(tmp_path, text))
    assert fragment in str(err.value)


def test_dialogues_failing_expectation_is_reported_as_failed(dialogue_agent, tmp_path):
    path = _write(tmp_path, """
        name: deliberately wrong
        turns:
          - say: a horror novel
            expect:
              intent: recommend
              has_constraint: [{field: genres, op: include, value: romance}]
              every_item: [{field: year, op: lte, value: 1000}]
              items_include: [shown#9]
    """)
    report = _run(dialogue_agent, path)
    result = report.results[0]
    assert not report.passed and not result.passed and result.error is None
    by_name = {c.name: c for c in result.checks}
    assert by_name["intent"].passed
    assert not by_name["has_constraint"].passed and "genres:include:horror" in by_name["has_constraint"].actual
    assert not by_name["every_item"].passed and "0/5 hold" in by_name["every_item"].actual
    assert not by_name["items_include"].passed and "no such item" in by_name["items_include"].expected
    text = format_report(report)
    assert "FAIL  deliberately wrong" in text and "FAIL has_constraint: genres include romance" in text


def test_dialogues_unknown_item_field_fails_the_check(dialogue_agent, tmp_path):
    path = _write(tmp_path, """
        name: field typo
        turns:
          - say: a horror novel
            expect:
              every_item: [{field: yeer, op: gte, value: 1900}]
    """)
    check = _run(dialogue_agent, path).results[0].checks[0]
    assert not check.passed and "unknown field 'yeer'" in check.actual


def test_dialogues_references_resolve_to_earlier_turns(dialogue_agent, tmp_path):
    path = _write(tmp_path, """
        name: references
        turns:
          - say: a mystery
          - say: not that one
            expect:
              rejected_items: [turn1#1, shown#1]
              items_exclude: [turn1#1]
    """)
    result = _run(dialogue_agent, path).results[0]
    first = result.turns[0].items[0].split(":")[0]
    assert result.passed, format_report(_run(dialogue_agent, path))
    assert all(f"={first}" in c.expected for c in result.checks)


def test_dialogues_named_users_share_an_id_within_a_run_only(dialogue_agent, tmp_path):
    path = _write(tmp_path, """
        name: first
        user: same
        turns: [{say: I love romance}]
        ---
        name: second
        user: same
        turns: [{say: something to read, expect: {likes: [{field: genres, value: romance}]}}]
        ---
        name: stranger
        turns: [{say: something to read, expect: {lacks_like: [{value: romance}]}}]
    """)
    one, two = _run(dialogue_agent, path), _run(dialogue_agent, path)
    assert one.passed and two.passed
    assert one.results[0].user_id == one.results[1].user_id != one.results[2].user_id
    assert one.results[0].user_id != two.results[0].user_id
    assert one.results[0].session_id != one.results[1].session_id


def test_dialogues_catalog_mismatch_is_an_error(dialogue_agent, tmp_path):
    path = _write(tmp_path, "name: movies\ncatalog: movies\nturns: [{say: a western}]\n")
    result = _run(dialogue_agent, path).results[0]
    assert not result.passed and "written for catalog 'movies'" in result.error


def _cli(demo_home, *args):
    from recpilot.cli.main import app

    return CliRunner().invoke(app, ["--home", str(demo_home), "--llm-backend", "none", "dialogues", *args])


def test_dialogues_cli_exits_nonzero_on_failure_and_writes_the_report(demo_home, tmp_path):
    good = _write(tmp_path, "name: good\nturns: [{say: a horror novel, expect: {min_items: 1}}]\n", "good.yaml")
    _write(tmp_path, "name: bad\nturns: [{say: a horror novel, expect: {max_items: 0}}]\n", "bad.yaml")
    report = tmp_path / "out" / "report.json"
    ok = _cli(demo_home, "run", str(good), "--report", str(report))
    assert ok.exit_code == 0, ok.output
    assert "PASS  good" in ok.output and "ok   min_items: >= 1" in ok.output
    assert json.loads(report.read_text())["passed"] is True
    failed = _cli(demo_home, "run", str(tmp_path), "--json")
    assert failed.exit_code == 1
    data = json.loads(failed.output)
    assert data["dialogues"] == 2 and data["dialogues_failed"] == 1 and data["checks_failed"] == 1
    assert [d["name"] for d in data["results"]] == ["bad", "good"]  # folder order
    assert [d["passed"] for d in data["results"]] == [False, True]


def test_dialogues_cli_reports_format_errors(demo_home, tmp_path):
    path = _write(tmp_path, "name: x\nturns: [{say: hi, expect: {qestion: true}}]\n")
    result = _cli(demo_home, "check", str(path))
    assert result.exit_code != 0
    assert "unknown key 'qestion'" in str(result.exception)


# --- the expectation keys on the state (read_items, set_aside, origin) and on the items -----------
# Checked on hand-made replies over the demo catalog: fast, and independent of what the parser reads.
def _view(catalog, ids, state=None, message="Here are some picks.", question=None, history=()):
    items = [RecommendedItem(id=i, title=catalog.get(i).title, reason="", score=0.0) for i in ids]
    reply = TurnResult.model_construct(session_id="s", user_id="u", intent="recommend", message=message, items=items,
                                       question=question, details=None, state=state or PreferenceState(),
                                       usage=None, warnings=[])
    return _TurnView(catalog, reply, [], list(history))


def _checks(expect: dict, view) -> dict[str, list]:
    out: dict[str, list] = {}
    for c in check_turn(Expect.model_validate(expect), view):
        out.setdefault(c.name, []).append(c)
    return out


# Hunger Games 2008, Sorcerer's Stone 1997, To Kill a Mockingbird 1960, Gatsby 1925, Gone Girl 2012
FIVE = ["1", "2", "4", "5", "30"]


@pytest.mark.parametrize("share, passed", [(None, False), (0.4, True), (0.41, False)])
def test_dialogues_most_items_needs_the_share(demo_catalog, share, passed):
    pred = {"field": "year", "op": "gte", "value": 2000, **({"share": share} if share else {})}
    check = _checks({"most_items": [pred]}, _view(demo_catalog, FIVE))["most_items"][0]
    assert check.passed is passed
    assert check.actual.startswith("2/5 hold") and "4 (year=1960)" in check.actual


def test_dialogues_most_items_fails_without_items_or_on_an_unknown_field(demo_catalog):
    pred = {"field": "year", "op": "gte", "value": 0}
    assert not _checks({"most_items": [pred]}, _view(demo_catalog, []))["most_items"][0].passed
    typo = _checks({"most_items": [{**pred, "field": "yeer"}]}, _view(demo_catalog, FIVE))["most_items"][0]
    assert not typo.passed and "unknown field 'yeer'" in typo.actual


@pytest.mark.parametrize("share", [0, 1.5])
def test_dialogues_most_items_share_is_a_fraction(tmp_path, share):
    text = f"name: x\nturns: [{{say: hi, expect: {{most_items: [{{field: year, op: gte, value: 1, share: {share}}}]}}}}]\n"
    with pytest.raises(DialogueFormatError, match=r"most_items\[0\]\.share"):
        load_dialogues(_write(tmp_path, text))


def test_dialogues_no_item_title_matches_names_the_offending_titles(demo_catalog):
    checks = _checks({"no_item_title_matches": [r"\bgirl\b", "uplift"]}, _view(demo_catalog, FIVE))
    girl, uplift = checks["no_item_title_matches"]
    assert not girl.passed and girl.actual == "Gone Girl"
    assert uplift.passed


def test_dialogues_says_not_reads_the_message_and_the_question(demo_catalog):
    view = _view(demo_catalog, FIVE, message="Some picks.", question="Do you like non-fiction?")
    checks = _checks({"says_not": ["non-fiction", r"genres:include"]}, view)["says_not"]
    assert [c.passed for c in checks] == [False, True]
    assert "'non-fiction'" in checks[0].actual


def test_dialogues_read_items_and_set_aside_read_the_state(demo_catalog):
    aside = SetAside(key="aside:1", label="from the 1990s",
                     constraints=[Constraint(field="year", op="gte", value=1990)])
    state = PreferenceState(read_items=[ItemRef(id="10", title="Pride and Prejudice")], set_aside=[aside])
    checks = _checks({"read_items": ["10", "shown#1"], "set_aside": True}, _view(demo_catalog, FIVE, state))
    assert [c.passed for c in checks["read_items"]] == [True, False]
    assert checks["set_aside"][0].passed
    nothing = PreferenceState()
    assert not _checks({"set_aside": True}, _view(demo_catalog, FIVE, nothing))["set_aside"][0].passed
    assert _checks({"set_aside": False}, _view(demo_catalog, FIVE, nothing))["set_aside"][0].passed


def test_dialogues_remembered_counts_only_preferences_from_memory(demo_catalog):
    state = PreferenceState(
        likes=[Preference(field="genres", value="fantasy", origin="memory"),
               Preference(field="genres", value="romance", origin="request")],
        dislikes=[Preference(field="genres", value="horror", weight=-1, origin="memory")])
    checks = _checks({"remembered": [{"field": "genres", "value": "fantasy"}, {"value": "horror"},
                                     {"value": "romance"}],
                      "lacks_remembered": [{"value": "romance"}, {"field": "genres", "value": "fantasy"}]},
                     _view(demo_catalog, FIVE, state))
    assert [c.passed for c in checks["remembered"]] == [True, True, False]
    assert [c.passed for c in checks["lacks_remembered"]] == [True, False]


def test_dialogues_include_and_exclude_take_a_list_of_values(demo_catalog):
    # the Hunger Games (id 1) and Gone Girl (id 30), by Suzanne Collins and Gillian Flynn
    view = _view(demo_catalog, ["1", "30"])
    checks = _checks({"every_item": [{"field": "authors", "op": "include", "value": ["Suzanne Collins", "Gillian Flynn"]},
                                     {"field": "authors", "op": "exclude", "value": ["Jane Austen", "Gillian Flynn"]}],
                      "most_items": [{"field": "authors", "op": "include", "value": ["gillian flynn"], "share": 0.5}]},
                     view)
    assert [c.passed for c in checks["every_item"]] == [True, False]
    assert "Suzanne Collins | Gillian Flynn" in checks["every_item"][0].expected
    assert checks["most_items"][0].passed


@pytest.mark.parametrize("pred", ["{field: year, op: gte, value: ['199x']}", "{field: genres, op: include, value: []}"])
def test_dialogues_a_list_of_values_needs_include_or_exclude(tmp_path, pred):
    with pytest.raises(DialogueFormatError, match="a list of values needs op include or exclude"):
        load_dialogues(_write(tmp_path, f"name: x\nturns: [{{say: hi, expect: {{every_item: [{pred}]}}}}]\n"))


def test_dialogues_unmentioned_looks_in_every_item_list_of_the_state(demo_catalog):
    state = PreferenceState(liked_items=[ItemRef(id="1677", title="Next")],
                            read_items=[ItemRef(id="176", title="It")])
    checks = _checks({"unmentioned": ["1677", "176", "250"]}, _view(demo_catalog, FIVE, state))["unmentioned"]
    assert [c.passed for c in checks] == [False, False, True]
    assert checks[0].actual == "in liked_items" and checks[1].actual == "in read_items"
