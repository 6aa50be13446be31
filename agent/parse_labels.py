"""The distilled parser's label space: what one message does to the request.

Small on purpose: the intent, the values of the catalog's kind field (its genres) wanted and
not wanted, a popularity sort, and what the words no rule explained do. The simulator's
corpus labels messages in it, the distilled model predicts it, and ``rule_label`` maps the
rule parser's output into it, so rules, the model and both together are scored alike.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from recpilot.agent.rules import RuleParse
from recpilot.preferences import Intent, StateUpdate

Residual = Literal["none", "noise", "wanted", "unwanted"]
Sort = Literal["none", "obscure", "popular"]
RESIDUALS: tuple[str, ...] = ("none", "noise", "wanted", "unwanted")
SORTS: tuple[str, ...] = ("none", "obscure", "popular")
INTENTS: tuple[str, ...] = ("recommend", "refine", "ask_item", "accept", "reject", "chitchat", "reset",
                            "out_of_domain")


class ParseLabel(BaseModel):
    """What one utterance does to the request, in the distilled parser's label space."""

    intent: Intent
    likes: list[str] = Field(default_factory=list, description="values of the kind field wanted (hard or soft)")
    dislikes: list[str] = Field(default_factory=list, description="values of the kind field not wanted")
    sort: Sort = "none"
    residual: Residual = Field("none", description="what the words no rule explained do")


def leftover(rule: RuleParse) -> list[str]:
    """The words no rule explained: residual search words and free-text dislikes."""
    negative = [p.value for p in rule.update.dislikes if p.field is None]
    return list(rule.residual) + negative


def rule_label(update: StateUpdate, rule: RuleParse, kf: str | None) -> ParseLabel:
    """The rule parser's reading in the corpus' label space (free words it keeps count as
    wanted, free words it negates as unwanted)."""
    likes, dislikes = [], []
    if kf is not None:  # a catalog without a kind field has no kind values (free words are not ones)
        likes = [str(c.value) for c in update.add_constraints if c.field == kf and c.op == "include"]
        likes += [p.value for p in update.likes if p.field == kf]
        dislikes = [str(c.value) for c in update.add_constraints if c.field == kf and c.op == "exclude"]
        dislikes += [p.value for p in update.dislikes if p.field == kf]
    residual = "none"
    if rule.residual:
        residual = "wanted"
    elif any(p.field is None for p in update.dislikes):
        residual = "unwanted"
    sort = update.sort if update.sort in SORTS else "none"
    return ParseLabel(intent=update.intent, likes=_uniq(likes), dislikes=_uniq(dislikes), sort=sort,
                      residual=residual)


def _uniq(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v.lower() for v in values))


# --- items named in a message ---------------------------------------------------------------------
MENTION_CLASSES: tuple[str, ...] = ("neutral", "liked", "disliked")
MentionClass = Literal["neutral", "liked", "disliked"]
WINDOW = 10  # tokens each side of a mention that the mention head reads


def rule_mention_class(label: str | None) -> str:
    """The rules' reading of a named item in the mention label space."""
    if label in ("liked", "more_like"):
        return "liked"
    if label in ("rejected", "seen"):
        return "disliked"
    return "neutral"


def mention_window(rule: RuleParse, index: int) -> str:
    """The words around mention ``index``, the item itself as "X" and other items as "Y": what
    is said about it, not which item it is."""
    tokens = list(rule.tokens)
    marks = [None] * len(tokens)
    for i, m in enumerate(rule.mentions):
        for j in range(m.start, min(m.end, len(tokens))):
            marks[j] = "X" if i == index else "Y"
    words, last = [], None
    for tok, mark in zip(tokens, marks, strict=True):
        if mark is None:
            words.append(tok)
        elif mark != last:  # a title's tokens become one X (or Y)
            words.append(mark)
        last = mark
    # re-find X in the collapsed words to cut the window around it
    at = words.index("X") if "X" in words else 0
    return " ".join(words[max(0, at - WINDOW): at + WINDOW + 1])
