"""The LLM user simulator: the same policy as the rule simulator, worded by a chat model.

Each dialogue act has its own prompt (``prompts/sim_<act>.yaml``). A prompt carries the
persona, the facts to state (attributes only), the shown items by position and attributes,
and the rule simulator's plain wording as a draft; never the target's title or id. Output
that is empty, or a backend that fails, falls back to the draft and is counted.
"""

from __future__ import annotations

import re

from recpilot.errors import LLMUnavailable
from recpilot.llm.base import ChatModel, Message
from recpilot.prompts import render
from recpilot.simulator.models import Act, ItemView, LLMUse, Persona, ReplyView, TargetProfile
from recpilot.simulator.phrasing import inline, realize
from recpilot.simulator.users import UserSimulator

MAX_TOKENS = 48
MAX_SENTENCES, MAX_CHARS = 4, 300
_PREFIX = re.compile(r"^\s*(?:user|me|you|assistant|message|answer|reply|[A-Z][a-z]+)\s*:\s*", re.I)


class LLMSimulator(UserSimulator):
    kind = "llm"

    def __init__(self, profile: TargetProfile, persona: Persona, seed: str, llm: ChatModel,
                 temperature: float | None = None, chatter: float = 0.0):
        super().__init__(profile, persona, seed, chatter)
        self.llm, self.temperature = llm, temperature
        self.prompts: list[list[Message]] = []  # every prompt built, for inspection

    def say(self, act: Act, reply: ReplyView) -> tuple[str, LLMUse]:
        draft = realize(act, self.persona, self.rng, reply.items)
        messages = self.build_prompt(act, reply, draft)
        self.prompts.append(messages)
        usage = LLMUse()
        try:
            response = self.llm.complete(messages, max_tokens=MAX_TOKENS, temperature=self.temperature)
        except LLMUnavailable:
            usage.fallbacks = 1
            return draft, usage
        usage.calls, usage.prompt_tokens, usage.completion_tokens = 1, response.prompt_tokens, response.completion_tokens
        text = clean(response.text)
        if not faithful(text, act):
            usage.fallbacks = 1
            return draft, usage
        return text, usage

    def build_prompt(self, act: Act, reply: ReplyView, draft: str) -> list[Message]:
        facts = [inline(f, self.rng) for f in act.restated + act.facts]
        common = {"persona": self.persona.description, "noun": self.profile.noun, "draft": draft,
                  "facts": "; ".join(facts) or "(nothing new)"}
        if act.kind == "accept":
            return render("sim_accept", persona=common["persona"], noun=common["noun"], draft=draft,
                          position=f"#{act.position}")
        if act.kind == "command":
            return render("sim_command", persona=common["persona"], noun=common["noun"], draft=draft)
        if act.kind == "answer":
            return render("sim_answer", question=reply.question or "What are you looking for?", **common)
        if act.kind == "reject":
            return render("sim_reject", shown=describe_shown(reply.items, self.profile), **common)
        return render(f"sim_{act.kind}", **common)


_ECHO = re.compile(r"you were shown|the recommender asked|plain version|facts to (mention|repeat)|position:|"
                   r"\bi'?d be (happy|glad) to (help|recommend|suggest)|how can i (help|assist)|as an ai", re.I)


def faithful(text: str, act: Act) -> bool:
    """Whether the model's message can stand in for the draft: it does not echo the prompt or
    play the recommender, and it says at least one of the facts it was given (a small model
    that drops them would make the user unfair to the agent)."""
    if len(text) < 3 or _ECHO.search(text):
        return False
    facts = act.facts + act.restated
    if act.kind == "accept":
        return str(act.position) in text or _ORDINAL.get(act.position or 0, "@") in text.lower()
    if not facts:
        return True
    low = text.lower()
    return any(any(token in low for token in _tokens(f)) for f in facts)


_ORDINAL = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh",
            8: "eighth", 9: "ninth", 10: "tenth"}


def _tokens(fact) -> list[str]:
    """Ways the message may say ``fact``: its value, a year or decade, a rating."""
    if isinstance(fact.value, str) and fact.op != "sort":
        return [fact.value.lower()]
    if fact.role == "year":
        lo = int(float(fact.value))
        decade = lo - lo % 10
        return [str(lo), str(decade), f"{decade % 100:02d}s", "newer", "older", "recent", "before", "after"]
    if fact.role == "rating":
        return [f"{float(fact.value):g}", "rated", "rating", "stars"]
    if fact.op == "sort":
        return ["known", "popular", "hidden", "gem", "obscure", "famous", "mainstream"]
    return [str(fact.value)]


def describe_shown(items: list[ItemView], profile: TargetProfile) -> str:
    """The list as '#1 horror, 1986, by X; #2 ...': positions and attributes, no titles."""
    parts = []
    for i, item in enumerate(items, 1):
        bits = []
        if profile.kind_field:
            bits.append("/".join(item.categorical.get(profile.kind_field, [])[:2]))
        if profile.year_field and profile.year_field in item.numeric:
            bits.append(str(int(item.numeric[profile.year_field])))
        if profile.people_field and item.categorical.get(profile.people_field):
            bits.append("by " + item.categorical[profile.people_field][0])
        parts.append(f"#{i} " + ", ".join(b for b in bits if b) if item.known else f"#{i} unknown")
    return "; ".join(parts) or "(nothing)"


def clean(text: str) -> str:
    """The model's message: its first line, at most four sentences, no speaker prefix or quotes
    (small models run on and repeat themselves or the prompt)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    line = _PREFIX.sub("", lines[0]).strip().strip("\"“”'`").strip()
    sentences = re.split(r"(?<!\b[A-Z]\.)(?<=[.!?])\s+", line)  # "J.R.R. Tolkien" is one sentence
    return " ".join(sentences[:MAX_SENTENCES])[:MAX_CHARS].strip()
