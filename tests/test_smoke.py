from recpilot.preferences import Constraint


def test_ask_returns_grounded_items_for_a_multi_constraint_request(agent, user_id):
    result = agent.ask("a fantasy novel from the 90s, nothing by Tolkien", user_id=user_id)
    assert len(result.items) == 5
    for item in result.items:
        book = agent.catalog.get(item.id)
        assert 1990 <= book.numeric["year"] <= 1999
        assert "fantasy" in book.categorical["genres"]
        assert "J.R.R. Tolkien" not in book.categorical["authors"]
    keys = {c.key for c in result.state.constraints}
    assert Constraint(field="genres", op="include", value="fantasy").key in keys
