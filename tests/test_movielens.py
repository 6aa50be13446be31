"""The movies catalog: MovieLens files read, joined with ReDial's movies, built, and evaluated on.

tests/fixtures/movielens/ holds made-up rows in MovieLens's format (22 movies, 6 users);
tests/fixtures/movies_join.csv is a ReDial-format list with one case of the join per row; the
end-to-end run uses the ReDial fixtures of test_redial.py (movies_with_mentions.csv,
redial_tiny.jsonl). Expected numbers are worked out by hand next to them.
"""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import REPO
from typer.testing import CliRunner

from recpilot.settings import LLMSettings, Settings
from recpilot.simulator.agents import DialogueSoFar
from recpilot.simulator.models import AgentReply
from recpilot.simulator.movielens import MovieLensFormatError, join, read_movielens, title_keys
from recpilot.simulator.movies_catalog import ensure_movies_catalog, interaction_rows, movie_rows
from recpilot.simulator.redial import file_mentions, read_dialogues, read_movies

FIXTURES = REPO / "tests" / "fixtures"
MOVIELENS = FIXTURES / "movielens"
JOIN = FIXTURES / "movies_join.csv"
REDIAL_MOVIES = FIXTURES / "movies_with_mentions.csv"
TINY = FIXTURES / "redial_tiny.jsonl"


@pytest.mark.parametrize("title, keys", [
    ("Matrix, The", ["matrix"]),
    ("The Matrix", ["matrix"]),
    ("Lighthouse Keeper, A", ["lighthouse keeper"]),
    ("Amelie (Fabuleux destin d'Amélie Poulain, Le)", ["amelie", "le fabuleux destin damelie poulain"]),
    ("Seven (a.k.a. Se7en)", ["seven", "se7en"]),
    ("(500) Days of Summer", ["500 days of summer"]),
    ("Café Lumière", ["cafe lumiere"]),
    ("WALL·E", ["wall e"]),
    ("Why Him%3F", ["why him"]),
    ("Schindler's List", ["schindlers list"]),
    ("Auberge espagnole, L'", ["lauberge espagnole"]),
    ("Fast & Furious", ["fast and furious"]),
])
def test_movielens_title_keys_fold_case_accents_punctuation_articles_and_alternatives(title, keys):
    assert title_keys(title) == keys


def test_movielens_read_counts_and_skips_malformed_rows():
    ml = read_movielens(MOVIELENS)
    # 22 data rows, "21,Broken Row (2001)" has two cells
    assert len(ml.movies) == 21 and "21" not in ml.movies
    # 28 ratings: "five" is no number, movie 999 is not in movies.csv
    assert len(ml.ratings) == 26
    # an orphan tag (movie 999) and an empty one
    assert ml.skipped == {"movies.csv": 1, "ratings.csv": 2, "tags.csv": 2}
    assert ml.errors[0] == "movies.csv line 22: needs movieId (a number), title and genres"
    assert ml.movies["13"].genres == []  # "(no genres listed)" is no genre
    assert ml.movies["1"].title == "Matrix, The" and ml.movies["1"].year == 1999
    # lower-cased, counted together ("Cyberpunk" twice), most frequent first
    assert ml.tags["1"] == ["cyberpunk", "philosophy", "martial arts"] and ml.tags["7"] == ["space", "creepy"]


def test_movielens_missing_files_and_columns_are_clear_errors(tmp_path):
    with pytest.raises(MovieLensFormatError, match="folder not found"):
        read_movielens(tmp_path / "nowhere")
    (tmp_path / "movies.csv").write_text("movieId,title\n1,Heat (1995)\n")
    with pytest.raises(MovieLensFormatError, match=r"missing columns \['genres'\]"):
        read_movielens(tmp_path)
    (tmp_path / "movies.csv").write_text("movieId,title,genres\n1,Heat (1995),Action\n")
    with pytest.raises(MovieLensFormatError, match="ratings.csv"):
        read_movielens(tmp_path)
    (tmp_path / "ratings.csv").write_text("userId,movieId,rating\n1,1,4\n")
    (tmp_path / "tags.csv").write_text("userId,movieId,tag\n")
    assert len(read_movielens(tmp_path).ratings) == 1  # links.csv is optional


def test_movielens_join_matches_by_title_keys_and_year():
    movies, _ = read_movies(JOIN)
    matches, coverage = join(movies, read_movielens(MOVIELENS))
    assert matches == {
        "301": "1",   # "The Matrix" = "Matrix, The"
        "302": "11",  # "Cafe Lumiere" = "Café Lumière"
        "303": "12",  # listed twice in MovieLens: the one with ratings
        "304": "14",  # the a.k.a. title
        "305": "8",   # the main title before "(Les Dents de la Mer)"
        "306": "9",   # "Heat (1995)" against "Heat (1996)": a year one off
        "307": "15",  # "Orbit Station" = "Orbit Station: The Long Night"
        "308": "13",
        "311": "1",   # ReDial's second listing of The Matrix
    }  # 309: the same title, 14 years off; 310: not in MovieLens
    assert (coverage.movies, coverage.matched, coverage.mentions, coverage.mentions_matched) == (11, 9, 109, 98)
    assert coverage.movies_share == 0.8182 and coverage.mentions_share == 0.8991


def test_movielens_rows_enrich_matched_movies_and_keep_unmatched_ones_plain():
    movies, _ = read_movies(REDIAL_MOVIES)
    ml = read_movielens(MOVIELENS)
    matches, _ = join(movies, ml)
    rows = {r["id"]: r for r in movie_rows(movies, ml, matches, without={"101": 3})}
    assert rows["201"] == {"id": "201", "title": "Filler One", "year": 2001, "mentions": 60, "name": "Filler One (2001)"}
    matrix = rows["101"]
    assert matrix["genres"] == ["Action", "Sci-Fi", "Thriller"] and matrix["tags"] == ["cyberpunk", "philosophy",
                                                                                       "martial arts"]
    assert matrix["description"] == "Genres: Action, Sci-Fi, Thriller; tags: cyberpunk, philosophy, martial arts"
    # ratings of movie 1: 5, 4, 2.5; mentions leak-free: 50 - 3
    assert (matrix["average_rating"], matrix["ratings_count"], matrix["mentions"]) == (3.833, 3, 47)
    # no year in ReDial: the only MovieLens "American Pie" matches it
    assert rows["105"]["movielens_id"] == "6" and "year" not in rows["105"]


def test_movielens_good_ratings_become_interactions_on_the_most_mentioned_redial_id():
    movies, _ = read_movies(REDIAL_MOVIES)
    ml = read_movielens(MOVIELENS)
    pairs = interaction_rows(movies, ml, join(movies, ml)[0])
    # ratings >= 4 of matched movies: users 1-6 have 3, 2, 2, 3, 3, 2 (the rest are below 4 or of
    # movies ReDial does not list)
    assert len(pairs) == 15
    assert ("ml1", "101", 5.0) in pairs and ("ml1", "108", 4.5) in pairs
    assert not any(user == "ml1" and item == "102" for user, item, _ in pairs)  # rated 2.0
    # American Pie is ReDial's 104 (20 mentions) and 105 (2): its ratings go to 104
    assert ("ml4", "104", 4.0) in pairs and not any(item == "105" for _, item, _ in pairs)


def test_movielens_packaged_data_holds_no_movielens_files():
    """MovieLens's licence keeps it (and anything derived from it) out of the package."""
    data = REPO / "recpilot" / "data"
    for path in data.rglob("*"):
        if not path.is_file():
            continue
        assert path.name not in {"movies.csv", "ratings.csv", "tags.csv", "links.csv"}, path
        opener = gzip.open if path.suffix == ".gz" else open
        if path.suffix in (".gz", ".csv", ".jsonl", ".yaml", ".md", ".json", ".txt"):
            with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
                head = fh.read(20000).lower()
            assert "movielens" not in head and "grouplens" not in head and "userid,movieid" not in head, path


# --- built and evaluated --------------------------------------------------------------------
@pytest.fixture(scope="module")
def movies_run(tmp_path_factory):
    """``eval redial --movielens`` on the tiny ReDial file: builds the catalog, trains a ranker."""
    from recpilot.cli.main import app

    home, out = tmp_path_factory.mktemp("movies-home"), tmp_path_factory.mktemp("movies-out")
    result = CliRunner().invoke(app, ["--home", str(home), "--llm-backend", "none", "eval", "redial", "--data",
                                      str(TINY), "--movielens", str(MOVIELENS), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return Settings(home=home, llm=LLMSettings(backend="none")), out, result.output


@pytest.mark.slow
def test_movielens_eval_reports_the_catalog_ranker_and_blend(movies_run):
    settings, out, output = movies_run
    summary = json.loads((out / "summary.json").read_text())
    catalog = summary["catalog"]
    assert catalog["name"] == "movies" and catalog["items"] == 18 and catalog["interactions"] == 15
    assert (catalog["coverage"]["matched"], catalog["coverage"]["mentions_matched"]) == (11, 247)
    assert catalog["ranker"]["model"] == "slim" and catalog["ranker"]["trained_now"]
    assert set(summary["baselines"]) == {"popularity", "retrieval", "blend", "blend+conversations"}
    blend = summary["baselines"]["blend"]["recommendation"]
    assert blend["pairs"] == 8 and blend["recall@1"] <= blend["recall@10"] <= blend["recall@50"]
    assert "| blend |" in (out / "report.md").read_text() and "ranker: slim" in output
    assert "blend:" in output and "MovieLens matched 61.1%" in output


@pytest.mark.slow
def test_movielens_catalog_is_leak_free_and_rebuilt_only_when_inputs_change(movies_run):
    settings, _, _ = movies_run
    without = file_mentions(read_dialogues(TINY)[0])
    first, _ = ensure_movies_catalog(settings, REDIAL_MOVIES, MOVIELENS, without=without)
    notes: list[str] = []
    catalog, build = ensure_movies_catalog(settings, REDIAL_MOVIES, MOVIELENS, without=without, notify=notes.append)
    assert not build.rebuilt and catalog.version == first.version
    assert not any(n.startswith("ingesting") for n in notes) and notes[-1].endswith(("s", "unchanged"))
    assert catalog.get("101").numeric["mentions"] == 50 - without["101"]
    assert catalog.get("101").categorical["genres"] == ["Action", "Sci-Fi", "Thriller"]
    assert catalog.get("201").categorical == {} and catalog.get("201").numeric["year"] == 2001
    # raw mentions are other inputs: a new version
    catalog, build = ensure_movies_catalog(settings, REDIAL_MOVIES, MOVIELENS)
    assert build.rebuilt and catalog.get("101").numeric["mentions"] == 50


@pytest.mark.slow
def test_movielens_blend_names_genres_uses_co_ratings_and_skips_mentioned_movies(movies_run):
    from recpilot.simulator.baselines import BlendAgent

    settings, _, _ = movies_run
    catalog, _ = ensure_movies_catalog(settings, REDIAL_MOVIES, MOVIELENS)
    blend = BlendAgent(catalog)
    # "scary" is Horror by the schema's synonyms
    assert blend.genres_named("something scary and a sci-fi one", set()) == {"horror", "sci-fi"}
    # The Matrix (101) was liked by users 1 and 2, who both liked Alien (108): Alien comes first
    dialogue = DialogueSoFar(id="d", user=["I loved The Matrix"], named=["101"],
                             replies=[AgentReply(item_ids=["107"], text="Jurassic Park?")])
    ids = blend.respond(dialogue, 5).item_ids
    assert ids[0] == "108" and "101" not in ids and "107" not in ids


@pytest.mark.slow
def test_movielens_blend_with_conversations_adds_what_other_dialogues_named_together(movies_run):
    from recpilot.simulator.baselines import BlendAgent, ConversationBlendAgent
    from recpilot.tools.rankers.conversations import fit_conversations

    settings, _, _ = movies_run
    catalog, _ = ensure_movies_catalog(settings, REDIAL_MOVIES, MOVIELENS)
    dialogue = DialogueSoFar(id="d", user=["I loved The Matrix"], named=["101"])
    plain = BlendAgent(catalog).respond(dialogue, 18).item_ids
    last = plain[-1]  # the blend's last pick: other dialogues named it with The Matrix
    talk = ConversationBlendAgent(catalog, {"d": fit_conversations(catalog, [["101", last], ["101", last, "999"]])})
    ranked = talk.respond(dialogue, 18).item_ids
    assert ranked.index(last) < plain.index(last) - 5 and sorted(ranked) == sorted(plain)
    # a dialogue with no model of its own (its fold learned nothing) is the plain blend
    assert ConversationBlendAgent(catalog, {"d": None}).respond(dialogue, 18).item_ids == plain


@pytest.mark.slow
def test_movielens_web_cards_show_year_rating_and_genres_and_the_greeting_asks_no_author(movies_run):
    from types import SimpleNamespace

    from recpilot.ui.web import WebPage

    settings, _, _ = movies_run
    catalog, _ = ensure_movies_catalog(settings, REDIAL_MOVIES, MOVIELENS)
    page = WebPage(SimpleNamespace(agent=SimpleNamespace(catalog=catalog, domain="movie catalog")))
    card = page.card("101", "because")
    assert card["title"] == "The Matrix" and card["attrs"] == ["1999", "★ 3.83"]
    assert card["tags"] == ["Action", "Sci-Fi", "Thriller"]
    assert page.card("201", "")["attrs"] == ["2001"] and page.card("201", "")["tags"] == []
    assert page.greeting("anon-1") == "Hi! Tell me what you're in the mood for — a genre, a favourite, a year."


@pytest.mark.slow
@pytest.mark.parametrize(("text", "constraints", "likes", "dislikes"), [
    # who the film is for leans the list; a kind asked for still filters
    ("i need a movie to watch with my family", [], [("Children", 1.0)], []),
    ("I dont think the kids would be interested in a movie that old", [], [("Children", 1.0)], []),
    ("a kids movie please", [("genres", "include", "Children")], [], []),
    ("family please", [("genres", "include", "Children")], [], []),
    # an age: the schema's audience (Children's films are for up to 11)
    ("something for my 6 year old", [], [("Children", 1.5)], []),
    ("for adults", [("genres", "exclude", "Children")], [], []),
    # what a person's films are like, and what came before, describe rather than ask
    ("he is very funny", [], [("Comedy", 0.5)], []),
    ("How about a comedy. After all these scary movies we need a laugh", [("genres", "include", "Comedy")],
     [("Horror", 0.5)], []),
    ("it was a thriller but very funny", [], [("Comedy", 0.5), ("Thriller", 0.5)], []),
    # time words about what was seen, or about which item, are no bounds
    ("One of the best movies I have seen in recent years", [], [], []),
])
def test_movielens_parser_reads_human_phrasing_about_films(movies_run, text, constraints, likes, dislikes):
    from recpilot.agent.agent import RecPilot
    from recpilot.agent.turn import ParseContext

    settings, _, _ = movies_run
    agent = RecPilot.from_settings(settings.model_copy(update={"catalog": "movies"}), llm=None)
    up = agent.parser.parse(text, ParseContext()).update
    assert sorted((c.field, c.op, c.value) for c in up.add_constraints) == sorted(constraints)
    assert sorted((p.value, p.weight) for p in up.likes if p.field == "genres") == sorted(likes)
    assert sorted((p.value, p.weight) for p in up.dislikes if p.field == "genres") == sorted(dislikes)
