"""The real ``recpilot`` console script, run as a subprocess over a private copy of the demo home
(``--llm-backend none``: the deterministic parser, so these stay fast)."""

from __future__ import annotations

import json
import re

import pytest

NONE = ("--llm-backend", "none")


@pytest.fixture(scope="module")
def home(copy_demo_home):
    return copy_demo_home()


@pytest.fixture(scope="module")
def cli(run_cli, home):
    def _run(*args: str, input: str | None = None, env: dict | None = None):
        return run_cli(home, *args, input=input, env=env)

    return _run


def ask_json(cli, text: str, *extra: str) -> dict:
    out = cli(*NONE, "ask", text, "--json", *extra)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1, out.stdout  # exactly one JSON object, nothing else on stdout
    return json.loads(lines[0])


def assert_one_error_line(out, pattern: str) -> None:
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("error:"), lines[0]
    assert re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in out.stderr + out.stdout


@pytest.mark.parametrize(
    "command",
    [[], ["ingest"], ["ask"], ["chat"], ["state"], ["sessions"], ["catalogs"], ["items"], ["items", "show"],
     ["items", "search"]],
    ids=lambda c: " ".join(c) or "recpilot",
)
def test_cli_help_works_for_every_command(cli, command):
    out = cli(*command, "--help")
    assert out.returncode == 0, out.stderr
    assert "Usage:" in out.stdout
    assert out.stderr == ""


def test_cli_ask_json_prints_one_result_object(cli, demo_catalog, user_id):
    result = ask_json(cli, "a fantasy book from the 90s", "--user", user_id, "--k", "4")

    assert {"session_id", "items", "question", "state", "usage", "message", "intent", "warnings"} <= set(result)
    assert result["session_id"] and result["user_id"] == user_id
    assert len(result["items"]) == 4
    for item in result["items"]:
        assert set(item) == {"id", "title", "reason", "score"}
        book = demo_catalog.get(item["id"])
        assert item["title"] == book.title and item["reason"]
        assert isinstance(item["score"], float)
        assert "fantasy" in book.categorical["genres"] and 1990 <= book.numeric["year"] <= 1999
    assert set(result["usage"]) == {"llm_calls", "prompt_tokens", "completion_tokens", "latency_ms"}
    assert result["usage"]["llm_calls"] == 0 and result["usage"]["latency_ms"] > 0
    keys = {(c["field"], c["op"]) for c in result["state"]["constraints"]}
    assert ("genres", "include") in keys and ("year", "gte") in keys and ("year", "lte") in keys


@pytest.fixture(scope="module")
def conversation(cli):
    """Two turns over one session, run as two processes: (user, first result, second result)."""
    user = "cli-conversation"
    first = ask_json(cli, "fantasy please", "--user", user)
    second = ask_json(cli, "not the first one", "--session", first["session_id"], "--user", user)
    return user, first, second


def test_cli_ask_session_continues_the_conversation(conversation):
    _, first, second = conversation
    assert second["session_id"] == first["session_id"]
    rejected = first["items"][0]["id"]
    assert rejected in {r["id"] for r in second["state"]["rejected_items"]}
    assert rejected not in {i["id"] for i in second["items"]}
    assert {c["value"] for c in second["state"]["constraints"]} >= {"fantasy"}  # earlier turn still in force


def test_cli_state_json_is_the_persisted_state(cli, conversation):
    _, _, second = conversation
    out = cli("state", "--session", second["session_id"], "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == second["state"]

    text = cli("state", "--session", second["session_id"])
    assert text.returncode == 0
    assert "2 turns" in text.stdout and "genres is fantasy" in text.stdout


def test_cli_state_remove_edits_the_state(cli, user_id):
    result = ask_json(cli, "horror from after 2000", "--user", user_id)
    key = next(c for c in result["state"]["constraints"] if c["field"] == "year")
    key = f"year:{key['op']}:{float(key['value']):g}"

    out = cli("state", "--session", result["session_id"], "--remove", key, "--json")

    assert out.returncode == 0, out.stderr
    fields = {c["field"] for c in json.loads(out.stdout)["constraints"]}
    assert "year" not in fields and "genres" in fields
    again = json.loads(cli("state", "--session", result["session_id"], "--json").stdout)
    assert "year" not in {c["field"] for c in again["constraints"]}


def test_cli_state_remove_unknown_key_is_an_error_and_changes_nothing(cli, conversation):
    _, _, second = conversation
    out = cli("state", "--session", second["session_id"], "--remove", "genres:include:fantsy")
    assert_one_error_line(out, r"has no entry 'genres:include:fantsy'; its keys: .*genres:include:fantasy")
    after = json.loads(cli("state", "--session", second["session_id"], "--json").stdout)
    assert after == second["state"]


def test_cli_ask_on_another_users_session_is_refused(cli, conversation):
    user, first, _ = conversation
    out = cli(*NONE, "ask", "more please", "--session", first["session_id"], "--user", "someone-else")
    assert_one_error_line(out, rf"unknown session: '{first['session_id']}'")
    rows = json.loads(cli("sessions", "--user", user, "--json").stdout)
    assert rows[0]["turns"] == 2  # the owner's session is untouched


def test_cli_sessions_lists_the_users_sessions(cli, conversation):
    user, first, _ = conversation
    out = cli("sessions", "--user", user, "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [(r["id"], r["turns"], r["catalog"]) for r in rows] == [(first["session_id"], 2, "demo")]

    text = cli("sessions", "--user", user)
    assert first["session_id"] in text.stdout and "2 turns" in text.stdout
    assert json.loads(cli("sessions", "--user", "nobody-at-all", "--json").stdout) == []


def test_cli_items_show_json(cli, demo_catalog):
    out = cli("items", "show", "1", "--json")
    assert out.returncode == 0, out.stderr
    fields = json.loads(out.stdout)
    assert {"id", "title", "year", "authors", "genres"} <= set(fields)
    book = demo_catalog.get("1")
    assert (fields["id"], fields["title"], fields["year"]) == ("1", book.title, int(book.numeric["year"]))
    assert fields["authors"] == book.categorical["authors"] and fields["genres"] == book.categorical["genres"]

    text = cli("items", "show", "1")
    assert f"title: {book.title}" in text.stdout


def test_cli_items_search(cli, demo_catalog):
    out = cli("items", "search", "wizard school magic", "--k", "3", "--json")
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)["items"]
    assert 1 <= len(hits) and all(demo_catalog.has(h["id"]) for h in hits)

    text = cli("items", "search", "wizard school magic", "--k", "3")
    assert len(text.stdout.strip().splitlines()) == 3


def test_cli_catalogs_lists_the_demo(cli):
    out = cli("catalogs")
    assert out.returncode == 0
    assert re.search(r"^\* demo\t\d+ items\tv\d+$", out.stdout, flags=re.M), out.stdout


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (("items", "show", "no-such-item"), r"unknown item id: 'no-such-item'"),
        (("state", "--session", "no-such-session"), r"unknown session: 'no-such-session'"),
        ((*NONE, "ingest", "/nonexistent/catalog.csv"), r"file not found"),
        (("--llm-backend", "bogus", "ask", "hi"), r"invalid settings: llm\.backend"),
        (("--config", "/nonexistent/config.toml", "catalogs"), r"config file not found"),
    ],
    ids=["unknown-item", "unknown-session", "missing-file", "bad-flag", "missing-config"],
)
def test_cli_errors_are_one_line_without_traceback(cli, args, pattern):
    assert_one_error_line(cli(*args), pattern)


def test_cli_debug_shows_the_traceback(cli):
    out = cli("--debug", "items", "show", "no-such-item")
    assert out.returncode != 0
    assert "Traceback" in out.stderr and "UnknownItem" in out.stderr


def test_cli_chat_through_stdin(cli):
    out = cli(*NONE, "chat", "--user", "chat-user", input="fantasy please\n/state\n/quit\n")

    assert out.returncode == 0, out.stderr
    assert "recpilot> " in out.stdout
    picks = re.findall(r"^\s+\d+\. \[([^\]]+)\] ", out.stdout, flags=re.M)
    assert len(picks) == 5
    assert out.stdout.count("state: genres is fantasy [genres:include:fantasy]") == 2  # after the turn, and /state
    session_id = re.search(r"resume with: recpilot chat --session (\S+) --user chat-user", out.stdout).group(1)
    rows = json.loads(cli("sessions", "--user", "chat-user", "--json").stdout)
    assert (session_id, 1) in {(r["id"], r["turns"]) for r in rows}


def test_cli_chat_remove_command(cli):
    script = "horror please\n/remove genres:include:horor\n/remove genres:include:horror\n/quit\n"
    out = cli(*NONE, "chat", "--user", "chat-remove-user", input=script)
    assert out.returncode == 0, out.stderr
    assert "no entry 'genres:include:horor'" in out.stdout
    assert out.stdout.rstrip().splitlines()[-2].endswith("state: (empty)")


def test_cli_chat_ends_cleanly_at_end_of_input(cli):
    out = cli(*NONE, "chat", "--user", "eof-user", input="")
    assert out.returncode == 0, out.stderr
    assert "bye" in out.stdout


@pytest.mark.slow
def test_cli_ingest_custom_catalog_with_flags(run_cli, tmp_path):
    home = tmp_path / "home"
    movies = tmp_path / "movies.csv"
    movies.write_text(
        "code,name,directors,release_year,runtime,plot\n"
        "m1,Alien,Ridley Scott,1979,117,The crew of a spaceship meets a deadly lifeform after a distress call.\n"
        "m2,Heat,Michael Mann,1995,170,A detective hunts a crew of professional thieves across Los Angeles.\n"
        "m3,Broken,Nobody,soon,90,A row whose year is not a number at all and should be rejected.\n"
        "m4,Blade Runner,Ridley Scott,1982,117,A weary cop hunts four escaped replicants in a rainy city.\n"
        "m5,The Matrix,Lana Wachowski|Lilly Wachowski,1999,136,A hacker learns his world is a simulation.\n"
        "m6,Collateral,Michael Mann,2004,120,A cab driver is forced to drive a hitman around for a night.\n"
    )

    out = run_cli(home, *NONE, "--catalog", "movies", "ingest", str(movies), "--id-field", "code",
                  "--title-field", "name", "--people", "directors", "--year", "release_year", "--json")

    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout[out.stdout.index("{"):])
    assert (report["catalog"], report["ingested"], report["rejected"]) == ("movies", 5, 1)
    assert report["errors"][0]["line"] == 4 and "release_year" in report["errors"][0]["reason"]
    shown = json.loads(run_cli(home, "--catalog", "movies", "items", "show", "m5", "--json").stdout)
    assert shown["directors"] == ["Lana Wachowski", "Lilly Wachowski"] and shown["release_year"] == 1999
    plain = run_cli(home, *NONE, "--catalog", "movies", "ingest", str(movies), "--id-field", "code",
                    "--title-field", "name")
    assert "unchanged 5" in plain.stdout and "rejected 1" in plain.stdout
    assert "line 4:" in plain.stderr


# --- recpilot memory list / forget ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def remembered(cli):
    """Two users who each said they love fantasy and liked The Hobbit (one `ask` each)."""
    users = ("cli-memory-a", "cli-memory-b")
    for user in users:
        ask_json(cli, "I love fantasy, and I loved The Hobbit", "--user", user)
    return users


def memory_json(cli, user: str) -> list[dict]:
    out = cli("memory", "list", "--user", user, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_cli_memory_list_json_and_forget_one_key(cli, remembered):
    user, _ = remembered

    listed = {m["key"]: m for m in memory_json(cli, user)}

    assert {"genres:fantasy", "item:7"} <= set(listed)
    assert listed["genres:fantasy"]["kind"] == "like" and listed["item:7"]["text"] == "liked The Hobbit"
    assert all(set(m) == {"key", "kind", "text", "at"} and m["at"] > 0 for m in listed.values())

    out = cli("memory", "forget", "genres:fantasy", "--user", user)

    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"forgot 1 entry for {user}"
    again = cli("memory", "forget", "genres:fantasy", "--user", user)  # it is gone
    assert_one_error_line(again, rf"nothing remembered under 'genres:fantasy' for {user}")


def test_cli_memory_forget_all_is_for_that_user_only(cli, remembered):
    other, user = remembered

    out = cli("memory", "forget", "--all", "--user", user)

    assert out.returncode == 0, out.stderr
    n = int(re.fullmatch(rf"forgot (\d+) entries for {user}", out.stdout.strip()).group(1))
    assert n >= 2
    assert "nothing remembered for" in cli("memory", "list", "--user", user).stdout
    assert "item:7" in {m["key"] for m in memory_json(cli, other)}  # the other user's memory is untouched


@pytest.mark.parametrize("args", [("genres:fantasy", "--all"), ()], ids=["both", "neither"])
def test_cli_memory_forget_needs_a_key_or_all(cli, args):
    out = cli("memory", "forget", *args, "--user", "nobody-remembered")

    assert_one_error_line(out, r"give one KEY to forget, or --all")
