"""The chat page (Gradio): conversation, recommendation cards with feedback buttons, the
preference state as grouped removable chips, the user's past conversations, and sessions that
survive a reload (the session id lives in the page URL: ``?session=ID``).

Who the user is: the login when a token is set; else the name this browser chose, kept in its
local storage (a new browser gets its own anonymous id, never a shared one). A session link
shows its conversation only to the user it belongs to.

No message is lost: the page picks the session id before the first message, and every
message typed while a turn runs is sent at once and shown as waiting; the session lock runs
the turns in order. The conversation is always redrawn from the stored session plus the
messages still waiting, so two turns finishing never overwrite each other's lines.

Every handler goes through ``Service`` (the agent core) and never raises: a failure becomes
a polite line in the conversation, the traceback goes to the server log.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import threading
import time
import uuid
from pathlib import Path

import gradio as gr

from recpilot.agent.loop import TurnTrace
from recpilot.agent.response import reason_for
from recpilot.agent.steps import ParseStep, PlanStep, ReplyStep, ToolStep
from recpilot.errors import UserError
from recpilot.memory.sessions import Session
from recpilot.preferences import CHIP_GROUPS
from recpilot.ui.service import Service
from recpilot.ui.text import reply_markdown
from recpilot.ui.web_style import CLEAR_BOX_JS, SYNC_URL_JS

log = logging.getLogger("recpilot.web")

MORE = "show me more"
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_TOOL_WORDS = {"search_items": "searching the catalog", "filter_items": "applying your constraints",
               "similar_items": "finding similar items",
               "collaborative_items": "asking what people with your taste liked", "rank_items": "ranking",
               "item_details": "looking it up", "recall_memory": "remembering earlier sessions"}
_MARKS = {"like": "liked", "accept": "liked", "more_like_this": "liked", "dislike": "disliked"}
_FEEDBACK_WORDS = {"like": "👍 liked", "dislike": "👎 not for me:", "accept": "✓ chose"}
_IMAGE_FIELDS = ("image_url", "image", "cover", "cover_url", "poster", "poster_url", "thumbnail")
_GROUP_TITLES = {"wanted": "Wanted", "not wanted": "Not wanted", "liked": "Liked", "read": "Already read",
                 "remembered": "Remembered from before", "earlier": "Earlier requests"}
TYPING = '<span class="rp-typing" aria-label="RecPilot is typing"><i></i><i></i><i></i></span>'


def anonymous_id() -> str:
    return f"anon-{uuid.uuid4().hex[:10]}"


class WebPage:
    """The handlers of the page, bound to one service."""

    def __init__(self, service: Service, login_required: bool = False):
        self.service = service
        self.catalog = service.agent.catalog
        self.login_required = login_required
        self.examples = _examples(service.agent.domain)
        self._waiting: dict[str, list[tuple[str, str]]] = {}  # session -> (message id, text), oldest first
        self._waiting_lock = threading.Lock()
        schema = self.catalog.schema
        self.image_field = getattr(schema, "image", None) or next((f for f in _IMAGE_FIELDS if f in schema.keep), None)

    # --- views ----------------------------------------------------------------------------------
    def greeting(self, user: str) -> str:
        return _greeting(user, self.catalog.schema)

    def card(self, item_id: str, reason: str) -> dict:
        item = self.catalog.get(item_id)
        schema = self.catalog.schema
        attrs = []
        people = [v for f in schema.people for v in item.categorical.get(f, [])][:2]
        if people:
            attrs.append(", ".join(people))
        if schema.year and schema.year in item.numeric:
            attrs.append(str(int(item.numeric[schema.year])))
        if schema.rating and schema.rating in item.numeric:
            attrs.append(f"★ {item.numeric[schema.rating]:.2f}")
        tags = [v for f in schema.attribute_fields for v in item.categorical.get(f, [])[:3]]
        image = str(item.extra.get(self.image_field) or "") if self.image_field else ""
        return {"id": item.id, "title": item.title, "reason": reason, "attrs": attrs, "tags": tags[:3],
                "image": image if image.startswith(("https://", "http://")) else ""}

    def view(self, session: Session, cards: list[dict] | None = None) -> dict:
        marks = {}
        for fb in session.feedback:
            marks[fb.item_id] = _MARKS.get(fb.kind, "")
        if cards is None:  # restoring: the last items shown, their reasons from the current state
            cards = [self.card(i, reason_for(self.catalog, self.catalog.get(i), session.state, []))
                     for i in session.last_shown if self.catalog.has(i)]
        return {"cards": cards, "marks": marks, "chips": session.state.chips()}

    def history(self, session: Session) -> list[dict]:
        """The stored conversation: each turn (a click shows as the action it was, never as words
        the user did not type) and each like or dislike, in the order they happened."""
        events: list[tuple[float, list[dict]]] = []
        for t in session.turns:
            titles = [(self.catalog.get(i).title, "") for i in t.items if self.catalog.has(i)]
            answer = {"role": "assistant", "content": reply_markdown(t.reply, titles, t.question)}
            if t.action:
                events.append((t.at, [_action(t.action), answer]))
            else:
                events.append((t.at, [{"role": "user", "content": t.user}, answer]))
        for fb in session.feedback:
            if fb.kind in _FEEDBACK_WORDS and self.catalog.has(fb.item_id):
                events.append((fb.at, [_action(f"{_FEEDBACK_WORDS[fb.kind]} {self.catalog.get(fb.item_id).title}")]))
        return [m for _, lines in sorted(events, key=lambda e: e[0]) for m in lines]

    def live_history(self, sid: str, user: str, typing: bool = False) -> list[dict]:
        """The stored conversation, then the messages still waiting for their turn."""
        try:
            out = self.history(self.service.session(sid, user))
        except UserError:
            out = []
        with self._waiting_lock:
            waiting = list(self._waiting.get(sid, []))
        for n, (_, text) in enumerate(waiting):
            out.append({"role": "user", "content": text if n == 0 else f"{text}\n\n*waiting…*"})
        if typing or waiting:
            out.append({"role": "assistant", "content": TYPING})
        return out

    def refresh(self, sid: str, user: str, request: gr.Request):
        """The conversation as it stands now. Runs after every turn: two turns of one page finish
        in either order, and their last outputs may arrive in either order too; this redraw comes
        after both and shows the truth (no typing indicator once nothing is left to answer)."""
        try:
            return self.live_history(sid, self._user(request, user)) if sid else gr.skip()
        except UserError:
            return gr.skip()

    def past(self, user: str, request: gr.Request | None = None):
        """The user's earlier conversations, newest first, named by their first message."""
        try:
            user = self._user(request, user)
            rows = [s for s in self.service.list_sessions(user, 30) if s.turns]
        except Exception:
            return gr.update(choices=[], value=None)
        choices = []
        for row in rows:
            try:
                first = self.service.session(row.id, user).turns[0]
            except (UserError, IndexError):
                continue
            when = time.strftime("%d %b %H:%M", time.localtime(row.updated))
            words = first.action or first.user
            choices.append((f"{when} · {words[:48]}", row.id))
        return gr.update(choices=choices, value=None)

    # --- handlers -------------------------------------------------------------------------------
    def load(self, identity: dict | None, request: gr.Request):
        """Who this browser is, and ``?session=`` if it is theirs."""
        params = dict(request.query_params) if request else {}
        stored = (identity or {}).get("user") or ""
        user = self._login(request) or (stored if _NAME.match(stored or "") else "") or anonymous_id()
        remember = {"user": user}
        draft = uuid.uuid4().hex[:12]
        sid = params.get("session", "")
        if not sid:
            return remember, user, user, "", draft, [], _empty_view(), self.greeting(user)
        try:
            session = self.service.session(sid, user)
            restored = self.history(session), self.view(session)
        except UserError:
            # someone else's link, or a conversation that is gone: nothing of it is shown
            return remember, user, user, "", draft, [], _empty_view(), (
                "That conversation isn't one of yours, so it isn't shown here — let's start a new one.")
        except Exception as exc:
            return remember, user, user, "", draft, [], _empty_view(), _oops(exc)
        return remember, user, user, session.id, draft, *restored, "Welcome back. Your conversation is restored."

    def send(self, text: str, user: str, owner: str, sid: str, draft: str, history: list, view: dict,
             request: gr.Request):
        """A turn, with a status line per step while it runs (a generator: Gradio streams each yield)."""
        text = (text or "").strip()
        if not text:
            yield gr.skip(), gr.skip(), "Type a message first.", sid, owner, view
            return
        token = uuid.uuid4().hex
        try:
            user = self._user(request, user)
            if sid and owner != user:
                sid = ""  # the name changed: a new conversation for the new name
            sid = sid or draft or uuid.uuid4().hex[:12]
            self.service.check_utterance(text)
            self.service.ensure_session(sid, user)
            with self._waiting_lock:
                self._waiting.setdefault(sid, []).append((token, text))
            yield self.live_history(sid, user), gr.skip(), _working("Reading your message"), sid, user, gr.skip()
            yield from self._turn(text, user, sid, token=token)
        except Exception as exc:
            self._done(sid, token)
            sorry = _oops(exc)
            retry = f"{sorry} Your message is back in the box: press Send to try again."
            shown = self.live_history(sid, owner) if sid else list(history or [])
            yield shown + [{"role": "assistant", "content": retry}], text, sorry, sid, owner, view

    def feedback(self, kind: str, item_id: str, user: str, sid: str, history: list, view: dict,
                 request: gr.Request):
        try:
            user = self._user(request, user)
            title = self.catalog.get(item_id).title
            self.service.feedback(sid, user, item_id, kind)
            session = self.service.session(sid, user)
            if kind == "more_like_this":
                yield self.live_history(sid, user, typing=True), \
                    _working(f"Looking for more like *{html.escape(title)}*"), sid, user, \
                    {**view, **self._marks_and_chips(session)}
                yield from self._rerun(user, sid, f"🔎 more like {title}")
                return
            word = {"like": "Noted: you like", "dislike": "Got it — I won't suggest"}[kind]
            yield self.history(session), f"{word} *{html.escape(title)}*.", sid, user, \
                {**view, **self._marks_and_chips(session)}
        except Exception as exc:
            yield history, _oops(exc), sid, user, view

    def remove_chip(self, key: str, label: str, kind: str, user: str, sid: str, history: list, view: dict,
                    request: gr.Request):
        """Drops one entry of the state (a remembered one is forgotten for good; an earlier request
        set aside comes back instead), then recommends again."""
        try:
            user = self._user(request, user)
            if kind == "set_aside":
                self.service.edit_state(sid, user, restore=[key])
                done = f"↩ brought back: {label.removeprefix('earlier: ')}"
            elif kind == "remembered":
                self.service.edit_state(sid, user, forget=[key])
                done = f"🗑 forgot: {label.removeprefix('remembered: ')}"
            else:
                self.service.edit_state(sid, user, remove=[key])
                done = f"✕ removed: {label}"
            session = self.service.session(sid, user)
            yield self.live_history(sid, user, typing=True), _working(f"{html.escape(done)} — updating the "
                                                                      "recommendations"), \
                sid, user, {**view, **self._marks_and_chips(session)}
            yield from self._rerun(user, sid, done)
        except Exception as exc:
            yield history, _oops(exc), sid, user, view

    def new_session(self, user: str, request: gr.Request):
        """A fresh conversation (the ➕ button and the chat's clear button alike)."""
        user = self._user(request, user)
        return "", uuid.uuid4().hex[:12], user, [], _empty_view(), self.greeting(user)

    def open_session(self, picked: str | None, user: str, request: gr.Request):
        """Reopens one of the user's past conversations."""
        if not picked:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        try:
            user = self._user(request, user)
            session = self.service.session(picked, user)
        except UserError as exc:
            return gr.skip(), gr.skip(), gr.skip(), _oops(exc)
        return session.id, self.history(session), self.view(session), "Conversation reopened."

    def rename(self, user: str, owner: str, sid: str, history: list, view: dict, request: gr.Request):
        """A different name is a different person: their own new conversation."""
        if self.login_required:
            return owner, owner, {"user": owner}, sid, history, view, gr.skip()
        typed = (user or "").strip() or owner
        if typed == owner:
            return typed, owner, {"user": owner}, sid, history, view, gr.skip()
        if not _NAME.match(typed):
            return owner, owner, {"user": owner}, sid, history, view, \
                "Names may use letters, digits and . _ - @ (up to 64)."
        return typed, typed, {"user": typed}, "", [], _empty_view(), self.greeting(typed)

    # --- helpers --------------------------------------------------------------------------------
    def _turn(self, text: str, user: str, sid: str, token: str | None = None, action: str | None = None):
        done: list[str] = []
        trace = TurnTrace()
        try:
            for step in self.service.turn(sid, user, text, action=action):
                if token and not trace.steps:
                    self._running(sid, token)  # this message holds the session now
                line = _step_line(trace.add(step))
                if line:
                    done.append(line)
                if not isinstance(step, ReplyStep):
                    yield self.live_history(sid, user, typing=True), gr.skip(), _working(" · ".join(done)), sid, \
                        user, gr.skip()
        finally:
            if token:
                self._done(sid, token)
        result = trace.result
        session = self.service.session(sid, user)
        cards = [self.card(i.id, i.reason) for i in result.items] or None  # none: keep the last ones shown
        notes = "".join(f" ({html.escape(w)})" for w in result.warnings)
        took = _duration(result.usage.latency_ms)
        status = f"✓ {len(result.items)} recommendations in {took}{notes}" if result.items else \
            f"✓ answered in {took}{notes}"
        yield self.live_history(sid, user), gr.skip(), status, sid, user, self.view(session, cards)

    def _rerun(self, user: str, sid: str, action: str):
        """Recommends again from the edited state; the conversation shows the click, not words."""
        for h, _, status, s, u, v in self._turn(MORE, user, sid, action=action):
            yield h, status, s, u, v

    def _running(self, sid: str, token: str) -> None:
        with self._waiting_lock:
            queue = self._waiting.get(sid, [])
            mine = [m for m in queue if m[0] == token]
            self._waiting[sid] = mine + [m for m in queue if m[0] != token]

    def _done(self, sid: str, token: str) -> None:
        with self._waiting_lock:
            queue = [m for m in self._waiting.get(sid, []) if m[0] != token]
            if queue:
                self._waiting[sid] = queue
            else:
                self._waiting.pop(sid, None)

    def _marks_and_chips(self, session: Session) -> dict:
        view = self.view(session, cards=[])
        return {"marks": view["marks"], "chips": view["chips"]}

    def _login(self, request: gr.Request | None) -> str | None:
        if self.login_required and request is not None and getattr(request, "username", None):
            return request.username
        return None

    def _user(self, request: gr.Request | None, typed: str) -> str:
        login = self._login(request)
        if login:
            return login
        typed = (typed or "").strip()
        if not _NAME.match(typed):
            raise UserError("names may use letters, digits and . _ - @ (up to 64 characters)")
        return typed


def _bind(handler, *fixed):
    """``handler`` with its first arguments fixed, as a generator function Gradio can inspect
    (it passes ``gr.Request`` by annotation)."""

    def run(user: str, sid: str, history: list, view: dict, request: gr.Request):
        yield from handler(*fixed, user, sid, history, view, request)

    return run


def _picked(evt: gr.SelectData) -> str:
    """The text of the example prompt clicked on the empty chat."""
    return evt.value["text"] if isinstance(evt.value, dict) else str(evt.value)


def _action(text: str) -> dict:
    return {"role": "assistant", "content": f'<span class="rp-action">{html.escape(text)}</span>'}


def _examples(domain: str) -> list[str]:
    if "book" in domain:
        return ["A cozy mystery set in a small village", "Just finished Gone Girl and couldn't put it down",
                "A funny fantasy novel, nothing by Pratchett", "Something uplifting for a long flight"]
    if "movie" in domain:
        return ["A scary movie like Insidious", "A feel-good comedy from the 90s",
                "Something like Inception but less confusing"]
    return ["Something popular to start with", "Show me something highly rated"]


def _duration(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def _working(text: str) -> str:
    return f'<span class="rp-spin" aria-hidden="true"></span> {text}…'


def _empty_view() -> dict:
    return {"cards": [], "marks": {}, "chips": []}


def _greeting(user: str, schema) -> str:
    """Hello, naming what this catalog lets a person ask by: an author only where items have
    people ("authors" -> "an author", "directors" -> "a director")."""
    name = "" if user.startswith("anon-") else f" {html.escape(user)}"
    asks = ["a genre"] if schema.attribute_fields else []
    if schema.people:
        person = schema.people[0].lower().rstrip("s").replace("_", " ")
        asks.append(f"{'an' if person[:1] in 'aeiou' else 'a'} {person}")
    asks.append("a favourite")
    if schema.year:
        asks.append("a year")
    return f"Hi{name}! Tell me what you're in the mood for — {', '.join(asks)}."


def _oops(exc: Exception) -> str:
    if isinstance(exc, UserError):
        return f"Sorry — {html.escape(str(exc))}."
    ref = uuid.uuid4().hex[:8]
    log.error("web handler failed (reference %s)", ref, exc_info=exc)
    return (f"Sorry, something went wrong on our side (reference {ref}). "
            "Your conversation is saved — please try again.")


def _step_line(step) -> str | None:
    if isinstance(step, ParseStep):
        return "understood"
    if isinstance(step, PlanStep):
        return None
    if isinstance(step, ToolStep):
        word = _TOOL_WORDS.get(step.tool, step.tool)
        counted = step.tool not in ("item_details", "recall_memory")  # a count means candidates
        return f"{word} ({step.candidates})" if counted else word
    return "writing the answer"


def _card_html(card: dict, mark: str) -> str:
    title = html.escape(card["title"])
    attrs = " · ".join(html.escape(a) for a in card["attrs"])
    tags = "".join(f'<span class="rp-tag">{html.escape(t)}</span>' for t in card["tags"])
    badge = {"liked": '<span class="rp-badge rp-badge-liked">liked</span>',
             "disliked": '<span class="rp-badge rp-badge-disliked">won\'t suggest again</span>'}.get(mark, "")
    # the cover lies over a placeholder (the title's initials): an image that does not load, with
    # an empty alt, draws nothing, and the placeholder shows
    initials = html.escape("".join(w[0] for w in card["title"].split()[:2] if w[:1].isalnum()).upper() or "·")
    image = card.get("image", "")
    img = (f'<img src="{html.escape(image)}" alt="" loading="lazy" referrerpolicy="no-referrer" '
           'onerror="this.remove()">') if image else ""
    cover = f'<div class="rp-cover" aria-hidden="true"><span>{initials}</span>{img}</div>'
    return (f'<div class="rp-card-body" data-item-id="{html.escape(card["id"])}">{cover}'
            f'<div class="rp-title">{title}</div><div class="rp-attrs">{attrs}</div>'
            f'<div class="rp-tags">{tags}</div><div class="rp-reason">{html.escape(card["reason"])}</div>'
            f"{badge}</div>")


def _browser_secret(service: Service) -> str:
    """A stable key for the browser-stored identity, so a server restart keeps every browser's id."""
    path = Path(service.settings.home) / "web-secret"
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(uuid.uuid4().hex + uuid.uuid4().hex)
            path.chmod(0o600)
        return path.read_text().strip()
    except OSError:  # a read-only home: identities last until the server restarts
        return hashlib.sha256(str(path).encode()).hexdigest()


def build_web(service: Service, login_required: bool = False) -> gr.Blocks:
    page = WebPage(service, login_required)
    catalog = service.agent.catalog
    with gr.Blocks(title="RecPilot", analytics_enabled=False) as demo:
        gr.HTML(f'<div class="rp-header"><span class="rp-logo">RecPilot</span>'
                f'<span class="rp-sub">{html.escape(service.agent.domain)} · {len(catalog):,} items · '
                f'catalog “{html.escape(catalog.name)}”</span></div>')
        identity = gr.BrowserState({"user": ""}, storage_key="recpilot-identity", secret=_browser_secret(service))
        owner = gr.State("")
        draft = gr.State("")
        view = gr.State(_empty_view())
        user = gr.Textbox("", label="Your name (your taste is remembered per name)", elem_id="rp-user",
                          max_lines=1, interactive=not login_required, render=False)
        session_box = gr.Textbox("", label="Session", elem_id="rp-session", interactive=False, max_lines=1,
                                 render=False)
        with gr.Row(equal_height=False, elem_id="rp-main"):
            with gr.Column(scale=3, min_width=320, elem_id="rp-left"):
                chat = gr.Chatbot(value=[], height=380, label="Conversation", elem_id="rp-chat",
                                  feedback_options=None, buttons=["copy"], layout="bubble",
                                  examples=[{"text": t} for t in page.examples], sanitize_html=True,
                                  placeholder="Ask for something — or pick an example below.")
                with gr.Row(elem_id="rp-input-row"):
                    msg = gr.Textbox(show_label=False, placeholder="What are you in the mood for?",
                                     scale=6, elem_id="rp-msg", max_lines=4, autofocus=True,
                                     label="Your message")
                    send = gr.Button("Send", variant="primary", scale=1, min_width=80, elem_id="rp-send")
                status = gr.Markdown(page.greeting(""), elem_id="rp-status")
                gr.HTML('<div class="rp-section">Recommendations</div>')

                @gr.render(inputs=[view])
                def cards(v):
                    if not v or not v.get("cards"):
                        gr.HTML('<div class="rp-empty">Recommendations will appear here.</div>')
                        return
                    with gr.Row(elem_id="rp-cards", equal_height=True):
                        for c in v["cards"]:
                            mark = v.get("marks", {}).get(c["id"], "")
                            classes = ["rp-card"] + ([f"rp-{mark}"] if mark else [])
                            with gr.Column(min_width=170, elem_classes=classes, elem_id=f"card-{c['id']}"):
                                gr.HTML(_card_html(c, mark))
                                with gr.Row(elem_classes=["rp-actions"]):
                                    for kind, label in (("like", "Like"), ("dislike", "Dislike"),
                                                        ("more_like_this", "More like this")):
                                        btn = gr.Button(label, size="sm", min_width=40,
                                                        elem_id=f"{kind}-{c['id']}", elem_classes=[f"rp-{kind}"])
                                        btn.click(
                                            _bind(page.feedback, kind, c["id"]),
                                            inputs=[user, session_box, chat, view],
                                            outputs=[chat, status, session_box, owner, view],
                                            show_progress="hidden")

            with gr.Column(scale=2, min_width=260, elem_id="rp-right"):
                with gr.Group(elem_id="rp-who"):
                    user.render()
                    session_box.render()
                with gr.Row():
                    new = gr.Button("+ New conversation", elem_id="rp-new", size="sm")
                past = gr.Dropdown(choices=[], value=None, label="Past conversations", elem_id="rp-past",
                                   interactive=True)
                gr.HTML('<div class="rp-section">What I know about your taste</div>'
                        '<div class="rp-hint">Click a chip to remove it; recommendations update.</div>')

                @gr.render(inputs=[view])
                def chips(v):
                    items = (v or {}).get("chips") or []
                    if not items:
                        gr.HTML('<div class="rp-empty">Nothing yet — tell me what you like.</div>')
                        return
                    for group in CHIP_GROUPS:
                        members = [c for c in items if c.get("group", "wanted") == group]
                        if not members:
                            continue
                        gr.HTML(f'<div class="rp-group">{_GROUP_TITLES[group]}</div>')
                        with gr.Row(elem_classes=["rp-chips"]):
                            for chip in members:
                                btn = gr.Button(f"{chip['label']}  ✕", size="sm", min_width=20, scale=0,
                                                elem_classes=["rp-chip", f"rp-chip-{chip['kind']}"])
                                btn.click(
                                    _bind(page.remove_chip, chip["key"], chip["label"], chip["kind"]),
                                    inputs=[user, session_box, chat, view],
                                    outputs=[chat, status, session_box, owner, view], show_progress="hidden")

        # no progress trackers: their live region read "common.complete" to screen readers; the
        # status line and the typing indicator say what is happening
        sync_url = {"fn": None, "inputs": [session_box, user], "js": SYNC_URL_JS, "show_progress": "hidden"}
        refresh_past = {"fn": page.past, "inputs": [user], "outputs": [past], "show_progress": "hidden"}
        # the box is emptied in the browser the moment a message is sent, never by the server (a
        # late answer would wipe what the user has started typing since)
        turn_io = {"inputs": [msg, user, owner, session_box, draft, chat, view],
                   "outputs": [chat, msg, status, session_box, owner, view], "show_progress": "hidden",
                   "js": CLEAR_BOX_JS,
                   "trigger_mode": "multiple"}
        redraw = {"fn": page.refresh, "inputs": [session_box, user], "outputs": [chat], "show_progress": "hidden"}
        for event in (send.click, msg.submit):
            event(page.send, **turn_io).then(**redraw).then(**sync_url).then(**refresh_past)
        chat.example_select(_picked, inputs=None, outputs=[msg], show_progress="hidden") \
            .then(page.send, **turn_io).then(**redraw).then(**sync_url).then(**refresh_past)
        for event in (new.click, chat.clear):
            event(page.new_session, inputs=[user], outputs=[session_box, draft, owner, chat, view, status],
                  show_progress="hidden") \
                .then(**sync_url).then(**refresh_past)
        past.input(page.open_session, inputs=[past, user], outputs=[session_box, chat, view, status],
                   show_progress="hidden") \
            .then(**sync_url)
        for event in (user.submit, user.blur):
            event(page.rename, inputs=[user, owner, session_box, chat, view],
                  outputs=[user, owner, identity, session_box, chat, view, status],
                  show_progress="hidden").then(**sync_url) \
                .then(**refresh_past)
        demo.load(page.load, inputs=[identity],
                  outputs=[identity, user, owner, session_box, draft, chat, view, status],
                  show_progress="hidden") \
            .then(**sync_url).then(**refresh_past)
    demo.queue(default_concurrency_limit=16)
    return demo
