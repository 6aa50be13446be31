"""The turn loop's control flow through RecPilot.turn/ask: steps, usage, feedback, edits, memory."""

from __future__ import annotations

import json

import pytest
from conftest import assert_grounded, make_agent

from recpilot.agent.reply import MAX_LLM_CALLS_PER_TURN
from recpilot.agent.steps import ParseStep, ReplyStep, ToolStep
from recpilot.errors import LLMUnavailable, SessionNotFound, UnknownItem
from recpilot.preferences import Constraint, ItemRef

# words no rule explains, so the parser asks the LLM
FREE_TEXT = "a book about pirates and treasure maps"
LEAD_IN = "Here are a few gentle picks to curl up with."


def is_parser_prompt(messages) -> bool:
    return "extract what they want" in messages[0].content


def good_llm(messages) -> str:
    """A well-behaved model: valid JSON for the parser, a safe sentence for the reply."""
    if is_parser_prompt(messages):
        return json.dumps({"intent": "recommend", "likes": ["pirates"], "dislikes": []})
    return LEAD_IN


def kinds(steps) -> list[str]:
    return [f"tool:{s.tool}" if isinstance(s, ToolStep) else s.kind for s in steps]




# --- steps --------------------------------------------------------------------------------------
def test_turn_first_turn_step_order_with_memory(agent, user_id):
    steps = list(agent.turn("fantasy books from the 90s", user_id=user_id))
    assert kinds(steps)[:3] == ["parse", "tool:recall_memory", "plan"]
    assert isinstance(steps[0], ParseStep) and isinstance(steps[-1], ReplyStep)
    plan = steps[2].plan
    executed = [s for s in steps[3:-1]]
    assert all(isinstance(s, ToolStep) and s.error is None for s in executed)
    assert [s.tool for s in executed] == [c.tool for c in plan.calls]
    assert [s.args for s in executed] == [c.args for c in plan.calls]
    assert plan.calls[-1].tool == "rank_items"
    assert sum(isinstance(s, ReplyStep) for s in steps) == 1
    assert all(s.duration_ms >= 0 for s in steps)


def test_turn_later_turn_does_not_recall_memory(agent, user_id):
    first = agent.ask("fantasy books", user_id=user_id)
    steps = list(agent.turn("newer ones please", session_id=first.session_id, user_id=user_id))
    assert "tool:recall_memory" not in kinds(steps)
    assert kinds(steps)[:2] == ["parse", "plan"] and kinds(steps)[-1] == "reply"


def test_turn_without_memory_never_recalls(demo_settings, user_id):
    agent = make_agent(demo_settings, memory=False)
    steps = list(agent.turn("fantasy books", user_id=user_id))
    assert kinds(steps)[:2] == ["parse", "plan"]
    assert steps[-1].result.items


def test_turn_tool_steps_show_the_candidate_bus_narrowing(agent, user_id):
    steps = list(agent.turn("horror novels from before 1990", user_id=user_id))
    tools = [s for s in steps if isinstance(s, ToolStep) and s.tool != "recall_memory"]
    assert tools[0].tool == "search_items" and tools[0].candidates > 0
    assert tools[1].tool == "filter_items" and tools[1].candidates <= tools[0].candidates


# --- usage and the LLM budget -----------------------------------------------------------------------
def test_turn_usage_counts_scripted_llm_calls(demo_settings, scripted, user_id):
    model = scripted(good_llm)
    agent = make_agent(demo_settings, llm=model)
    steps = list(agent.turn(FREE_TEXT, user_id=user_id))
    result = steps[-1].result
    assert len(model.calls) == 2 == result.usage.llm_calls
    assert result.usage.prompt_tokens == 20  # the scripted model reports 10 per call
    assert result.usage.completion_tokens == sum(len(r.split()) for r in (good_llm(model.calls[0]), LEAD_IN))
    assert len(steps[0].llm_calls) == 1 and steps[0].used_llm
    assert [c.prompt for c in steps[-1].llm_calls] == ["reply"]
    assert result.message.startswith(LEAD_IN)  # the model's sentence, then the grounded one
    assert {p.key for p in result.state.likes} >= {"text:pirates"}
    assert result.usage.latency_ms > 0


def test_turn_rules_only_message_makes_only_the_lead_in_call(demo_settings, scripted, user_id):
    model = scripted(good_llm)
    result = make_agent(demo_settings, llm=model).ask("fantasy books from the 90s", user_id=user_id)
    assert result.usage.llm_calls == 1 == len(model.calls)
    assert not is_parser_prompt(model.calls[0])


def test_turn_chitchat_makes_no_llm_call(demo_settings, scripted, user_id):
    model = scripted(good_llm)
    result = make_agent(demo_settings, llm=model).ask("hello", user_id=user_id)
    assert result.usage.llm_calls == 0 == len(model.calls) and result.items == []


@pytest.mark.parametrize("behaviour", ["good", "garbage", "garbage-then-good", "dead"])
def test_turn_never_makes_more_than_two_llm_calls(demo_settings, scripted, user_id, behaviour):
    counter = {"n": 0}

    def model_fn(messages):
        counter["n"] += 1
        if behaviour == "dead":
            raise LLMUnavailable("endpoint down")
        if behaviour == "garbage" or (behaviour == "garbage-then-good" and counter["n"] % 3 == 1):
            return "I'd recommend Dune by Frank Herbert!!! {not json"
        return good_llm(messages)

    model = scripted(model_fn)
    agent = make_agent(demo_settings, llm=model)
    session = None
    for text in [FREE_TEXT, "a melancholy tale of grief on a lighthouse island", "fantasy books from the 90s",
                 "something whimsical and strange with talking animals"]:
        before = len(model.calls)
        result = agent.ask(text, session_id=session, user_id=user_id)
        session = result.session_id
        made = len(model.calls) - before
        assert made <= MAX_LLM_CALLS_PER_TURN == 2
        assert result.usage.llm_calls == made
        assert result.items
        assert_grounded(agent, result)


def test_turn_lead_in_naming_a_title_is_refused(demo_settings, scripted, user_id):
    model = scripted(["You will love Harry Potter And The Chamber Of Secrets, trust me."])
    steps = list(make_agent(demo_settings, llm=model).turn("fantasy books from the 90s", user_id=user_id))
    result = steps[-1].result
    assert "Harry Potter" not in result.message
    assert steps[-1].llm_calls[0].error and "refused" in steps[-1].llm_calls[0].error


# --- state across turns ---------------------------------------------------------------------------
def test_turn_rejected_items_never_come_back(agent, user_id):
    first = agent.ask("fantasy books", user_id=user_id)
    sid = first.session_id
    rejected = set()
    agent.feedback(sid, first.items[0].id, "dislike", user_id=user_id)
    rejected.add(first.items[0].id)
    second = agent.ask("not the second one", session_id=sid, user_id=user_id)
    rejected.add(first.items[1].id)
    assert {r.id for r in second.state.rejected_items} == rejected
    for text in ["more like the first one", "more please", "older ones", "popular ones", "start with the classics"]:
        result = agent.ask(text, session_id=sid, user_id=user_id)
        assert not rejected & {i.id for i in result.items}, text
        assert rejected <= {r.id for r in result.state.rejected_items}
        assert_grounded(agent, result)


def test_turn_does_not_repeat_items_shown_in_the_session(agent, user_id):
    first = agent.ask("science fiction", user_id=user_id)
    second = agent.ask("more", session_id=first.session_id, user_id=user_id)
    assert len(second.items) == 5
    assert not {i.id for i in first.items} & {i.id for i in second.items}


def test_feedback_like_dislike_and_more_like_this_change_state_and_recommendations(agent, user_id):
    first = agent.ask("horror novels", user_id=user_id)
    sid = first.session_id
    a, b, c = (first.items[i].id for i in range(3))
    state = agent.feedback(sid, a, "dislike", user_id=user_id)
    assert [r.id for r in state.rejected_items] == [a]
    state = agent.feedback(sid, b, "like", user_id=user_id)
    assert [r.id for r in state.liked_items] == [b] and state.anchors == []
    state = agent.feedback(sid, c, "more_like_this", user_id=user_id)
    assert c in {r.id for r in state.anchors} and c in {r.id for r in state.liked_items}
    assert agent.session(sid, user_id).state == state  # persisted
    assert [f.kind for f in agent.session(sid, user_id).feedback] == ["dislike", "like", "more_like_this"]

    steps = list(agent.turn("more please", session_id=sid, user_id=user_id))
    similar = [s.args["item_id"] for s in steps if isinstance(s, ToolStep) and s.tool == "similar_items"]
    assert c in similar
    result = steps[-1].result
    assert not {a, b, c} & {i.id for i in result.items}
    assert any(f"close to {agent.catalog.get(c).title}" in i.reason for i in result.items)

    # changing one's mind: a disliked item liked later is no longer rejected
    state = agent.feedback(sid, a, "like", user_id=user_id)
    assert a not in {r.id for r in state.rejected_items}


def test_feedback_unknown_item_or_session_is_a_typed_error(agent, user_id):
    first = agent.ask("horror novels", user_id=user_id)
    with pytest.raises(UnknownItem):
        agent.feedback(first.session_id, "no-such-item", "like", user_id=user_id)
    with pytest.raises(SessionNotFound):
        agent.feedback("no-such-session", first.items[0].id, "like", user_id=user_id)
    with pytest.raises(SessionNotFound):
        agent.feedback(first.session_id, first.items[0].id, "like", user_id=user_id + "-intruder")
    assert agent.session(first.session_id, user_id).state == first.state


def test_edit_state_removes_a_chip_and_the_next_turn_follows(agent, user_id):
    first = agent.ask("horror novels from the 80s", user_id=user_id)
    sid = first.session_id
    keys = {c["key"] for c in first.state.chips()}
    assert {"genres:include:horror", "year:gte:1980", "year:lte:1989"} <= keys
    state = agent.edit_state(sid, user_id, remove=["year:lte:1989"])
    assert {c["key"] for c in state.chips()} == keys - {"year:lte:1989"}
    assert agent.session(sid, user_id).state == state
    result = agent.ask("more", session_id=sid, user_id=user_id)
    assert "year:lte:1989" not in {c.key for c in result.state.constraints}
    years = [agent.catalog.get(i.id).numeric["year"] for i in result.items]
    assert all(y >= 1980 for y in years)
    assert_grounded(agent, result)


def test_edit_state_adds_constraints_that_the_next_turn_respects(agent, user_id):
    first = agent.ask("fantasy books", user_id=user_id)
    agent.edit_state(first.session_id, user_id, add=[Constraint(field="authors", op="include", value="Terry Pratchett")])
    result = agent.ask("more", session_id=first.session_id, user_id=user_id)
    assert result.items
    assert all("Terry Pratchett" in agent.catalog.get(i.id).categorical["authors"] for i in result.items)


# --- intents ----------------------------------------------------------------------------------------
def test_ask_item_returns_details_and_no_items(agent, user_id):
    first = agent.ask("fantasy books", user_id=user_id)
    result = agent.ask("tell me more about the second one", session_id=first.session_id, user_id=user_id)
    second = first.items[1]
    assert result.intent == "ask_item" and result.items == []
    assert result.details["id"] == second.id and result.details["title"] == second.title
    assert result.details["authors"] == agent.catalog.get(second.id).categorical["authors"]
    assert second.title.split(" (")[0] in result.message  # a sentence about it, not a field dump
    assert "authors:" not in result.message and agent.catalog.get(second.id).categorical["authors"][0] in result.message
    assert result.state.constraints == first.state.constraints  # asking changes no preference


@pytest.mark.parametrize("text", ["hello", "thanks!", "hi there, how are you?"])
def test_chitchat_returns_no_items(agent, user_id, text):
    result = agent.ask(text, user_id=user_id)
    assert result.intent == "chitchat" and result.items == [] and result.message


@pytest.mark.parametrize("text", ["something good", "recommend me a book", "I need something to read",
                                  "any suggestions?"])
def test_vague_first_message_returns_items_and_exactly_one_question(agent, user_id, text):
    result = agent.ask(text, user_id=user_id)
    assert len(result.items) == 5
    assert result.question and result.question.count("?") == 1
    assert "?" not in result.message
    assert_grounded(agent, result)


def test_specific_first_message_asks_no_question(agent, user_id):
    result = agent.ask("fantasy books from the 90s", user_id=user_id)
    assert result.question is None and len(result.items) == 5


def test_contradictory_request_returns_no_items_and_names_the_blocker(agent, user_id):
    result = agent.ask("fantasy published after 2016 rated at least 4.9", user_id=user_id)
    keys = {c.key for c in result.state.constraints}
    assert {"genres:include:fantasy", "year:gte:2017", "average_rating:gte:4.9"} <= keys
    assert result.items == []
    assert result.question and "average_rating ≥ 4.9" in result.question


def test_contradictory_state_returns_no_items_and_names_the_blocker(agent, user_id):
    first = agent.ask("fantasy please", user_id=user_id)
    agent.edit_state(first.session_id, user_id, add=[Constraint(field="year", op="gte", value=2017),
                                                     Constraint(field="average_rating", op="gte", value=4.9)])
    result = agent.ask("more", session_id=first.session_id, user_id=user_id)
    assert result.items == []
    assert result.question and "average_rating ≥ 4.9" in result.question
    relaxed = [c for c in result.state.constraints if c.key != "average_rating:gte:4.9"]
    n = int(agent.catalog.mask(relaxed).sum())
    assert n > 0 and f"there are {n} matches" in result.question


def test_reset_clears_the_state(agent, user_id):
    first = agent.ask("horror from the 80s", user_id=user_id)
    result = agent.ask("start over", session_id=first.session_id, user_id=user_id)
    assert result.intent == "reset" and result.state.chips() == [] and result.items == []


# --- failures mid-turn ------------------------------------------------------------------------------
def test_llm_unavailable_mid_turn_keeps_state_and_still_answers(demo_settings, scripted, user_id):
    answers = [json.dumps({"intent": "recommend", "likes": ["cozy"], "dislikes": []}), LEAD_IN,
               LLMUnavailable("went away"), LLMUnavailable("still away")]
    model = scripted(answers)
    agent = make_agent(demo_settings, llm=model)
    first = agent.ask("fantasy " + FREE_TEXT, user_id=user_id)
    second = agent.ask("from the 90s, with pirates and treasure maps", session_id=first.session_id,
                       user_id=user_id)
    assert second.items and second.message
    assert any("LLM unavailable" in w for w in second.warnings)
    assert {c.key for c in first.state.constraints} <= {c.key for c in second.state.constraints}
    assert "year:gte:1990" in {c.key for c in second.state.constraints}
    assert agent.session(first.session_id, user_id).state == second.state
    assert len(agent.session(first.session_id, user_id).turns) == 2
    assert_grounded(agent, second)


def test_lead_in_failure_alone_still_answers(demo_settings, scripted, user_id):
    model = scripted([LLMUnavailable("reply model down")])
    result = make_agent(demo_settings, llm=model).ask("fantasy books from the 90s", user_id=user_id)
    assert len(result.items) == 5 and "fantasy" in result.message and "1990s" in result.message
    assert result.usage.llm_calls == 1


def test_bug_in_a_tool_raises_and_leaves_the_session_untouched(agent, user_id, monkeypatch):
    import recpilot.tools as tools

    first = agent.ask("horror novels", user_id=user_id)
    saved = agent.session(first.session_id, user_id)

    def broken(ctx, args):
        raise RuntimeError("a bug in our own code")

    monkeypatch.setitem(tools.TOOLS, "rank_items", tools.Tool("rank_items", broken, tools.RankArgs))
    with pytest.raises(RuntimeError):
        agent.ask("from the 80s", session_id=first.session_id, user_id=user_id)
    after = agent.session(first.session_id, user_id)
    assert after.state == saved.state and len(after.turns) == len(saved.turns) == 1


def test_model_error_in_a_tool_is_recorded_and_the_turn_goes_on(agent, user_id, monkeypatch):
    """A planned call on an item that vanished is recorded on its step, not raised."""
    first = agent.ask("horror novels", user_id=user_id)
    session = agent.session(first.session_id, user_id)
    session.state.anchors.append(ItemRef(id="gone-from-catalog", title="Gone"))
    agent.store.save(session)
    steps = list(agent.turn("more", session_id=first.session_id, user_id=user_id))
    failed = [s for s in steps if isinstance(s, ToolStep) and s.error]
    assert [s.tool for s in failed] == ["similar_items"] and "gone-from-catalog" in failed[0].error
    assert steps[-1].result.items


# --- long-term memory ----------------------------------------------------------------------------------
def test_memory_second_session_recalls_liked_genre_and_rejected_items(agent, user_id):
    first = agent.ask("I love horror novels", user_id=user_id)  # taste, not just this request
    disliked = first.items[0].id
    agent.feedback(first.session_id, disliked, "dislike", user_id=user_id)

    steps = list(agent.turn("something to read", user_id=user_id))
    result = steps[-1].result
    assert result.session_id != first.session_id
    recall = next(s for s in steps if isinstance(s, ToolStep) and s.tool == "recall_memory")
    assert recall.error is None and recall.note.endswith("memories")
    assert ("genres", "horror", "memory") in {(p.field, p.value, p.origin) for p in result.state.likes}
    assert disliked in {r.id for r in result.state.rejected_items}
    assert disliked not in {i.id for i in result.items}
    horror = sum("horror" in agent.catalog.get(i.id).categorical.get("genres", []) for i in result.items)
    assert horror >= 3


def test_memory_is_never_shared_between_users(agent, user_id):
    first = agent.ask("horror novels", user_id=user_id)
    agent.feedback(first.session_id, first.items[0].id, "dislike", user_id=user_id)
    other = agent.ask("something to read", user_id=user_id + "-other")
    assert other.state.likes == [] and other.state.rejected_items == []
    assert not any(n.startswith("recalled") for n in other.state.notes)
    with pytest.raises(SessionNotFound):
        agent.session(first.session_id, user_id + "-other")


def test_memory_keeps_updating_when_a_recalled_genre_is_asked_for_again(agent, user_id):
    agent.ask("I love horror novels", user_id=user_id)
    second = agent.ask("I love horror, something from the 80s", user_id=user_id)  # recalled and said again
    assert not [w for w in second.warnings if "memory" in w], second.warnings
    memories = agent.memory.recall(user_id, agent.catalog.name)
    assert second.session_id in {m.session_id for m in memories}


def test_feedback_accept_records_the_choice_and_remembers_it(agent, user_id):
    first = agent.ask("horror novels", user_id=user_id)
    chosen = first.items[0].id
    state = agent.feedback(first.session_id, chosen, "accept", user_id=user_id)
    assert state.accepted_item.id == chosen and chosen in {r.id for r in state.liked_items}
    assert agent.session(first.session_id, user_id).state == state
    remembered = agent.memory.recall(user_id, agent.catalog.name)
    assert ("liked_item", chosen) in {(m.kind, m.value) for m in remembered}


def test_accepting_in_words_confirms_the_item_and_updates_memory(agent, user_id):
    first = agent.ask("horror novels", user_id=user_id)
    result = agent.ask("I'll take the second one", session_id=first.session_id, user_id=user_id)
    assert result.intent == "accept" and result.items == []
    assert result.state.accepted_item.id == first.items[1].id
    assert first.items[1].title in result.message
    assert not [w for w in result.warnings if "memory" in w], result.warnings
