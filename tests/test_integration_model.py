"""End to end on the real embedded model (SmolLM2 via llama.cpp) and the real chromadb store:
a four-turn conversation through ``recpilot ask --json``, one process per turn, over a private
copy of the demo home."""

from __future__ import annotations

import json
import sqlite3

import pytest

from recpilot.preferences import Constraint


def _check_items(result: dict, catalog, rejected: set[str]) -> None:
    """Every item exists, carries its catalog title, satisfies every hard constraint, and was never rejected."""
    constraints = [Constraint(**c) for c in result["state"]["constraints"]]
    assert result["items"], result["message"]
    for item in result["items"]:
        book = catalog.get(item["id"])
        assert item["title"] == book.title
        assert item["id"] not in rejected, f"rejected item {item['id']} came back"
        for c in constraints:
            assert c.satisfied_by(book), f"{item['id']} breaks {c.describe()}"
    assert result["usage"]["llm_calls"] <= 2, result["usage"]


@pytest.mark.model
@pytest.mark.slow
def test_model_conversation_over_four_processes(copy_demo_home, run_cli, demo_catalog):
    home = copy_demo_home()
    user = "model-user"

    def ask(text: str, session: str | None = None) -> dict:
        args = ["ask", text, "--json", "--user", user, *(["--session", session] if session else [])]
        out = run_cli(home, *args, timeout=300)  # the default backend: the embedded llama.cpp model
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.strip().splitlines()[-1])

    # 1. free text that no rule explains: the parser asks the model
    t1 = ask("a story about pirates, treasure maps and sea monsters")
    session = t1["session_id"]
    _check_items(t1, demo_catalog, set())
    with sqlite3.connect(home / "sessions.db") as db:
        parser_calls = db.execute(
            "SELECT model, prompt_tokens, completion_tokens, error FROM calls "
            "WHERE session_id = ? AND turn = 1 AND kind = 'llm' AND name = 'parser'", (session,)).fetchall()
    assert parser_calls, "the parser did not call the LLM on free text"
    assert all(model and prompt > 0 for model, prompt, _, _ in parser_calls)
    assert t1["usage"]["llm_calls"] >= 1 and t1["usage"]["prompt_tokens"] > 0

    # 2. hard constraints
    t2 = ask("only fantasy from the 90s", session)
    assert t2["session_id"] == session
    keys = {Constraint(**c).key for c in t2["state"]["constraints"]}
    assert {"genres:include:fantasy", "year:gte:1990", "year:lte:1999"} <= keys
    _check_items(t2, demo_catalog, set())

    # 3. reject the first one
    t3 = ask("not the first one", session)
    rejected = {t2["items"][0]["id"]}
    assert rejected <= {r["id"] for r in t3["state"]["rejected_items"]}
    _check_items(t3, demo_catalog, rejected)
    assert keys <= {Constraint(**c).key for c in t3["state"]["constraints"]}

    # 4. "restart": a fresh process resumes the same session from disk
    second = t3["items"][1]["id"]
    t4 = ask("more like the second one", session)
    assert second in {a["id"] for a in t4["state"]["anchors"]}
    _check_items(t4, demo_catalog, rejected)
    assert keys <= {Constraint(**c).key for c in t4["state"]["constraints"]}
    assert rejected <= {r["id"] for r in t4["state"]["rejected_items"]}

    state = run_cli(home, "state", "--session", session, "--json")
    assert state.returncode == 0, state.stderr
    assert json.loads(state.stdout) == t4["state"]
    sessions = json.loads(run_cli(home, "sessions", "--user", user, "--json").stdout)
    assert [(s["id"], s["turns"]) for s in sessions] == [(session, 4)]
