"""The parser agent: rules first, the LLM for what is left, validated and grounded.

Between the two, once trained, the distilled parser (``agent/distilled.py``): it reads
items named without a cue word, and a message the rules could not fully explain; when it is
sure and agrees with the rules, that message needs no LLM call.

The LLM's JSON is checked against a pydantic model; invalid output is repaired (the JSON
object is cut out of surrounding text), retried once with the error, then dropped. Every
descriptor it returns must be a catalog value or words from the message itself, so a
hallucinated title or genre never reaches the state.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, ValidationError

from recpilot.agent.descriptors import RELEVANT
from recpilot.agent.rules import ParseContext, RuleParse, RuleParser
from recpilot.agent.stance import StanceModel
from recpilot.agent.vocabulary import tokenize, vocabulary_for
from recpilot.catalog import Catalog
from recpilot.errors import LLMUnavailable
from recpilot.llm.base import ChatModel, LLMCall
from recpilot.preferences import Preference, StateUpdate
from recpilot.prompts import render

if TYPE_CHECKING:
    from recpilot.agent.distilled import DistilledParser

log = logging.getLogger(__name__)

_LLM_INTENTS = ("recommend", "refine", "ask_item", "accept", "reject", "chitchat", "out_of_domain")


class LLMParse(BaseModel):
    """What the LLM is allowed to say about a message."""

    model_config = {"extra": "ignore"}

    intent: Literal["recommend", "refine", "ask_item", "accept", "reject", "chitchat", "out_of_domain"]
    likes: list[str] = Field(default_factory=list, max_length=6)
    dislikes: list[str] = Field(default_factory=list, max_length=6)


LLM_SCHEMA = {
    "type": "object",
    "properties": {
        "intent": {"type": "string", "enum": list(_LLM_INTENTS)},
        "likes": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 3},
        "dislikes": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 3},
    },
    "required": ["intent", "likes", "dislikes"],
}


@dataclass
class ParseResult:
    update: StateUpdate
    used_llm: bool = False
    used_distilled: bool = False
    calls: list[LLMCall] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    llm_unavailable: bool = False  # the backend failed: the rest of the turn does not call it again


class Parser:
    """Rules, then (for the words they leave) the distilled model when it is sure, then the LLM."""

    def __init__(self, catalog: Catalog, llm: ChatModel | None, domain: str = "catalog",
                 distilled: DistilledParser | None = None, stance: StanceModel | None = None,
                 stance_rule: str = "product"):
        self.catalog = catalog
        self.vocab = vocabulary_for(catalog)
        self.rules = RuleParser(self.vocab, stance, stance_rule)
        self.llm = llm
        self.domain = domain
        self.distilled = distilled

    def parse(self, utterance: str, ctx: ParseContext) -> ParseResult:
        rule = self.rules.parse(utterance, ctx)
        result = ParseResult(update=rule.update)
        # the stance model reads named items where it is loaded; the distilled mention head
        # (trained on the simulator's phrasings only) where it is not
        if self.distilled is not None and rule.mentions and self.rules.stance is None:
            self._read_mentions(rule, result)
        if not rule.needs_llm:
            return result
        if self.distilled is not None and self._distill(utterance, ctx, rule, result):
            return result
        if self.llm is None:
            return result
        try:
            parsed = self._ask_llm(utterance, ctx, rule.update, result)
        except LLMUnavailable as exc:
            result.llm_unavailable = True
            result.warnings.append(f"LLM unavailable, used the deterministic parser only ({exc})")
            return result
        result.used_llm = True
        if parsed is not None:
            self._merge(parsed, utterance, rule.update)
        return result

    def _read_mentions(self, rule: RuleParse, result: ParseResult) -> None:
        """Items named without a cue word ("X bored me to tears"): the mention head's reading."""
        try:
            notes = self.distilled.apply_mentions(self.distilled.read_mentions(self.catalog, rule), rule)
        except Exception:  # a bug in the learned part: logged whole, and the rules' reading stands
            log.exception("the distilled parser failed on named items; kept the rules' reading")
            return
        if notes:
            rule.update.note("distilled parser read named items: " + "; ".join(notes), "learned")

    def _distill(self, utterance: str, ctx: ParseContext, rule: RuleParse, result: ParseResult) -> bool:
        """Lets the distilled model read the free words; True when it was sure and agreed."""
        try:
            reading = self.distilled.read_one(self.catalog, utterance, rule, bool(ctx.last_shown))
        except Exception:  # a bug in the learned part: logged whole; the LLM path is still there
            log.exception("the distilled parser failed; read the message without it")
            return False
        if not self.distilled.agrees(reading, rule):
            return False
        notes = self.distilled.apply(reading, rule)
        rule.update.note("distilled parser read the free text" + (f": {'; '.join(notes)}" if notes else ""), "learned")
        result.used_distilled = True
        return True

    def _ask_llm(self, utterance: str, ctx: ParseContext, update: StateUpdate, result: ParseResult) -> LLMParse | None:
        messages = render(
            "parser", domain=self.domain, state=ctx.state.describe(), utterance=utterance[:1500],
            understood=_summarize(update),
        )
        for attempt in range(2):
            try:
                response = self.llm.complete(messages, json_schema=LLM_SCHEMA, max_tokens=160)
            except LLMUnavailable as exc:
                result.calls.append(LLMCall(prompt="parser", model=self.llm.name, error=str(exc)))
                raise
            call = LLMCall(prompt="parser", model=response.model, prompt_tokens=response.prompt_tokens,
                           completion_tokens=response.completion_tokens, duration_ms=response.duration_ms)
            result.calls.append(call)
            try:
                return LLMParse.model_validate(repair_json(response.text))
            except (ValueError, ValidationError) as exc:
                call.error = f"invalid output: {str(exc).splitlines()[0][:120]}"
                if attempt == 0:
                    messages = messages + [
                        type(messages[0])(role="assistant", content=response.text[:500]),
                        type(messages[0])(role="user", content=f"That was not valid: {call.error}. Reply with the JSON object only."),
                    ]
        result.warnings.append("the LLM's output was invalid twice; used the deterministic parse")
        return None

    def _merge(self, parsed: LLMParse, utterance: str, update: StateUpdate) -> None:
        """Keeps only descriptors grounded in the catalog's vocabulary or in the message."""
        words = set(tokenize(utterance))
        rule_intent = update.intent
        if rule_intent in ("recommend", "refine") and parsed.intent in ("chitchat", "out_of_domain"):
            # a tiny model often calls a request chit-chat; trust it only if no words are left
            if not update.keywords:
                update.intent = parsed.intent
        known = {p.key for p in update.likes + update.dislikes}
        for values, weight in ((parsed.likes, 1.0), (parsed.dislikes, -1.0)):
            for raw in values[:3]:
                pref = self._ground(raw, words, weight)
                if pref is not None and pref.key not in known:
                    known.add(pref.key)
                    (update.likes if weight > 0 else update.dislikes).append(pref)
        update.note("LLM read the free text", "llm")

    def _ground(self, raw: str, words: set[str], weight: float) -> Preference | None:
        toks = tokenize(raw)
        key = " ".join(toks)
        if not key:
            return None
        hit = self.vocab.values.get(key)
        if hit and (set(toks) & words):
            return Preference(field=hit[0], value=hit[1], weight=weight, source="llm")
        content = [t for t in toks if t.isalpha() and len(t) > 2]
        # the message's own words, and only words that come close to what the catalog describes
        # (the model likes to turn "couldn't put it down" into a wish for "put down")
        if content and all(t in words for t in content) and \
                self.rules.descriptors.relevance(" ".join(content)) >= RELEVANT:
            return Preference(field=None, value=" ".join(content), weight=weight * 0.8, source="llm")
        return None


def repair_json(text: str) -> dict:
    """Parses the first JSON object in ``text`` (models like to wrap it in prose or fences)."""
    text = text.strip()
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        match = re.search(r"\{.*\}", text, flags=re.S)
        candidate = match.group(0) if match else _close_truncated(text)
        if candidate is None:
            raise ValueError("no JSON object in the output") from None
        value = json.loads(re.sub(r",\s*([}\]])", r"\1", candidate))
    if not isinstance(value, dict):
        raise ValueError("the output is not a JSON object")
    return value


def _close_truncated(text: str) -> str | None:
    """Closes a JSON object cut off by the token limit (small models run on in arrays):
    drops the unfinished last element, then closes the open brackets."""
    start = text.find("{")
    if start < 0:
        return None
    body = text[start:]
    stack, in_string, escaped, last_complete = [], False, False, 0
    for i, ch in enumerate(body):
        if in_string:
            escaped = ch == "\\" and not escaped
            if ch == '"' and not escaped:
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
        if ch in ",{[":
            last_complete = i if ch == "," else i + 1
    if not stack:
        return None
    head = body[:last_complete].rstrip().rstrip(",")
    if head == "{":
        return None  # nothing complete to keep
    depth = []
    for ch in head:  # recompute what is open in the kept part
        if ch in "{[":
            depth.append("}" if ch == "{" else "]")
        elif ch in "}]" and depth:
            depth.pop()
    closers = "".join(reversed(depth))
    return head + closers


def _summarize(update: StateUpdate) -> str:
    parts = [c.describe() for c in update.add_constraints]
    parts += [f"likes {p.value}" for p in update.likes] + [f"like {a.title}" for a in update.anchors]
    return "; ".join(parts) if parts else "nothing"
