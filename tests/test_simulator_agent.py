"""Simulated users against real agents: no leaks ever, sensible success, baselines behave."""

from __future__ import annotations

import re

import pytest

from recpilot.llm.fake import ScriptedChatModel
from recpilot.simulator.agents import DialogueSoFar, build_agent
from recpilot.simulator.baselines import (
    UNMATCHED,
    LLMOnlyAgent,
    PopularityAgent,
    RetrievalAgent,
    parse_names,
)
from recpilot.simulator.episode import dialogue_seed, run_dialogue
from recpilot.simulator.leak import LeakDetector, normalize, title_variants
from recpilot.simulator.llm_user import LLMSimulator
from recpilot.simulator.models import DialogueSpec, ReplyView, RunConfig
from recpilot.simulator.users import RuleSimulator


def _specs(n: int, seed: int = 0) -> list[DialogueSpec]:
    return [DialogueSpec(id=f"d{i:05d}", index=i, seed=dialogue_seed(seed, i)) for i in range(n)]


def _never_named(record, texts: list[str]) -> None:
    """An independent, strict check: no multi-word title variant appears verbatim, no leak."""
    detector = LeakDetector(record.target_title, record.target_id, allowed=record.profile.values())
    variants = [v for v in title_variants(record.target_title) if len(v.split()) >= 2]
    for text in texts:
        assert detector.check(text, shown=5) is None, (record.target_title, text)
        for v in variants:
            assert v not in normalize(text), (record.target_title, text)


def test_rule_simulator_never_names_the_target(demo_catalog):
    """100 seeded dialogues (popularity lists make the user reject, restate and command)."""
    agent = PopularityAgent(demo_catalog)
    users = []

    def make_user(profile, persona, seed):
        users.append(RuleSimulator(profile, persona, seed))
        return users[-1]

    for targets in ("catalog", "history"):
        config = RunConfig(dialogues=50, max_turns=5, targets=targets)
        for record in (run_dialogue(s, demo_catalog, agent, make_user, config) for s in _specs(50)):
            assert record.outcome != "error", record.error
            texts = [t.user for t in record.turns] + ([record.closing] if record.closing else [])
            _never_named(record, texts)
            user = users[-1]
            seen = repr(vars(user)) + repr(vars(user.policy))
            for v in title_variants(record.target_title):
                if len(v.split()) >= 3:
                    assert v not in normalize(seen)
            assert not record.leaked


def test_llm_simulator_prompts_never_contain_the_target(demo_catalog):
    """Every prompt the LLM simulator builds, over many dialogues, holds no title and no id."""
    prompts: list[tuple[object, list]] = []

    def echo_draft(messages):
        return re.search(r"Plain version: (.*)", messages[-1].content).group(1)

    def make_user(profile, persona, seed):
        fake = ScriptedChatModel(echo_draft)
        prompts.append((fake, []))
        return LLMSimulator(profile, persona, seed, fake, temperature=0.7)

    agent = PopularityAgent(demo_catalog)
    checked = 0
    for targets in ("catalog", "history"):
        config = RunConfig(simulator="llm", dialogues=30, max_turns=4, targets=targets)
        for spec in _specs(30, seed=5):
            record = run_dialogue(spec, demo_catalog, agent, make_user, config)
            assert record.outcome != "error", record.error
            fake = prompts[-1][0]
            assert fake.calls, "the LLM simulator called its model"
            texts = [m.content for call in fake.calls for m in call]
            _never_named(record, texts)
            checked += len(fake.calls)
            assert all(t.sim_llm.calls == 1 for t in record.turns)
            assert all(t.sim_llm.fallbacks == 0 for t in record.turns), "the draft itself is always faithful"
    assert checked > 100


def test_llm_simulator_falls_back_to_the_draft_on_empty_output(demo_catalog):
    config = RunConfig(simulator="llm", dialogues=1, max_turns=2)
    made = []

    def make_user(profile, persona, seed):
        made.append(LLMSimulator(profile, persona, seed, ScriptedChatModel(lambda m: "  \n"), 0.7))
        return made[-1]

    record = run_dialogue(_specs(1)[0], demo_catalog, PopularityAgent(demo_catalog), make_user, config)
    assert record.turns and all(t.user.strip() for t in record.turns)
    assert all(t.sim_llm.fallbacks == 1 for t in record.turns)


def test_rule_simulator_against_the_agent_reaches_sensible_success(demo_settings, demo_catalog, tmp_path):
    agent = build_agent("recpilot", demo_settings, demo_catalog, tmp_path, llm=None)
    config = RunConfig(dialogues=10, max_turns=5, k=5)
    records = [run_dialogue(s, demo_catalog, agent, RuleSimulator, config) for s in _specs(10, seed=11)]
    assert all(r.outcome in ("success", "failure") for r in records), [r.error for r in records]
    success = sum(r.outcome == "success" for r in records) / len(records)
    print(f"rule simulator vs RecPilot (no LLM), 10 dialogues: success {success:.2f}")
    assert success > 0.5
    for r in records:
        assert all(t.reply.state is not None and t.reply.tool_calls for t in r.turns)
        _never_named(r, [t.user for t in r.turns])


# --- baselines ----------------------------------------------------------------------------------------
def test_popularity_baseline_ignores_the_talk_and_never_repeats(demo_catalog):
    agent = PopularityAgent(demo_catalog)
    d = DialogueSoFar(id="x", user=["horror from the 80s"])
    first = agent.respond(d, 5)
    d.replies.append(first)
    d.user.append("no, something else")
    second = agent.respond(d, 5)
    top = sorted(demo_catalog.items, key=lambda it: -demo_catalog.popularity[demo_catalog.index[it.id]])[:5]
    assert first.item_ids == [it.id for it in top]
    assert not set(first.item_ids) & set(second.item_ids) and len(second.item_ids) == 5


def test_retrieval_baseline_embeds_the_user_side_through_search_items(demo_catalog):
    agent = RetrievalAgent(demo_catalog)
    d = DialogueSoFar(id="x", user=["I'd like something by Agatha Christie"])
    reply = agent.respond(d, 5)
    assert reply.tool_calls and reply.tool_calls[0].tool == "search_items"
    authors = [demo_catalog.get(i).categorical.get("authors", []) for i in reply.item_ids]
    assert sum("Agatha Christie" in a for a in authors) >= 3
    d.replies.append(reply)
    d.user.append("a mystery from the 1930s")
    again = agent.respond(d, 5)
    assert len(again.item_ids) == 5 and not set(again.item_ids) & set(reply.item_ids)


def test_llm_only_baseline_maps_names_and_keeps_unmatched_ones(demo_catalog):
    fake = ScriptedChatModel(["1. Harry Potter and the Sorcerer's Stone\n2. The Zorblax Chronicles of Qwerty\n"
                              "- \"The Hobbit\" by J.R.R. Tolkien\n"])
    agent = LLMOnlyAgent(demo_catalog, fake)
    reply = agent.respond(DialogueSoFar(id="x", user=["a fantasy classic"]), 5)
    assert demo_catalog.get(reply.item_ids[0]).title.startswith("Harry Potter and the Sorcerer")
    assert reply.item_ids[1].startswith(UNMATCHED) and not demo_catalog.has(reply.item_ids[1])
    assert demo_catalog.get(reply.item_ids[2]).title.startswith("The Hobbit")
    assert reply.llm_calls == 1
    assert "a fantasy classic" in fake.calls[0][-1].content


def test_parse_names_strips_numbering_and_bullets():
    assert parse_names('1. "Dune"\n2) The Stand\n* Emma\n\nx') == ["Dune", "The Stand", "Emma"]


@pytest.mark.slow
@pytest.mark.model
def test_llm_only_and_llm_simulator_run_on_the_embedded_model(demo_catalog, real_llm):
    config = RunConfig(simulator="llm", agent="llm-only", dialogues=1, max_turns=2)
    agent = LLMOnlyAgent(demo_catalog, real_llm)
    record = run_dialogue(_specs(1, seed=3)[0], demo_catalog, agent,
                          lambda p, pe, s: LLMSimulator(p, pe, s, real_llm, 0.7), config)
    assert record.outcome in ("success", "failure", "leaked"), record.error
    assert record.turns and all(t.user.strip() for t in record.turns)
    assert all(t.reply.llm_calls == 1 for t in record.turns)


def test_llm_simulator_keeps_the_message_and_drops_run_on_text():
    from recpilot.simulator.llm_user import clean

    assert clean('User: "Not the first one. Too old! By J.R.R. Tolkien. And this. And more."\nYou were shown: #1') == \
        "Not the first one. Too old! By J.R.R. Tolkien. And this."
    assert clean("  \n ") == ""


@pytest.mark.parametrize(("reply", "kept"), [
    ("A mystery would be lovely.", True),
    ("Romance, please!", False),  # says something other than the fact it was given
    ("You were shown: #1 mystery, 1990", False),  # echoes the prompt
    ("Hi! I'd be happy to recommend some mystery books!", False),  # plays the recommender
])
def test_llm_simulator_keeps_only_faithful_messages(demo_catalog, reply, kept):
    from recpilot.simulator.models import Act, Fact, Persona, TargetProfile

    profile = TargetProfile(kind_field="genres", kinds=["mystery"], all_kinds=["mystery"])
    persona = Persona(name="T", style="plain", opening="kind", reveal_order=["kind"])
    user = LLMSimulator(profile, persona, "s", ScriptedChatModel([reply]), 0.7)
    act = Act(kind="answer", facts=[Fact(role="kind", field="genres", op="include", value="mystery")])
    text, usage = user.say(act, ReplyView(question="What kind?"))
    assert (text == reply) is kept and usage.fallbacks == (0 if kept else 1) and usage.calls == 1
