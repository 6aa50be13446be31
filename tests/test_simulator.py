"""User simulators: targets, personas, the policy, the rule simulator's words, leak detection."""

from __future__ import annotations

import random

import pytest

from recpilot.agent.rules import ParseContext, RuleParser
from recpilot.agent.vocabulary import vocabulary_for
from recpilot.simulator.leak import LeakDetector, normalize, title_variants
from recpilot.simulator.models import Fact, ItemView, Persona, ReplyView, TargetProfile
from recpilot.simulator.personas import make_persona
from recpilot.simulator.phrasing import realize, sentence
from recpilot.simulator.policy import Policy
from recpilot.simulator.target import build_profile, eligible_rows, item_view, sample_target
from recpilot.simulator.users import RuleSimulator


# --- leak detection ---------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "I want the hunger games please",
    "something like Hunger Games",
    "maybe the hunger gamess?",
    "I'd like THE HUNGER GAMES (book 1)",
])
def test_leak_detector_catches_a_multiword_title(text):
    detector = LeakDetector("The Hunger Games (The Hunger Games, #1)", "1")
    assert detector.check(text, shown=5) is not None


@pytest.mark.parametrize("text", [
    "I'm looking for young adult science fiction.",
    "Not the second one, too old. Something by Suzanne Collins.",
    "Rated at least 4.",
    "games are fun",
])
def test_leak_detector_ignores_text_without_the_title(text):
    assert LeakDetector("The Hunger Games (The Hunger Games, #1)", "1").check(text, shown=5) is None


def test_leak_detector_one_word_title_needs_the_exact_word():
    detector = LeakDetector("Dune (Dune Chronicles #1)", "77")
    assert detector.check("something like dune, from the 60s") is not None
    assert detector.check("I love the dunes of the desert") is None


def test_leak_detector_function_word_title_only_when_named():
    detector = LeakDetector("It", "500")
    assert detector.check("Not the second one, it's too old. I want it newer.") is None
    assert detector.check('I loved "It" by Stephen King') is not None
    assert detector.check("something like It by Stephen King") is not None


def test_leak_detector_ids_only_where_they_read_as_ids():
    detector = LeakDetector("Some Long Title Here", "42")
    assert detector.check("rated at least 4, from the 1940s") is None
    assert detector.check("item 42 please") is not None
    assert detector.check("the one with [42]") is not None
    assert detector.check("#42 looks good", shown=5) is not None
    small = LeakDetector("Another Long Title", "3")
    assert small.check("I'll take #3", shown=5) is None
    assert LeakDetector("Some Movie", "tt0111161").check("I mean tt0111161") is not None


def test_leak_detector_allows_attribute_values():
    detector = LeakDetector("Clapton: The Autobiography", "5119", allowed=["Eric Clapton", "biography"])
    assert detector.check("Something by Eric Clapton, a biography.") is None
    assert detector.check("I want Clapton") is not None


def test_title_variants_drop_series_and_articles():
    assert title_variants("The Hunger Games (The Hunger Games, #1)") == ["hunger games"]
    assert "harry potter and the sorcerers stone" in title_variants("Harry Potter and the Sorcerer's Stone")
    assert normalize("Café — Noir!") == "cafe noir"


# --- targets and profiles -------------------------------------------------------------------------
def test_target_profile_never_contains_title_or_id(demo_catalog):
    rng = random.Random(7)
    for _ in range(150):
        target = sample_target(demo_catalog, rng)
        profile = build_profile(demo_catalog, target.item)
        blob = profile.model_dump_json()
        assert LeakDetector(target.item.title, target.item.id, allowed=profile.values()).check(profile.summary) is None
        for variant in title_variants(target.item.title):
            if len(variant.split()) >= 3:
                assert variant not in normalize(blob), (target.item.title, blob)
        assert profile.kinds and profile.people and profile.year is not None


def test_sample_target_is_seeded_and_eligible(demo_catalog):
    eligible = set(eligible_rows(demo_catalog).tolist())
    a = [sample_target(demo_catalog, random.Random(f"s:{i}")).row for i in range(20)]
    b = [sample_target(demo_catalog, random.Random(f"s:{i}")).row for i in range(20)]
    assert a == b and len(set(a)) > 15 and set(a) <= eligible


def test_sample_target_from_history_holds_out_a_rated_item(demo_catalog):
    inter = demo_catalog.interactions
    target = sample_target(demo_catalog, random.Random(3), "history")
    users = set(inter.users[inter.items == target.row].tolist())
    assert users, "the target comes from some user's history"
    assert target.row not in target.liked_rows and len(target.liked_rows) <= 3
    for row in target.liked_rows:
        assert LeakDetector(target.item.title, target.item.id).check(demo_catalog.items[row].title) is None
        assert set(inter.users[inter.items == row].tolist()) & users


def test_sample_target_unknown_mode_is_an_error(demo_catalog):
    with pytest.raises(ValueError, match="unknown target mode"):
        sample_target(demo_catalog, random.Random(0), "nope")


# --- the policy, on hand-made lists -------------------------------------------------------------------
PROFILE = TargetProfile(kind_field="genres", kinds=["mystery", "crime"], all_kinds=["mystery", "crime", "thriller"],
                        people_field="authors", people=["Jane Roe"], year_field="year", year=1997.0,
                        rating_field="average_rating", rating=4.2, popularity=0.5)


def _item(i, genres, author, year, pop=0.5):
    return ItemView(id=str(i), title=f"Item {i}", categorical={"genres": genres, "authors": [author]},
                    numeric={"year": float(year), "average_rating": 4.0}, popularity=pop)


def _persona(order=("year", "people", "kind", "rating"), **kw):
    base = dict(name="T", style="plain", opening="kind", reveal_order=list(order), command_rate=0.0,
                positional_rate=1.0)
    return Persona(**{**base, **kw})


def test_policy_opening_states_one_or_two_true_facts():
    target = _item(0, PROFILE.all_kinds, "Jane Roe", 1997)
    for seed in range(30):
        rng = random.Random(seed)
        persona = make_persona(rng, PROFILE)
        act = Policy(PROFILE, persona, rng).opening()
        assert act.kind == "open" and 1 <= len(act.facts) <= 2
        assert all(f.holds_for(target) for f in act.facts)


def test_policy_accepts_when_told_the_target_position():
    policy = Policy(PROFILE, _persona(), random.Random(0))
    policy.opening()
    act = policy.react(ReplyView(items=[_item(1, ["crime"], "X Y", 1990)]), target_position=1)
    assert act.kind == "accept" and act.position == 1


def test_policy_rejects_with_a_reason_the_list_shows():
    policy = Policy(PROFILE, _persona(), random.Random(0))
    policy.opening()
    shown = [_item(1, ["mystery", "crime"], "Jane Roe", 1997), _item(2, ["mystery", "crime"], "Al Bee", 2011)]
    act = policy.react(ReplyView(items=shown), None)
    assert act.kind == "reject"
    fact = act.facts[0]
    assert fact.role == "year" and fact.holds_for(_item(0, [], "", 1997))
    assert act.position == 2 and not act.reason.holds_for(shown[1])


def test_policy_skips_facts_the_list_already_satisfies():
    policy = Policy(PROFILE, _persona(order=("year", "people", "kind")), random.Random(0))
    policy.opening()
    shown = [_item(1, ["mystery", "crime"], "Al Bee", 1996), _item(2, ["mystery", "crime"], "Cy Dee", 1998)]
    act = policy.react(ReplyView(items=shown), None)
    assert act.facts[0].role == "people"  # every item is from the 90s already


def test_policy_restates_a_fact_the_agent_ignored():
    policy = Policy(PROFILE, _persona(opening="kind+year", style="terse"), random.Random(0))
    opening = policy.opening()
    assert {f.role for f in opening.facts} == {"kind", "year"}
    act = policy.react(ReplyView(items=[_item(1, ["mystery", "crime"], "Jane Roe", 2015)]), None)
    assert act.kind == "restate" and act.restated[0].role == "year" and act.position == 1


def test_policy_command_no_more_names_a_value_the_target_lacks():
    policy = Policy(PROFILE, _persona(command_rate=1.0), random.Random(1))
    policy.opening()
    shown = [_item(i, ["mystery", "crime", "horror"], "Jane Roe", 1997) for i in range(1, 4)]
    act = policy.react(ReplyView(items=shown), None)
    assert act.kind == "command" and act.command == "no_more"
    assert act.facts[0].op == "exclude" and act.facts[0].value == "horror"


def test_policy_like_but_newer_only_for_a_close_older_item():
    policy = Policy(PROFILE, _persona(command_rate=1.0), random.Random(2))  # nothing stated yet
    shown = [_item(1, ["mystery"], "Al Bee", 1990), _item(2, ["fantasy"], "Jane Roe", 1990)]
    act = policy.react(ReplyView(items=shown), None)
    assert act.command == "like_but_newer" and act.position == 2
    assert act.facts[0].op == "gte" and act.facts[0].value == 1991


def test_policy_answers_a_question_with_a_kind_it_offers():
    policy = Policy(PROFILE, _persona(opening="people"), random.Random(0))
    policy.opening()
    act = policy.react(ReplyView(question="What kind are you in the mood for — fantasy, crime or romance?"), None)
    assert act.kind == "answer" and act.facts[0].value == "crime"


# --- the rule simulator's words are read the way they are meant --------------------------------------
@pytest.fixture(scope="module")
def rule_parser(demo_catalog):
    return RuleParser(vocabulary_for(demo_catalog))


@pytest.mark.parametrize("style", ["plain", "terse"])
@pytest.mark.parametrize("fact", [
    Fact(role="kind", field="genres", op="include", value="mystery"),
    Fact(role="kind", field="genres", op="include", value="science fiction"),
    Fact(role="kind", field="genres", op="exclude", value="horror"),
    Fact(role="people", field="authors", op="include", value="Stephen King"),
    Fact(role="people", field="authors", op="include", value="J.K. Rowling"),
    Fact(role="year", field="year", op="between", value=1990.0, upper=1999.0, style="decade"),
    Fact(role="year", field="year", op="between", value=2006.0, upper=2009.0, style="late"),
    Fact(role="year", field="year", op="between", value=1850.0, upper=1859.0, style="decade"),
    Fact(role="rating", field="average_rating", op="gte", value=4.0),
    Fact(role="rating", field="average_rating", op="gte", value=3.5),
])
def test_rule_phrasings_parse_as_the_constraints_they_state(rule_parser, fact, style):
    for seed in range(6):
        text = sentence(fact, random.Random(seed), terse=style == "terse")
        parsed = rule_parser.parse(text, ParseContext()).update
        got = {c.key for c in parsed.add_constraints}
        want = {c.key for c in fact.constraints()}
        assert want <= got, (text, got)


def test_rule_positional_reject_rejects_that_item(rule_parser, demo_catalog):
    shown = [it.id for it in demo_catalog.items[:5]]
    act_fact = Fact(role="year", field="year", op="between", value=1990.0, upper=1999.0, style="decade")
    from recpilot.simulator.models import Act

    act = Act(kind="reject", facts=[act_fact], position=2, reason=act_fact)
    items = [item_view(demo_catalog, i) for i in shown]
    for seed in range(5):
        text = realize(act, _persona(), random.Random(seed), items)
        update = rule_parser.parse(text, ParseContext(last_shown=shown)).update
        assert [r.id for r in update.rejected_items] == [shown[1]], text
        assert {"year:gte:1990", "year:lte:1999"} <= {c.key for c in update.add_constraints}, text


def test_rule_simulator_is_deterministic_given_its_seed(demo_catalog):
    def dialogue(seed):
        target = sample_target(demo_catalog, random.Random(seed))
        profile = build_profile(demo_catalog, target.item)
        user = RuleSimulator(profile, make_persona(random.Random(seed), profile), seed)
        said = [user.open().text]
        for turn in range(4):
            ids = [demo_catalog.items[r].id for r in range(turn * 5, turn * 5 + 5)]
            said.append(user.react(ReplyView(items=[item_view(demo_catalog, i) for i in ids])).text)
        return said

    assert dialogue("x:1") == dialogue("x:1")
    assert dialogue("x:1") != dialogue("x:2")


def test_chatter_adds_heldout_context_sentences_and_changes_nothing_else(demo_catalog):
    """``chatter`` wraps some messages in a held-out context sentence; the acts (what is asked
    for) are the same as without it, and chatter 0 says exactly the same words."""
    from recpilot.simulator.phrasebook import split_pool

    def dialogue(seed, chatter):
        target = sample_target(demo_catalog, random.Random(seed))
        profile = build_profile(demo_catalog, target.item)
        user = RuleSimulator(profile, make_persona(random.Random(seed), profile), seed, chatter=chatter)
        said = [user.open()]
        for turn in range(4):
            ids = [demo_catalog.items[r].id for r in range(turn * 5, turn * 5 + 5)]
            said.append(user.react(ReplyView(items=[item_view(demo_catalog, i) for i in ids])))
        return said

    held = split_pool("noise", "heldout")
    for seed in ("c:1", "c:2", "c:3"):
        plain, chatty = dialogue(seed, 0.0), dialogue(seed, 1.0)
        assert [u.act for u in plain] == [u.act for u in chatty]
        for p, c in zip(plain, chatty, strict=True):
            extra = c.text.replace(p.text, "").strip()
            assert extra in {h.format(noun="book") for h in held}, c.text
        assert [u.text for u in dialogue(seed, 0.0)] == [u.text for u in plain]


def test_policy_never_loosens_what_it_says_in_the_same_turn():
    """A chatty user stating two facts never follows a narrow one with a broader one ('the late
    1990s. From the 1990s.'), which would read as taking the first one back."""
    from recpilot.simulator.policy import implied

    shown = [_item(1, ["mystery", "crime"], "Jane Roe", 1991), _item(2, ["mystery", "crime"], "Al Bee", 2011)]
    pairs = 0
    for seed in range(30):
        persona = _persona(order=("year", "rating", "people"), style="chatty")
        policy = Policy(PROFILE, persona, random.Random(seed))
        act = policy.react(ReplyView(items=shown), None)
        assert act.facts[0].style == "late"  # broken by both items, the decade by one
        for i, later in enumerate(act.facts[1:], 1):
            assert not implied(later, act.facts[:i]), act
            pairs += 1
    assert pairs >= 5
