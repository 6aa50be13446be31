"""The chat page: its handlers directly (fast), then a real Chromium against ``recpilot serve``."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest
from conftest import REPO, make_agent

from recpilot.ui.service import Service
from recpilot.ui.web import WebPage

ARTIFACTS = REPO / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def page_handlers(demo_settings):
    return WebPage(Service(make_agent(demo_settings)))


def _user() -> str:
    return f"web-{uuid.uuid4().hex[:8]}"


# --- handlers, no browser -------------------------------------------------------------------------
def _draft() -> str:
    return uuid.uuid4().hex[:12]


def test_web_send_shows_progress_and_typing_before_the_answer(page_handlers, demo_catalog):
    user = _user()
    steps = list(page_handlers.send("a fantasy novel from the 90s", user, user, "", _draft(), [], {}, None))
    statuses = [s[2] for s in steps]
    assert "Reading your message" in statuses[0] and "rp-spin" in statuses[0]
    assert any("searching the catalog" in s or "applying your constraints" in s for s in statuses[1:-1])
    assert any("rp-typing" in s[0][-1]["content"] for s in steps[1:-1])  # the typing indicator
    history, _, final, sid, owner, view = steps[-1]
    assert final.startswith("✓ 5 recommendations") and sid and owner == user
    assert [m["role"] for m in history] == ["user", "assistant"] and "rp-typing" not in history[-1]["content"]
    assert len(view["cards"]) == 5 and all(demo_catalog.has(c["id"]) and c["reason"] for c in view["cards"])
    assert {c["kind"] for c in view["chips"]} == {"constraint"}


def test_web_two_quick_messages_both_arrive_in_one_session_in_order(page_handlers):
    """The second message is sent while the first turn runs: both are answered, nothing lost."""
    user, draft = _user(), _draft()
    first = page_handlers.send("a fantasy novel", user, user, "", draft, [], {}, None)
    next(first)  # the first message is on its way (shown, its turn not finished)
    second = page_handlers.send("from the 90s", user, user, "", draft, [], {}, None)
    shown, *_ = next(second)
    assert [m["content"].split("\n")[0] for m in shown if m["role"] == "user"] == ["a fantasy novel",
                                                                                  "from the 90s"]
    assert "waiting" in shown[-2]["content"]
    *_, last_first = list(first)
    *_, last_second = list(second)
    sid = last_second[3]
    assert last_first[3] == sid == draft
    turns = page_handlers.service.session(sid, user).turns
    assert [t.user for t in turns] == ["a fantasy novel", "from the 90s"]
    assert [m["role"] for m in last_second[0]] == ["user", "assistant", "user", "assistant"]


def test_web_feedback_and_chip_removal_show_as_actions_not_as_user_messages(page_handlers):
    user = _user()
    *_, (history, _, _, sid, _, view) = page_handlers.send("a horror novel from after 2000", user, user, "",
                                                           _draft(), [], {}, None)
    gone = view["cards"][0]["id"]
    *_, (history, status, _, _, view) = page_handlers.feedback("dislike", gone, user, sid, history, view, None)
    assert view["marks"][gone] == "disliked" and f"item:{gone}" in [c["key"] for c in view["chips"]]
    assert "not for me" in history[-1]["content"] and history[-1]["role"] == "assistant"
    key = next(c for c in view["chips"] if c["label"] == "genres is horror")
    *_, (history, status, _, _, view) = page_handlers.remove_chip(key["key"], key["label"], key["kind"], user, sid,
                                                                  history, view, None)
    assert status.startswith("✓") and "genres is horror" not in [c["label"] for c in view["chips"]]
    assert gone not in [c["id"] for c in view["cards"]]
    assert [m["content"] for m in history if m["role"] == "user"] == ["a horror novel from after 2000"]
    assert "removed: genres is horror" in history[-2]["content"]


def test_web_a_session_link_shows_nothing_to_another_browser(page_handlers):
    owner = _user()
    *_, (_, _, _, sid, _, _) = page_handlers.send("a cozy mystery", owner, owner, "", _draft(), [], {}, None)

    class Request:
        query_params = {"session": sid, "user": owner}  # the link names the owner: that proves nothing
        username = None

    identity, user, _, shown_sid, _, chat, view, status = page_handlers.load({}, Request())
    assert user.startswith("anon-") and identity == {"user": user} and user != owner
    assert shown_sid == "" and chat == [] and view["cards"] == [] and "isn't one of yours" in status
    *_, restored_chat, restored_view, status = page_handlers.load({"user": owner}, Request())
    assert restored_chat and restored_view["cards"] and "Welcome back" in status


def test_web_each_new_browser_gets_its_own_anonymous_id(page_handlers):
    class Request:
        query_params: dict = {}
        username = None

    first = page_handlers.load(None, Request())[1]
    second = page_handlers.load({}, Request())[1]
    assert first.startswith("anon-") and second.startswith("anon-") and first != second


def test_web_failures_become_polite_messages_with_the_text_kept_for_a_retry(page_handlers, monkeypatch):
    user = _user()

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(page_handlers.service.agent, "turn", boom)
    *_, (history, text, status, *_rest) = page_handlers.send("anything", user, user, "", _draft(), [], {}, None)
    assert "something went wrong on our side" in status and "secret" not in status and text == "anything"
    assert history[-1]["role"] == "assistant" and "Traceback" not in history[-1]["content"]
    assert "press Send to try again" in history[-1]["content"]
    *_, (history, _, status, *_rest) = page_handlers.send("a" * 5000, user, user, "", _draft(), [], {}, None)
    assert "the limit is 4000" in status
    assert "letters, digits" in list(page_handlers.send("hi", "bad name!", "x", "", _draft(), [], {}, None))[-1][2]


# --- a real browser against a real server ---------------------------------------------------------
@pytest.fixture(scope="module")
def web_server(copy_demo_home, start_server):
    return start_server(copy_demo_home())


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield b
        b.close()


def _open(browser, url: str, user: str | None = None, width: int = 1360, height: int = 1000):
    """A new browser (its own storage) on ``url``; with ``user``, that name is typed into the name box."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(30000)
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    start = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_function("() => { const f = document.querySelector('#rp-user input, #rp-user textarea');"
                           " return f && f.value.length > 0; }")  # the page's load event has run
    took = time.perf_counter() - start
    if user:
        box = page.locator("#rp-user input, #rp-user textarea").first
        box.fill(user)
        box.press("Enter")
        page.wait_for_function("u => document.querySelector('#rp-status').innerText.includes(u)", arg=user)
    return page, took


def _name(page) -> str:
    return page.locator("#rp-user input, #rp-user textarea").first.input_value()


def _card_ids(page) -> list[str]:
    return page.locator(".rp-card-body").evaluate_all("els => els.map(e => e.dataset.itemId)")


def _chips(page) -> list[str]:
    return [t.replace("✕", "").strip() for t in page.locator(".rp-chip").all_inner_texts()]


def _send(page, text: str) -> list[str]:
    before = ",".join(_card_ids(page))
    page.locator("#rp-msg textarea").fill(text)
    page.locator("#rp-send").click()
    _answered(page, before)
    return _card_ids(page)


def _answered(page, cards_before: str) -> None:
    """Waits until no turn runs (no typing indicator) and the cards changed."""
    page.wait_for_function("() => document.querySelector('#rp-chat .rp-typing') === null"
                           " && document.querySelector('#rp-status').innerText.includes('✓')", timeout=60000)
    page.wait_for_function("prev => { const ids = [...document.querySelectorAll('.rp-card-body')]"
                           ".map(e => e.dataset.itemId); return ids.length > 0 && ids.join() !== prev; }",
                           arg=cards_before)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_web_conversation_dislike_and_reload(web_server, browser, demo_catalog):
    ARTIFACTS.mkdir(exist_ok=True)
    assert f"RecPilot on {web_server.url}/" in web_server.log.read_text()  # `recpilot serve` prints its URL
    user = _user()
    page, load_s = _open(browser, f"{web_server.url}/", user)
    print(f"\npage first load (to interactive): {load_s:.2f} s")

    first = _send(page, "a fantasy novel from the 90s")
    second = _send(page, "something funny")
    assert len(first) == 5 and len(second) == 5 and not set(first) & set(second)
    assert all(demo_catalog.has(i) for i in first + second)
    assert page.locator(".rp-card .rp-title").first.inner_text() == demo_catalog.get(second[0]).title
    page.screenshot(path=str(ARTIFACTS / "web-1-cards.png"), full_page=True)

    gone = second[0]
    label = f"not {demo_catalog.get(gone).title}"
    assert label not in _chips(page)
    page.locator(f"#dislike-{gone}").click()
    page.wait_for_function("l => [...document.querySelectorAll('.rp-chip')].some(c => c.innerText.includes(l))",
                           arg=label)
    # the chips and the cards are separate Gradio outputs, rendered one after the other
    page.wait_for_selector(f"#card-{gone}.rp-disliked", timeout=15000)
    assert page.locator(f"#card-{gone}.rp-disliked").count() == 1
    page.screenshot(path=str(ARTIFACTS / "web-2-disliked.png"), full_page=True)
    for text in ("show me more", "more fantasy"):
        assert gone not in _send(page, text)

    assert "session=" in page.url
    sid = page.locator("#rp-session input, #rp-session textarea").input_value()
    state = httpx.get(f"{web_server.url}/v1/sessions/{sid}", headers={"X-User-Id": user}).json()
    assert [t["user"] for t in state["turns"]] == ["a fantasy novel from the 90s", "something funny",
                                                   "show me more", "more fantasy"]

    page.reload(wait_until="domcontentloaded")
    page.wait_for_function("() => document.querySelectorAll('#rp-chat .message').length >= 8")
    page.wait_for_function("l => [...document.querySelectorAll('.rp-chip')].some(c => c.innerText.includes(l))",
                           arg=label)
    assert page.locator("#rp-session input, #rp-session textarea").input_value() == sid
    assert "Welcome back" in page.locator("#rp-status").inner_text()
    assert _card_ids(page) and gone not in _card_ids(page)
    page.screenshot(path=str(ARTIFACTS / "web-3-reloaded.png"), full_page=True)
    assert page.errors == []
    page.close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_web_chip_removal_and_new_session(web_server, browser):
    user = _user()
    page, _ = _open(browser, f"{web_server.url}/", user)
    cards = _send(page, "a horror novel from after 2000")
    assert "genres is horror" in _chips(page)
    page.locator(".rp-chip", has_text="genres is horror").click()
    page.wait_for_function("() => ![...document.querySelectorAll('.rp-chip')].some(c => c.innerText.includes('horror'))")
    page.wait_for_function("prev => { const ids = [...document.querySelectorAll('.rp-card-body')]"
                           ".map(e => e.dataset.itemId); return ids.length > 0 && ids.join() !== prev; }",
                           arg=",".join(cards))
    sid = page.locator("#rp-session input, #rp-session textarea").input_value()
    chips = httpx.get(f"{web_server.url}/v1/sessions/{sid}/state", headers={"X-User-Id": user}).json()["chips"]
    assert "genres is horror" not in [c["label"] for c in chips] and chips
    page.screenshot(path=str(ARTIFACTS / "web-4-chip-removed.png"), full_page=True)

    page.locator("#rp-new").click()
    page.wait_for_function("() => document.querySelectorAll('#rp-chat .message').length === 0")
    assert page.locator("#rp-session input, #rp-session textarea").input_value() == ""
    assert "session=" not in page.url
    _send(page, "a thriller")
    assert page.locator("#rp-session input, #rp-session textarea").input_value() not in ("", sid)
    assert page.errors == []
    page.close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_web_a_message_typed_during_a_turn_arrives_and_clicks_are_not_user_messages(web_server, browser):
    page, _ = _open(browser, f"{web_server.url}/")
    user = _name(page)
    assert user.startswith("anon-")
    page.locator("#rp-msg textarea").fill("a horror novel from after 2000")
    page.locator("#rp-send").click()
    # no wait: the second message goes while the first turn runs (or has just begun)
    page.locator("#rp-msg textarea").fill("nothing by Stephen King")
    page.locator("#rp-msg textarea").press("Enter")
    _answered(page, "")
    page.wait_for_function("() => document.querySelector('#rp-chat').innerText.includes('Stephen King')"
                           " && document.querySelector('#rp-chat .rp-typing') === null", timeout=60000)
    sid = page.locator("#rp-session input, #rp-session textarea").input_value()
    turns = httpx.get(f"{web_server.url}/v1/sessions/{sid}", headers={"X-User-Id": user}).json()["turns"]
    assert [t["user"] for t in turns] == ["a horror novel from after 2000", "nothing by Stephen King"]
    # the second turn is stored before its last output reaches the page: a click now would race it
    page.wait_for_function("ids => [...document.querySelectorAll('.rp-card-body')]"
                           ".map(e => e.dataset.itemId).join() === ids", arg=",".join(turns[-1]["items"]))

    before = ",".join(_card_ids(page))
    page.locator(".rp-chip", has_text="genres is horror").click()
    _answered(page, before)
    chat = page.locator("#rp-chat").inner_text()
    assert "removed: genres is horror" in chat and "show me more" not in chat
    labels = [c.replace("✕", "").strip() for c in page.locator(".rp-chip").all_inner_texts()]
    assert len(labels) == len(set(labels)) and "genres is horror" not in labels
    assert page.errors == []
    page.close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_web_two_anonymous_browsers_share_nothing_and_a_link_borrows_nothing(web_server, browser):
    first, _ = _open(browser, f"{web_server.url}/")
    _send(first, "I love horror, something by Stephen King")
    sid = first.locator("#rp-session input, #rp-session textarea").input_value()
    second, _ = _open(browser, f"{web_server.url}/?session={sid}&user={_name(first)}")
    assert _name(second).startswith("anon-") and _name(second) != _name(first)
    assert second.locator("#rp-chat .message").count() == 0 and _card_ids(second) == []
    assert "isn't one of yours" in second.locator("#rp-status").inner_text()
    _send(second, "a cozy mystery")
    assert not [c for c in _chips(second) if "horror" in c or "King" in c]
    first.close()
    second.close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_web_narrow_screen_keeps_every_chip_reachable_and_cards_after_the_chat(web_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page, _ = _open(browser, f"{web_server.url}/", width=400, height=800)
    _send(page, "a fantasy novel from the 90s by an author like Robert Jordan, nothing by J.R.R. Tolkien")
    _send(page, "something like Harry Potter and the Sorcerer's Stone but with dragons")
    for chip in page.locator(".rp-chip").all():
        box = chip.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 400, chip.inner_text()
    chat_box = page.locator("#rp-chat").bounding_box()
    cards_box = page.locator("#rp-cards").bounding_box()
    chips_box = page.locator(".rp-chip").first.bounding_box()
    assert chat_box["y"] < cards_box["y"] < chips_box["y"]  # conversation, then cards, then the taste panel
    page.screenshot(path=str(ARTIFACTS / "web-400px.png"), full_page=True)
    page.close()
    wide, _ = _open(browser, f"{web_server.url}/", width=1400, height=1000)
    _send(wide, "a fantasy novel from the 90s")
    wide.screenshot(path=str(ARTIFACTS / "web-1400px.png"), full_page=True)
    assert httpx.get(f"{web_server.url}/favicon.ico").status_code == 200
    assert httpx.get(f"{web_server.url}/manifest.json").json()["name"] == "RecPilot"
    wide.close()
