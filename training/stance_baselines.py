"""Baselines for the stance reader, on the same masked contexts and the same counting:
every movie liked; a plain list of negative phrases; VADER alone (its documented cut:
compound <= -0.05 is negative)."""

from __future__ import annotations

from collections.abc import Sequence

from recpilot.agent.stance import sentiment_analyzer
from recpilot.agent.stance_lexicon import CUES, normalise
from recpilot.agent.stance_text import context
from recpilot.training.stance_data import StanceExample

_PHRASES = CUES["negative_phrase"]


def masked_context(e: StanceExample) -> str:
    return context(e.text, e.spans, e.index)


def all_liked(examples: Sequence[StanceExample]) -> list[str]:
    return ["liked"] * len(examples)


def phrase_list(examples: Sequence[StanceExample]) -> list[str]:
    return ["disliked" if _PHRASES.search(normalise(masked_context(e))) else "liked" for e in examples]


def vader_alone(examples: Sequence[StanceExample]) -> list[str]:
    vader = sentiment_analyzer()
    return ["disliked" if vader.polarity_scores(masked_context(e))["compound"] <= -0.05 else "liked"
            for e in examples]


BASELINES = {"all_liked": all_liked, "phrase_list": phrase_list, "vader": vader_alone}
