"""The ReDial benchmark: loader, scorer and the whole run on a tiny hand-written file.

tests/fixtures/redial_tiny.jsonl holds three dialogues over the 18 movies of
tests/fixtures/movies_with_mentions.csv; every expected number below is worked out by hand
in the comments next to it.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import REPO
from typer.testing import CliRunner

from recpilot.catalog import load_catalog
from recpilot.memory.sessions import SessionStore
from recpilot.settings import LLMSettings, Settings
from recpilot.simulator.redial import (
    RedialFormatError,
    file_mentions,
    read_dialogues,
    read_movies,
    render,
    render_mentions,
    run_redial_eval,
    split_title,
)
from recpilot.simulator.redial_metrics import RecPoint, recall_at_k, score_preferences

FIXTURES = REPO / "tests" / "fixtures"
TINY = FIXTURES / "redial_tiny.jsonl"
MOVIES = FIXTURES / "movies_with_mentions.csv"
NB_MENTIONS = {m.id: m.mentions for m in read_movies(MOVIES)[0]}


@pytest.mark.parametrize("name, expected", [
    ("Ninja Assassin (2009)", ("Ninja Assassin", 2009)),
    ("Police Academy  (1984)", ("Police Academy", 1984)),
    ("American Pie ", ("American Pie", None)),
    ("(500) Days of Summer (2009)", ("(500) Days of Summer", 2009)),
    ("Star Wars (film)", ("Star Wars (film)", None)),
    ("(1984)", ("(1984)", None)),
])
def test_redial_split_title_reads_the_year_in_parentheses(name, expected):
    assert split_title(name) == expected


def test_redial_read_movies_parses_titles_years_and_mentions(tmp_path):
    movies, errors = read_movies(MOVIES)
    by_id = {m.id: m for m in movies}
    assert len(movies) == 18 and errors == []
    assert (by_id["104"].title, by_id["104"].year, by_id["104"].mentions) == ("American Pie", 1999, 20)
    assert (by_id["105"].title, by_id["105"].year) == ("American Pie", None)
    bad = tmp_path / "movies.csv"
    bad.write_text("movieId,movieName,nbMentions\n1,Heat (1995),3\n2,,4\n3,Up (2009),many\n")
    movies, errors = read_movies(bad)
    assert [m.id for m in movies] == ["1", "3"] and movies[1].mentions == 0
    assert errors == ["line 3: empty movieId or movieName", "line 4: nbMentions is not a number: 'many'"]
    bad.write_text("id,name\n1,Heat\n")
    with pytest.raises(RedialFormatError, match="missing columns"):
        read_movies(bad)


def test_redial_read_dialogues_assigns_senders_mentions_and_labels():
    dialogues, errors = read_dialogues(TINY)
    assert errors == [] and [d.id for d in dialogues] == ["1", "2", "3"]
    a, b, c = dialogues
    assert [m.sender for m in a.messages] == ["seeker", "recommender", "seeker", "recommender", "seeker"]
    assert a.messages[3].mentions == ["110", "101", "107"]
    # the seeker's form wins over the recommender's (which says 103 was disliked)
    assert a.label_source == "initiator" and a.labels["103"] == 1 and a.labels["107"] == 2
    # an empty seeker form ([]) falls back to the recommender's
    assert b.label_source == "respondent" and b.labels == {"105": 1, "112": 2, "106": 0, "109": 1}
    assert b.messages[0].sender == "recommender"
    assert c.mentioned == {"101", "999", "998"}


def test_redial_render_mentions_gives_each_title_its_span_after_white_space_is_collapsed():
    dialogue = read_dialogues(TINY)[0][0].model_copy(update={"titles": {"1": "Up  (2009)", "2": "It (2017)"}})
    text, spans = render_mentions("  I  loved @1 ,\n and @2?? @1!  @3", dialogue)
    assert text == render("  I  loved @1 ,\n and @2?? @1!  @3", dialogue, None) == "I loved Up , and It?? Up! a movie"
    assert [(s.movie_id, text[s.start:s.end]) for s in spans] == [("1", "Up"), ("2", "It"), ("1", "Up"), ("3", "a movie")]


def test_redial_read_dialogues_skips_malformed_lines_with_their_numbers(tmp_path):
    path = tmp_path / "d.jsonl"
    lines = TINY.read_text().splitlines()
    path.write_text("\n".join([lines[0], "not json", '{"messages": 3}', "[1]", "", lines[1]]) + "\n")
    dialogues, errors = read_dialogues(path)
    assert [d.id for d in dialogues] == ["1", "2"]
    assert [e.split(":")[0] for e in errors] == ["line 2", "line 3", "line 4"]
    assert read_dialogues(path, limit=1)[0][0].id == "1"
    with pytest.raises(RedialFormatError, match="not found"):
        read_dialogues(tmp_path / "missing.jsonl")


def test_redial_score_preferences_counts_by_hand():
    labels = {"a": 1, "b": 1, "c": 0, "d": 2, "e": 0}
    mentioned = {"a", "b", "c", "d", "e", "f"}
    counts = score_preferences(labels, mentioned, liked={"a", "c", "d", "f", "z", "a2"}, disliked={"e"},
                               same_movie={"a2": "b"})
    # liked: a TP, a2 stands for b TP, c FP (labelled disliked), z FP (never mentioned),
    # d ignored (label 2), f ignored (mentioned, unlabelled); no liked movie missed
    assert counts.liked == [2, 2, 0]
    # disliked: e TP; c missed (read as liked)
    assert counts.disliked == [1, 0, 1]
    scores = counts.scores()
    assert scores["liked"]["precision"] == 0.5 and scores["liked"]["recall"] == 1.0
    assert scores["liked"]["f1"] == 0.6667 and scores["disliked"]["f1"] == 0.6667
    assert scores["macro_f1"] == 0.6667


def test_redial_recall_at_k_counts_turn_movie_pairs():
    points = [
        RecPoint(targets=["x", "y"], predictions=["x"] + [f"p{i}" for i in range(20)] + ["y"]),
        RecPoint(targets=["m", "z"], predictions=["m", "q", "z"], mentioned_before=["m"]),
        RecPoint(targets=["w"], predictions=[]),
    ]
    # pairs: x@1, y@22, m@1, z@3, w missing -> R@1 2/5, R@10 3/5, R@50 4/5
    assert recall_at_k(points) == {"recall@1": 0.4, "recall@10": 0.6, "recall@50": 0.8, "turns": 3, "pairs": 5}
    # filtered: m leaves the targets and the predictions, so z moves to rank 2
    assert recall_at_k(points, filtered=True) == {"recall@1": 0.25, "recall@10": 0.5, "recall@50": 0.75,
                                                  "turns": 3, "pairs": 4}


# --- the whole run, through the CLI, on the tiny file ---------------------------------------
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from recpilot.cli.main import app

    home = tmp_path_factory.mktemp("redial-home")
    out = tmp_path_factory.mktemp("redial-out")
    result = CliRunner().invoke(app, ["--home", str(home), "--llm-backend", "none", "eval", "redial",
                                      "--data", str(TINY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return home, out, result.output


@pytest.mark.slow
def test_redial_eval_writes_summary_and_report(tiny_run):
    _, out, output = tiny_run
    summary = json.loads((out / "summary.json").read_text())
    assert summary["dialogues"] == 3 and summary["movies"] == str(MOVIES)  # the csv next to the data
    for key in ("recall@1", "recall@10", "recall@50", "turns", "filtered", "out_of_catalog"):
        assert key in summary["recommendation"] and key in summary["baselines"]["popularity"]["recommendation"]
    assert set(summary["baselines"]) == {"popularity", "retrieval"}
    report = (out / "report.md").read_text()
    assert "| RecPilot |" in report and "| popularity |" in report and "| liked |" in report
    assert len((out / "dialogues.jsonl").read_text().splitlines()) == 3
    assert "macro-F1" in output


@pytest.mark.slow
def test_redial_eval_ingests_movies_as_the_redial_catalog(tiny_run):
    home, _, _ = tiny_run
    catalog = load_catalog(Settings(home=home, llm=LLMSettings(backend="none")), "redial")
    assert len(catalog) == 18
    assert catalog.get("104").title == "American Pie" and catalog.get("104").numeric["year"] == 1999
    assert catalog.get("105").title == "American Pie" and "year" not in catalog.get("105").numeric
    assert catalog.schema.popularity == "mentions" and catalog.get("201").numeric["mentions"] == 60
    # leak-free: nbMentions less the evaluated file's own mentions (The Matrix: 3 messages name it)
    assert catalog.get("101").numeric["mentions"] == NB_MENTIONS["101"] - file_mentions(read_dialogues(TINY)[0])["101"]
    dialogue = read_dialogues(TINY)[0][2]
    assert render("Try @101 or @998, not @999", dialogue, catalog) == "Try The Matrix or a movie, not a movie"


@pytest.mark.slow
def test_redial_eval_parser_score_matches_hand_count(tiny_run):
    parser = json.loads((tiny_run[1] / "summary.json").read_text())["parser"]
    # Dialogue 1: "I loved Super Troopers and I hated Titanic" -> 103 liked, 102 disliked;
    #   "I have seen Jurassic Park already" -> 107 rejected as seen only (neither class; label 2 anyway);
    #   "Something like Alien" -> 108 liked (anchor). Gold liked 103, 108, 110; disliked 102.
    #   liked TP 2 FN 1 (110, only named by the recommender); disliked TP 1.
    # Dialogue 2 (the recommender's form): "I really liked American Pie" grounds to 104, the other
    #   "American Pie" entry, which counts as 105: liked TP 1; 109 missed: FN 1.
    #   "I did not like Frozen" -> 106 disliked: TP 1.
    # Dialogue 3: "I loved Jaws" -> 110, which nobody @-mentioned: liked FP 1; "I loved The Matrix": TP 1.
    assert (parser["liked"]["tp"], parser["liked"]["fp"], parser["liked"]["fn"]) == (4, 1, 2)
    assert (parser["disliked"]["tp"], parser["disliked"]["fp"], parser["disliked"]["fn"]) == (2, 0, 0)
    assert parser["liked"]["precision"] == 0.8 and parser["liked"]["recall"] == 0.6667
    assert parser["liked"]["f1"] == 0.7273 and parser["disliked"]["f1"] == 1.0
    assert parser["macro_f1"] == 0.8636  # (8/11 + 1) / 2
    assert parser["labels_from_respondent_form"] == 1


@pytest.mark.slow
def test_redial_eval_recall_matches_hand_count(tiny_run):
    summary = json.loads((tiny_run[1] / "summary.json").read_text())
    # Points: d1 [107] (before 103,102); d1 [110, 101, 107] (before 103,102,107,108); d2 [112] (before
    # 105); d2 [109] (before 105,112,106); d3 [101, 998] (998 is in no catalog): 5 turns, 8 pairs;
    # filtered drops the re-named 107: 7 pairs.
    # Popularity order: 201-205, 101 (6th), 206, 102, 107 (9th), 103, 106, 104, 108, 110 (14th),
    # 109 (15th), 112 (16th), 105, 111; like RecPilot, it skips what the recommender already named.
    #   unfiltered: d1 [107]: 9th; d1 [110, 101, 107] without 107: 110 13th, 101 6th, 107 never;
    #   d2 [112]: 16th; d2 [109] without 112: 15th; d3 101 6th, 998 never.
    #   @1 none; @10 107, 101, 101 = 3/8; @50 all but 107 (2nd time) and 998 = 6/8.
    #   filtered (earlier mentions out of the ranking too): 107 8th; 110 10th, 101 6th; 112 16th;
    #   109 14th; 101 6th: @10 107, 110, 101, 101 = 4/7; @50 6/7.
    pop = summary["baselines"]["popularity"]["recommendation"]
    assert (pop["recall@1"], pop["recall@10"], pop["recall@50"]) == (0.0, 0.375, 0.75)
    assert (pop["filtered"]["recall@1"], pop["filtered"]["recall@10"], pop["filtered"]["recall@50"]) \
        == (0.0, 0.5714, 0.8571)
    # RecPilot with k = 50 on 18 movies lists every movie not rejected: it misses 107 once it was
    # rejected as seen, and 998: @50 6/8 unfiltered, 6/7 filtered.
    rec = summary["recommendation"]
    assert (rec["turns"], rec["pairs"], rec["filtered"]["turns"], rec["filtered"]["pairs"]) == (5, 8, 5, 7)
    assert rec["recall@50"] == 0.75 and rec["filtered"]["recall@50"] == 0.8571
    assert rec["out_of_catalog"] == 0 and rec["targets_out_of_catalog"] == 1
    assert rec["turns_without_prediction"] == 0
    for system in [rec, pop, summary["baselines"]["retrieval"]["recommendation"]]:
        assert system["recall@1"] <= system["recall@10"] <= system["recall@50"]


@pytest.mark.slow
def test_redial_eval_records_recommender_turns_as_shown_items(tiny_run):
    _, out, _ = tiny_run
    store = SessionStore(out / "sessions.db")
    sessions = [store.get(row.id).model_dump() for row in store.list(limit=1000)]
    first = next(s for s in sessions if s["user_id"].startswith("redial-1-"))
    assert [t["user"] for t in first["turns"]] == ["Hi! I loved Super Troopers and I hated Titanic",
                                                   "I have seen Jurassic Park already. Something like Alien maybe?",
                                                   "Thanks, I will"]
    assert [t["items"] for t in first["turns"]] == [["107"], ["110", "101", "107"], []]
    assert first["turns"][0]["reply"] == "You should watch Jurassic Park"
    second = next(s for s in sessions if s["user_id"].startswith("redial-2-"))
    assert second["turns"][0]["user"] == "" and second["turns"][0]["reply"].startswith("Hello!")


@pytest.mark.slow
def test_redial_eval_reuses_an_ingested_catalog(tiny_run, tmp_path):
    home, _, _ = tiny_run
    notes: list[str] = []
    settings = Settings(home=home, llm=LLMSettings(backend="none"))
    version = load_catalog(settings, "redial").version
    summary = run_redial_eval(settings, TINY, tmp_path, limit=1, with_baselines=False, notify=notes.append)
    assert notes == [] and load_catalog(settings, "redial").version == version
    assert summary["dialogues"] == 1 and summary["baselines"] == {}


@pytest.mark.slow
def test_redial_eval_skips_the_tuning_dialogues_and_scores_ablations(tiny_run, tmp_path):
    home, _, _ = tiny_run
    settings = Settings(home=home, llm=LLMSettings(backend="none"))
    summary = run_redial_eval(settings, TINY, tmp_path, skip=1, with_baselines=False, ablations=True)
    assert summary["dialogues"] == 2 and summary["skipped_dialogues"] == 1
    ids = [json.loads(line)["id"] for line in (tmp_path / "dialogues.jsonl").read_text().splitlines()]
    assert "1" not in ids and len(ids) == 2
    assert set(summary["ablations"]) == {"without_parser_preferences", "without_ranker", "without_popularity",
                                         "without_conversations"}
    for ablation in summary["ablations"].values():
        assert ablation["recommendation"]["turns"] == summary["recommendation"]["turns"]
    assert "RecPilot without ranker" in (tmp_path / "report.md").read_text()


# --- the stance reader cross-validated by dialogue ---------------------------------------------
def _stance_dialogues(tmp_path, copies: int = 2):
    """tests/fixtures/stance_tiny.jsonl's five dialogues, ``copies`` times under new ids, with a
    movies CSV of their mentions beside them."""
    lines = (FIXTURES / "stance_tiny.jsonl").read_text().splitlines()
    out, movies = [], {}
    for c in range(copies):
        for line in lines:
            d = json.loads(line)
            d["conversationId"] = f"{d['conversationId']}{c}"
            movies.update(d["movieMentions"])
            out.append(json.dumps(d))
    data = tmp_path / "dialogues.jsonl"
    data.write_text("\n".join(out) + "\n")
    rows = ["movieId,movieName,nbMentions"] + [f'{i},"{name}",5' for i, name in movies.items()]
    (tmp_path / "movies_with_mentions.csv").write_text("\n".join(rows) + "\n")
    return data


def test_redial_stance_folds_cover_every_dialogue_and_are_the_same_every_run(tmp_path):
    from recpilot.simulator.redial_cv import fold_of_dialogues

    data = _stance_dialogues(tmp_path)
    folds = fold_of_dialogues(data, 3)

    assert set(folds) == {f"{i}{c}" for i in range(501, 506) for c in range(2)}
    assert set(folds.values()) == {0, 1, 2}
    assert folds == fold_of_dialogues(data, 3)  # the same folds every run


@pytest.mark.slow
def test_redial_eval_with_stance_folds_reads_each_dialogue_with_a_model_that_never_saw_it(tmp_path):
    from recpilot.cli.main import app
    from recpilot.simulator.redial_cv import fold_of_dialogues

    data = _stance_dialogues(tmp_path, copies=2)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["--home", str(tmp_path / "home"), "--llm-backend", "none", "eval", "redial",
                                      "--data", str(data), "--out", str(out), "--stance-folds", "3",
                                      "--no-baselines"])

    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stance"].startswith("cross-validated: 3 folds")
    assert "cross-validated" in (out / "report.md").read_text()
    folds = fold_of_dialogues(data, 3)
    for f in range(3):
        trained_on = {json.loads(line)["conversationId"]
                      for line in (out / f"stance-fold{f + 1}" / "train.jsonl").read_text().splitlines()}
        assert trained_on == {d for d, fold in folds.items() if fold != f}
        assert (out / f"stance-fold{f + 1}" / "stance.npz").is_file()


# --- the conversations model ------------------------------------------------------------------
@pytest.mark.slow
def test_redial_conversation_models_never_learn_from_the_dialogue_they_rank(tiny_run):
    from recpilot.simulator.redial_replay import conversation_models

    home, _, _ = tiny_run
    catalog = load_catalog(Settings(home=home, llm=LLMSettings(backend="none")), "redial")
    copies = [d.model_copy(update={"id": f"{d.id}-{c}"}) for c in range(4) for d in read_dialogues(TINY)[0]]
    models = conversation_models(catalog, copies, 3)
    assert set(models) == {d.id for d in copies} and all(m is not None for m in models.values())
    assert len({id(m) for m in models.values()}) == 3

    def rows(dialogue) -> set[int]:
        return set(catalog.rows([m for msg in dialogue.messages for m in msg.mentions if catalog.has(m)]).tolist())

    for d in copies:
        others = [o for o in copies if models[o.id] is not models[d.id]]  # the other folds
        assert models[d.id].n_users == sum(len(rows(o)) >= 2 for o in others)
        assert set(np.flatnonzero(models[d.id].item_counts).tolist()) <= set().union(*map(rows, others))


@pytest.mark.slow
def test_redial_eval_summary_says_how_conversations_were_used(tiny_run, tmp_path):
    home, out, _ = tiny_run
    assert json.loads((out / "summary.json").read_text())["conversations"].startswith("cross-fitted: 5 folds")
    settings = Settings(home=home, llm=LLMSettings(backend="none"))
    summary = run_redial_eval(settings, TINY, tmp_path, with_baselines=False, conversation_folds=0)
    assert summary["conversations"] == "none"


@pytest.mark.slow
def test_train_conversations_saves_a_model_the_agent_ranks_with_and_eval_ignores(tiny_run, tmp_path):
    from recpilot.cli.main import app
    from recpilot.simulator.redial_replay import build_agent
    from recpilot.tools.rankers.conversations import ConversationScorer
    from recpilot.tools.rankers.scorer import load_scorer

    home, _, _ = tiny_run
    result = CliRunner().invoke(app, ["--home", str(home), "--catalog", "redial", "train", "conversations",
                                      "--data", str(TINY)])
    assert result.exit_code == 0, result.output
    assert "3 dialogues read (0 lines skipped)" in result.output
    status = CliRunner().invoke(app, ["--home", str(home), "--catalog", "redial", "train", "status", "--json"])
    listed = json.loads(status.output.strip().splitlines()[-1])
    assert listed["conversations"]["trained"] and listed["conversations"]["data"] == str(TINY)
    assert listed["ranker"]["models"] == []  # the conversations model is no ranker to choose
    settings = Settings(home=home, catalog="redial", llm=LLMSettings(backend="none"))
    catalog = load_catalog(settings, "redial")
    scorer = load_scorer(settings, catalog)
    assert isinstance(scorer, ConversationScorer)
    off = settings.model_copy(update={"learned": settings.learned.model_copy(update={"conversations": False})})
    assert load_scorer(off, catalog) is None  # no ratings ranker on this catalog either
    # the evaluation may be run on the file the model was fitted on: it never uses HOME's model
    assert not isinstance(build_agent(settings, catalog, tmp_path / "s.db").scorer, ConversationScorer)


def test_redial_file_mentions_count_the_messages_naming_each_movie():
    counts = file_mentions(read_dialogues(TINY)[0])
    assert counts["101"] == 3 and counts["102"] == 1 and "201" not in counts


@pytest.mark.slow
def test_redial_eval_raw_mentions_keeps_nb_mentions_for_dialogues_from_elsewhere(tiny_run, tmp_path):
    from recpilot.cli.main import app

    home = tmp_path / "home"
    result = CliRunner().invoke(app, ["--home", str(home), "--llm-backend", "none", "eval", "redial", "--data",
                                      str(TINY), "--out", str(tmp_path / "out"), "--raw-mentions", "--limit", "1",
                                      "--no-baselines"])
    assert result.exit_code == 0, result.output
    catalog = load_catalog(Settings(home=home, llm=LLMSettings(backend="none")), "redial")
    assert catalog.get("101").numeric["mentions"] == NB_MENTIONS["101"]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["popularity"].startswith("raw") and "raw nbMentions" in (tmp_path / "out" / "report.md").read_text()


@pytest.mark.slow
def test_a_recommender_who_speaks_first_is_scored_against_recpilots_opening_list(tiny_run, tmp_path):
    from recpilot.simulator.redial import Message, RedialDialogue
    from recpilot.simulator.redial_replay import OPENING, build_agent, opening_items, replay

    home, _, _ = tiny_run
    settings = Settings(home=home, llm=LLMSettings(backend="none"))
    catalog = load_catalog(settings, "redial")
    agent = build_agent(settings, catalog, tmp_path / "sessions.db")
    dialogue = RedialDialogue(id="opening", messages=[
        Message(sender="recommender", text="Hi! Have you seen @201?", mentions=["201"]),
        Message(sender="seeker", text="I loved @101, something like it please", mentions=["101"]),
        Message(sender="recommender", text="Try @107", mentions=["107"]),
    ])
    record = replay(agent, dialogue, [])
    opening = opening_items(agent)
    points = record["points"]["recpilot"]
    # the first point comes before the seeker said anything: the list a new user gets
    assert opening == [i.id for i in agent.ask(OPENING, None, "another-new-user", 50).items]
    assert opening[0] == "201"  # the most mentioned movie (leak-free popularity)
    assert points[0]["predictions"] == opening
    assert points[1]["predictions"] != opening and record["from_opening"] == 1
