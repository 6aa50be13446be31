"""Composing the reply: the items that pass the final check, and what to say about them.

The items come from ``response.select_items`` (in the catalog, not rejected, every hard
constraint holds); the words come from the plan's kind of answer. Whatever the parser could
not apply ("'under 300 pages' ignored: the catalog has no such field") is said plainly.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from recpilot.agent.parser import ParseResult
from recpilot.agent.reply_text import (
    item_answer,
    recommendation_message,
    request_phrase,
    unapplied_sentence,
)
from recpilot.agent.response import blocking_constraint, lead_in, select_items
from recpilot.agent.steps import Plan, RecommendedItem
from recpilot.llm.base import LLMCall
from recpilot.preferences import PreferenceState
from recpilot.tools.context import ToolContext

#: LLM calls one turn may make: the parser's (a retry included) and the reply's lead-in together.
MAX_LLM_CALLS_PER_TURN = 2


@dataclass
class Reply:
    message: str
    items: list[RecommendedItem] = field(default_factory=list)
    question: str | None = None
    focus: str | None = None  # the item this turn was about (asked, chosen)
    dropped: list[str] = field(default_factory=list)
    llm_calls: list[LLMCall] = field(default_factory=list)


def compose(agent, session, utterance: str, parsed: ParseResult, plan: Plan, tctx: ToolContext,
            details: dict | None, k: int, new_request: bool = False) -> Reply:
    kind = plan.respond_with
    if kind == "recommendations":
        return _recommendations(agent, session, utterance, parsed, plan, tctx, k, new_request)
    if kind == "details" and details is not None:
        item = agent.catalog.get(details["id"])
        return Reply(message=item_answer(agent.catalog, item, parsed.update.asked_about), focus=details["id"])
    if kind == "accept" and details is not None:
        return Reply(message=f"Great choice: {details['title']}. Enjoy! Ask me any time for more.",
                     focus=details["id"])
    if kind == "reset":
        return Reply(message="Starting over. What are you looking for?")
    if kind == "out_of_domain":
        return Reply(message=f"I can only help with finding items in this {agent.domain}. "
                             "Tell me what you like and I will suggest something.")
    if not utterance:
        return Reply(message="Hi! Tell me what you are in the mood for — a genre, a favourite, a year — "
                             "and I will suggest something.")
    return Reply(message="Happy to help. What are you in the mood for?")


def _recommendations(agent, session, utterance: str, parsed: ParseResult, plan: Plan, tctx: ToolContext,
                     k: int, new_request: bool) -> Reply:
    catalog, state = agent.catalog, tctx.state
    reply = Reply(message="", question=plan.ask)
    reply.items, reply.dropped = select_items(catalog, state, tctx.bus.ranked(), tctx.bus.reasons,
                                              tctx.bus.scores, k, session.shown)
    if not reply.items and state.constraints:
        reply.message, reply.question = _nothing_fits(catalog, state)
    else:
        # the lead-in is optional: skipped when the parser used the turn's LLM budget or
        # found the backend down (a dead endpoint is not waited on twice in one turn)
        llm = agent.llm if len(parsed.calls) < MAX_LLM_CALLS_PER_TURN and not parsed.llm_unavailable else None
        seed = zlib.crc32(f"{session.id}:{len(session.turns)}".encode())
        aside = state.set_aside[-1].label if new_request and state.set_aside else None
        if any(n.kind == "injection" for n in parsed.update.notes):  # repeat nothing such a message said
            reply.message = f"Here are {len(reply.items)} picks."
        else:
            reply.message = recommendation_message(catalog, state, len(reply.items), seed, aside,
                                                   [i.reason for i in reply.items])
        written = lead_in(llm, catalog, utterance, state, agent.domain, reply.items, reply.llm_calls)
        if written:
            reply.message = written + " " + reply.message
    told = [n.text[0].upper() + n.text[1:] + "." for n in parsed.update.notes if n.kind == "tell"]
    if told:
        reply.message = " ".join(told) + " " + reply.message
    unapplied = [n.text for n in parsed.update.notes if n.kind == "unapplied"]
    if unapplied:
        reply.message += " " + unapplied_sentence(unapplied)
    return reply


def _nothing_fits(catalog, state: PreferenceState) -> tuple[str, str | None]:
    blocker = blocking_constraint(catalog, state.constraints)
    if blocker is None:
        return "Nothing in the catalog fits all of that.", "Could you loosen one of your requirements?"
    c, n = blocker
    return (f"I found nothing that fits all of that ({request_phrase(catalog, state)}).",
            f"Without '{c.describe()}' there are {n} matches — shall I drop it?")
