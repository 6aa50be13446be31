"""The chat page (Gradio): conversation, recommendation cards with feedback buttons, the
preference state as removable chips, a user name (long-term memory is per user) and sessions
that survive a reload (the session id lives in the page URL: ``?session=ID&user=NAME``).

Every handler goes through ``Service`` (the agent core) and never raises: a failure becomes
a polite line in the conversation, the traceback goes to the server log.
"""

from __future__ import annotations

import html
import logging
import re
import uuid

import gradio as gr

from recpilot.agent.loop import TurnTrace
from recpilot.agent.response import reason_for
from recpilot.agent.steps import ParseStep, PlanStep, ReplyStep, ToolStep, TurnResult
from recpilot.errors import UserError
from recpilot.memory.sessions import Session
from recpilot.ui.service import Service
from recpilot.ui.text import reply_markdown
from recpilot.ui.web_style import SYNC_URL_JS

log = logging.getLogger("recpilot.web")

GUEST = "guest"
MORE = "show me more"
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_TOOL_WORDS = {"search_items": "searching the catalog", "filter_items": "applying your constraints",
               "similar_items": "finding similar items", "rank_items": "ranking", "item_details": "looking it up",
               "recall_memory": "remembering earlier sessions"}
_MARKS = {"like": "liked", "accept": "liked", "more_like_this": "liked", "dislike": "disliked"}


class WebPage:
    """The handlers of the page, bound to one service."""

    def __init__(self, service: Service, login_required: bool = False):
        self.service = service
        self.catalog = service.agent.catalog
        self.login_required = login_required

    # --- views ----------------------------------------------------------------------------------
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
        return {"id": item.id, "title": item.title, "reason": reason, "attrs": attrs, "tags": tags[:3]}

    def view(self, session: Session, cards: list[dict] | None = None) -> dict:
        marks = {}
        for fb in session.feedback:
            marks[fb.item_id] = _MARKS.get(fb.kind, "")
        if cards is None:  # restoring: the last items shown, their reasons from the current state
            cards = [self.card(i, reason_for(self.catalog, self.catalog.get(i), session.state, []))
                     for i in session.last_shown if self.catalog.has(i)]
        return {"cards": cards, "marks": marks, "chips": session.state.chips()}

    def history(self, session: Session) -> list[dict]:
        out = []
        for t in session.turns:
            titles = [(self.catalog.get(i).title, "") for i in t.items if self.catalog.has(i)]
            out += [{"role": "user", "content": t.user},
                    {"role": "assistant", "content": reply_markdown(t.reply, titles, t.question)}]
        return out

    def transcript_reply(self, result: TurnResult) -> str:
        return reply_markdown(result.message, [(i.title, "") for i in result.items], result.question)

    # --- handlers -------------------------------------------------------------------------------
    def load(self, request: gr.Request):
        """Restores ``?session=`` for ``?user=`` (or the logged-in user)."""
        params = dict(request.query_params) if request else {}
        try:
            user = self._user(request, params.get("user") or GUEST)
        except UserError as exc:
            return GUEST, GUEST, "", [], _empty_view(), _oops(exc)
        sid = params.get("session", "")
        if not sid:
            return user, user, "", [], _empty_view(), _greeting(user)
        try:
            session = self.service.session(sid, user)
            restored = self.history(session), self.view(session)
        except UserError:
            return user, user, "", [], _empty_view(), (
                f"I could not find that conversation for **{html.escape(user)}** — let's start a new one.")
        except Exception as exc:
            return user, user, "", [], _empty_view(), _oops(exc)
        return user, user, session.id, *restored, (
            f"Welcome back, {html.escape(user)}. Your conversation is restored.")

    def send(self, text: str, user: str, owner: str, sid: str, history: list, view: dict, request: gr.Request):
        """A turn, with a status line per step while it runs (a generator: Gradio streams each yield)."""
        text = (text or "").strip()
        history = list(history or [])
        if not text:
            yield history, "", "Type a message first.", sid, owner, view
            return
        try:
            user = self._user(request, user)
            if sid and owner != user:
                sid = ""  # the name changed: a new conversation for the new name
            if not sid:
                sid = self.service.create_session(user).id
            history.append({"role": "user", "content": text})
            yield history, "", _working("Reading your message"), sid, user, view
            yield from self._turn(text, user, sid, history)
        except Exception as exc:
            sorry = _oops(exc)
            yield history + [{"role": "assistant", "content": sorry}], text, sorry, sid, owner, view

    def feedback(self, kind: str, item_id: str, user: str, sid: str, history: list, view: dict,
                 request: gr.Request):
        history = list(history or [])
        try:
            user = self._user(request, user)
            self.service.feedback(sid, user, item_id, kind)
            session = self.service.session(sid, user)
            title = self.catalog.get(item_id).title
            if kind == "more_like_this":
                yield history, _working(f"Looking for more like *{html.escape(title)}*"), sid, user, \
                    {**view, **self._marks_and_chips(session)}
                yield from self._rerun(user, sid, history)
                return
            word = {"like": "Noted: you like", "dislike": "Got it — I won't suggest"}[kind]
            yield history, f"{word} *{html.escape(title)}*.", sid, user, {**view, **self._marks_and_chips(session)}
        except Exception as exc:
            yield history, _oops(exc), sid, user, view

    def remove_chip(self, key: str, label: str, kind: str, user: str, sid: str, history: list, view: dict,
                    request: gr.Request):
        """Drops one entry of the state (a remembered one is forgotten for good; an earlier request
        set aside comes back instead), then recommends again."""
        history = list(history or [])
        try:
            user = self._user(request, user)
            if kind == "set_aside":
                self.service.edit_state(sid, user, restore=[key])
                done = f"Brought back “{html.escape(label.removeprefix('earlier: '))}”"
            elif kind == "remembered":
                self.service.edit_state(sid, user, forget=[key])
                done = f"Forgot “{html.escape(label.removeprefix('remembered: '))}”"
            else:
                self.service.edit_state(sid, user, remove=[key])
                done = f"Removed “{html.escape(label)}”"
            session = self.service.session(sid, user)
            yield history, _working(f"{done} — updating the recommendations"), sid, user, \
                {**view, **self._marks_and_chips(session)}
            yield from self._rerun(user, sid, history)
        except Exception as exc:
            yield history, _oops(exc), sid, user, view

    def new_session(self, user: str, request: gr.Request):
        user = self._user(request, user)
        return "", user, [], _empty_view(), _greeting(user)

    def rename(self, user: str, owner: str, sid: str, history: list, view: dict, request: gr.Request):
        """A different name is a different person: their own new conversation."""
        if self.login_required:
            return owner, owner, sid, history, view, gr.skip()
        typed = (user or "").strip() or GUEST
        if typed == owner:
            return typed, owner, sid, history, view, gr.skip()
        if not _NAME.match(typed):
            return owner, owner, sid, history, view, "Names may use letters, digits and . _ - @ (up to 64)."
        return typed, typed, "", [], _empty_view(), _greeting(typed)

    # --- helpers --------------------------------------------------------------------------------
    def _turn(self, text: str, user: str, sid: str, history: list):
        done: list[str] = []
        trace = TurnTrace()
        for step in self.service.turn(sid, user, text):
            line = _step_line(trace.add(step))
            if line:
                done.append(line)
            if not isinstance(step, ReplyStep):
                yield history, "", _working(" · ".join(done)), sid, user, gr.skip()
        result = trace.result
        history = history + [{"role": "assistant", "content": self.transcript_reply(result)}]
        session = self.service.session(sid, user)
        cards = [self.card(i.id, i.reason) for i in result.items] or None  # none: keep the last ones shown
        notes = "".join(f" ({html.escape(w)})" for w in result.warnings)
        took = _duration(result.usage.latency_ms)
        status = f"✓ {len(result.items)} recommendations in {took}{notes}" if result.items else \
            f"✓ answered in {took}{notes}"
        yield history, "", status, sid, user, self.view(session, cards)

    def _rerun(self, user: str, sid: str, history: list):
        """Recommends again from the edited state: a turn that asks for more, shown as such."""
        history = history + [{"role": "user", "content": MORE}]
        for h, _, status, s, u, v in self._turn(MORE, user, sid, history):
            yield h, status, s, u, v

    def _marks_and_chips(self, session: Session) -> dict:
        view = self.view(session, cards=[])
        return {"marks": view["marks"], "chips": view["chips"]}

    def _user(self, request: gr.Request | None, typed: str) -> str:
        if self.login_required and request is not None and getattr(request, "username", None):
            return request.username
        typed = (typed or "").strip() or GUEST
        if not _NAME.match(typed):
            raise UserError("names may use letters, digits and . _ - @ (up to 64 characters)")
        return typed


def _bind(handler, *fixed):
    """``handler`` with its first arguments fixed, as a generator function Gradio can inspect
    (it passes ``gr.Request`` by annotation)."""

    def run(user: str, sid: str, history: list, view: dict, request: gr.Request):
        yield from handler(*fixed, user, sid, history, view, request)

    return run


def _duration(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def _working(text: str) -> str:
    return f'<span class="rp-spin"></span> {text}…'


def _empty_view() -> dict:
    return {"cards": [], "marks": {}, "chips": []}


def _greeting(user: str) -> str:
    return (f"Hi {html.escape(user)}! Tell me what you're in the mood for — a genre, an author, "
            "a favourite, a year.")


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
        return f"{word} ({step.candidates})" if step.tool != "item_details" else word
    return "writing the answer"


def _card_html(card: dict, mark: str) -> str:
    title = html.escape(card["title"])
    attrs = " · ".join(html.escape(a) for a in card["attrs"])
    tags = "".join(f'<span class="rp-tag">{html.escape(t)}</span>' for t in card["tags"])
    badge = {"liked": '<span class="rp-badge rp-badge-liked">liked</span>',
             "disliked": '<span class="rp-badge rp-badge-disliked">won\'t suggest again</span>'}.get(mark, "")
    return (f'<div class="rp-card-body" data-item-id="{html.escape(card["id"])}">'
            f'<div class="rp-title">{title}</div><div class="rp-attrs">{attrs}</div>'
            f'<div class="rp-tags">{tags}</div><div class="rp-reason">{html.escape(card["reason"])}</div>'
            f"{badge}</div>")


def build_web(service: Service, login_required: bool = False) -> gr.Blocks:
    page = WebPage(service, login_required)
    catalog = service.agent.catalog
    with gr.Blocks(title="RecPilot", analytics_enabled=False) as demo:
        gr.HTML(f'<div class="rp-header"><span class="rp-logo">RecPilot</span>'
                f'<span class="rp-sub">{html.escape(service.agent.domain)} · {len(catalog):,} items · '
                f'catalog “{html.escape(catalog.name)}”</span></div>')
        owner = gr.State(GUEST)
        view = gr.State(_empty_view())
        user = gr.Textbox(GUEST, label="Your name (your taste is remembered per name)", elem_id="rp-user",
                          max_lines=1, interactive=not login_required, render=False)
        session_box = gr.Textbox("", label="Session", elem_id="rp-session", interactive=False, max_lines=1,
                                 render=False)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chat = gr.Chatbot(value=[], height=380, label="Conversation", elem_id="rp-chat",
                                  feedback_options=None, buttons=["copy"], layout="bubble",
                                  placeholder="Ask for something to read — e.g. *a funny fantasy novel, "
                                              "nothing by Pratchett*.")
                with gr.Row(elem_id="rp-input-row"):
                    msg = gr.Textbox(show_label=False, placeholder="Tell me what you're in the mood for…",
                                     scale=6, elem_id="rp-msg", max_lines=4, autofocus=True)
                    send = gr.Button("Send", variant="primary", scale=1, min_width=90, elem_id="rp-send")
                status = gr.Markdown(_greeting(GUEST), elem_id="rp-status")

            with gr.Column(scale=2, min_width=280):
                with gr.Group(elem_id="rp-who"):
                    user.render()
                    session_box.render()
                new = gr.Button("+ New session", elem_id="rp-new", size="sm")
                gr.HTML('<div class="rp-section">What I know about your taste</div>'
                        '<div class="rp-hint">Click a chip to remove it; recommendations update.</div>')

                @gr.render(inputs=[view])
                def chips(v):
                    items = (v or {}).get("chips") or []
                    if not items:
                        gr.HTML('<div class="rp-empty">Nothing yet — tell me what you like.</div>')
                        return
                    with gr.Row(elem_id="rp-chips"):
                        for chip in items:
                            btn = gr.Button(f"{chip['label']}  ✕", size="sm", min_width=20, scale=0,
                                            elem_classes=["rp-chip", f"rp-chip-{chip['kind']}"])
                            btn.click(
                                _bind(page.remove_chip, chip["key"], chip["label"], chip["kind"]),
                                inputs=[user, session_box, chat, view],
                                outputs=[chat, status, session_box, owner, view], show_progress="minimal")

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
                    with gr.Column(min_width=190, elem_classes=classes, elem_id=f"card-{c['id']}"):
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
                                    show_progress="minimal")

        sync_url = {"fn": None, "inputs": [session_box, user], "js": SYNC_URL_JS}
        for event in (send.click, msg.submit):
            event(page.send, inputs=[msg, user, owner, session_box, chat, view],
                  outputs=[chat, msg, status, session_box, owner, view],
                  show_progress="minimal").then(**sync_url)
        new.click(page.new_session, inputs=[user], outputs=[session_box, owner, chat, view, status]) \
            .then(**sync_url)
        for event in (user.submit, user.blur):
            event(page.rename, inputs=[user, owner, session_box, chat, view],
                  outputs=[user, owner, session_box, chat, view, status]).then(**sync_url)
        demo.load(page.load, inputs=None, outputs=[user, owner, session_box, chat, view, status]) \
            .then(**sync_url)
    demo.queue(default_concurrency_limit=16)
    return demo
