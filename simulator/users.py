"""Simulated users: a policy (what to say) plus a voice (how to say it).

A simulator is built from a ``TargetProfile`` and a ``Persona`` only; it never holds the
target's title or id. The harness tells it where the target sits in a list, as a person
would recognise the item they were after.

``chatter``: the share of messages to which the user adds a sentence of context that changes
nothing ("It's for a long flight next week."), drawn from the phrasebook's *held-out*
phrases, so a parser distilled from the training phrases meets wordings it never saw.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod

from recpilot.simulator.models import (
    Act,
    Fact,
    LLMUse,
    Persona,
    ReplyView,
    SimUtterance,
    TargetProfile,
)
from recpilot.simulator.phrasebook import split_pool
from recpilot.simulator.phrasing import realize
from recpilot.simulator.policy import Policy


class UserSimulator(ABC):
    kind: str = "user"

    def __init__(self, profile: TargetProfile, persona: Persona, seed: str, chatter: float = 0.0):
        self.profile, self.persona = profile, persona
        self.policy = Policy(profile, persona, random.Random(f"{seed}:policy"))
        self.rng = random.Random(f"{seed}:words")
        self.chatter = chatter
        self._chatter_rng = random.Random(f"{seed}:chatter")  # its own stream: chatter=0 changes no words

    @property
    def stated(self) -> list[Fact]:
        """Every fact this user has stated so far (the user's side of the 'state')."""
        return list(self.policy.stated)

    def open(self) -> SimUtterance:
        act = self.policy.opening()
        return self._say(act, ReplyView())

    def react(self, reply: ReplyView, target_position: int | None = None) -> SimUtterance:
        act = self.policy.react(reply, target_position)
        return self._say(act, reply)

    def _say(self, act: Act, reply: ReplyView) -> SimUtterance:
        text, usage = self.say(act, reply)
        if act.kind != "accept" and self.chatter and self._chatter_rng.random() < self.chatter:
            phrase = self._chatter_rng.choice(split_pool("noise", "heldout")).format(noun=self.profile.noun)
            text = f"{phrase} {text}" if self._chatter_rng.random() < 0.5 else f"{text} {phrase}"
        return SimUtterance(text=text, act=act, llm=usage)

    @abstractmethod
    def say(self, act: Act, reply: ReplyView) -> tuple[str, LLMUse]:
        """Words for ``act``, and what producing them cost."""


class RuleSimulator(UserSimulator):
    """Deterministic given its seed: templates over the policy's acts."""

    kind = "rule"

    def say(self, act: Act, reply: ReplyView) -> tuple[str, LLMUse]:
        return realize(act, self.persona, self.rng, reply.items), LLMUse()
