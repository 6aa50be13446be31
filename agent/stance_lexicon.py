"""The stance model's lexicon: cue patterns and prototype sentences, kept apart from the code
that reads them so the vocabulary can be read and extended in one place.

Cues are patterns that VADER and a sentence embedding read poorly in human replies: VADER
scores "not a fan" and "couldn't finish it" as neutral or positive ("fan", "finish") and "too
slow" as neutral, and an embedding puts "haven't seen it but it sounds good" near "haven't
seen it, not interested". Prototypes are short reactions to an item, by stance; the model
reads how close a context's embedding is to each stance's prototypes (a few numbers it can
learn from a few dozen disliked examples, where 384 embedding weights overfit them).
"""

from __future__ import annotations

import re

CONTRAST = re.compile(r"\b(?:but|though|although|however|whereas|except|yet)\b", re.I)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})

_NEG = (r"(?:not|never|no|nor|cannot|don'?t|didn'?t|doesn'?t|wasn'?t|isn'?t|aren'?t|weren'?t|won'?t|"
        r"wouldn'?t|can'?t|couldn'?t|ain'?t|haven'?t|hasn'?t|hadn'?t)")
_POS = (r"(?:like|liked|love|loved|enjoy|enjoyed|fan|good|great|funny|interested|crazy|care|into|"
        r"impressed|favorite|favourite|recommend|worth|best|keen)")

# A plain list of negative phrases (also a baseline on its own: ``training/stance_baselines``).
NEGATIVE_PHRASES = (
    "didn't like", "didnt like", "did not like", "don't like", "dont like", "do not like", "not a fan",
    "not a big fan", "not really a fan", "hate", "hated", "dislike", "disliked", "boring", "bored", "awful",
    "terrible", "worst", "sucked", "sucks", "overrated", "not good", "wasn't good", "wasnt good",
    "wasn't that good", "not that good", "not my thing", "not for me", "not into", "not interested",
    "not crazy about", "didn't care for", "don't care for", "dont care for", "too slow", "too long",
    "fell asleep", "couldn't finish", "waste of", "meh", "stupid", "annoying", "disappointing",
    "disappointed", "i'll pass", "no thanks",
)

CUES: dict[str, re.Pattern] = {
    "negative_phrase": re.compile(r"\b(?:" + "|".join(re.escape(p) for p in NEGATIVE_PHRASES) + r")\b"),
    # a negation before a positive word in the same clause: "didn't like", "wasn't that good",
    # "not a big fan", "don't care for", "not too interested"
    "negated_positive": re.compile(rf"\b{_NEG}\s+(?:[\w']+\s+){{0,3}}?{_POS}\b"),
    # not seen yet: says nothing of liking; with "sounds good" it is a liked suggestion
    "not_seen": re.compile(r"\b(?:haven'?t|have not|never|not|didn'?t|did not|hasn'?t)\s+(?:yet\s+|ever\s+|even\s+)?"
                           r"(?:seen|watched|read|heard|saw|see|watch)\b"),
    "seen": re.compile(r"\b(?:i'?ve|i have|have|already|i|we)\s+(?:already\s+|also\s+)?(?:seen|watched|saw|read)\b"),
    # turning an item down without a sentiment word
    "not_for_me": re.compile(r"\b(?:not (?:really |exactly )?(?:my|for me|into|interested)|i'?ll pass|pass on|"
                             r"no thanks|no thank you|meh|not a fan|not big on)\b"),
    # gave up on it: "couldn't finish", "fell asleep", "turned it off"
    "gave_up": re.compile(r"\b(?:(?:couldn'?t|could not|didn'?t|did not|never) (?:finish|get (?:into|through))|"
                          r"gave up|give up|fell asleep|slept through|walked out|turned it off|stopped (?:watching|reading)|"
                          r"waste of)\b"),
    # "too slow / too long / too violent" (not "me too", "it too")
    "too_much": re.compile(r"\btoo\s+(?!(?:and|but|so|i|it|the|a|is|was|as|well)\b)[a-z]{3,}"),
    # will watch / read it, "sounds good": a suggestion taken
    "intends_to": re.compile(r"\b(?:will|i'?ll|gonna|going to|might|want to|plan to|need to|have to|must)\s+"
                             r"(?:(?:definitely|probably|def|really|totally)\s+)?(?:watch|see|check|read|try|look|add|give)\b|"
                             r"\bsounds? (?:good|great|interesting|fun|awesome|amazing|cool|like)|\bon my list\b"),
    "contrast": CONTRAST,
    "question": re.compile(r"\?"),
}

# Reactions to an item written for this lexicon (general English, movies and books alike),
# beside the simulator's item sentences (its train part; the held-out part scores the book domain).
REACTIONS = {
    "liked": [
        "That sounds good, I'll check it out.", "Sounds great, thanks!", "I'll add it to my list.",
        "Yes, I loved it.", "Oh yes, that one is great.", "I've seen it and really liked it.",
        "That's one of my favorites.", "I haven't seen it yet but it sounds interesting.",
        "I will definitely watch it.", "Good suggestion, I think I'd enjoy it.", "It was really good.",
        "I might give it a try.", "I couldn't put it down.", "I tore through it in a weekend.",
    ],
    "disliked": [
        "I didn't like it.", "Not interested, thanks.", "I'll pass on that one.", "Not really my thing.",
        "It was too silly for me.", "That one was boring.", "I didn't care for it much.", "It wasn't very good.",
        "I couldn't get into it.", "Meh, it was okay at best.", "I wasn't a fan.", "Too scary for me, no thanks.",
    ],
    "neutral": [
        "I haven't heard of it.", "What is it about?", "Who is in it?", "Have you seen it?", "Is it any good?",
        "I haven't seen that one.", "Something like it.", "Maybe something similar to it.", "Hi, how are you?",
        "What else do you have?", "Is that the one with the twist ending?", "I don't know that one.",
    ],
}
# Idioms whose words say the opposite of what they mean ("couldn't put it down" has a negation
# and no positive word), said in plain words before anything reads the context. From issue 10's
# examples of how readers write, not from the ReDial messages the model is scored on.
IDIOMS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"\b(?:could ?n'?t|could not|can'?t|cannot) (?:put (?:it|that one) down|stop (?:reading|watching) (?:it|that one))",
                re.I), "loved it"),
    (re.compile(r"\b(?:could ?n'?t|could not|can'?t|cannot) get enough of (?:it|that one)", re.I), "loved it"),
    (re.compile(r"\b(?:tore|raced|flew) through (?:it|that one)", re.I), "loved it"),
    (re.compile(r"\bnever gets old\b", re.I), "is always great"),
    # how readers say they loved a book they finished (the "how people write")
    (re.compile(r"\b(?:heartbroken|sad|sorry|gutted|bummed)(?: that)? (?:it'?s|its|it is) (?:over|done|finished)"
                r"|\b(?:didn'?t|did not) want (?:it|that one) to end|\bwish (?:it|that one) (?:didn'?t|did not|would ?n'?t) end",
                re.I), "loved it"),
    (re.compile(r"\b(?:i'?m|im|i am|i was|got) (?:so |totally |completely |kinda |kind of )?(?:obsessed|hooked)\b", re.I),
     "loved it"),
    (re.compile(r"\bin (?:one|a single) sitting\b|\bstayed up (?:all night|late|till \w+)", re.I), "loved it"),
    (re.compile(r"\b(?:devoured|binged|inhaled) (?:it|that one)\b", re.I), "loved it"),
    (re.compile(r"\b(?:blew me away|blown away|changed my life)\b", re.I), "loved it"),
    (re.compile(r"\ball[- ]time fav(?:ou?rite)?s?\b|\b(?:one of )?the best (?:books? )?i'?ve ever read\b", re.I),
     "my favorite"),
    (re.compile(r"\bdnf'?d?\b|\bdid not finish\b", re.I), "gave up on it"),
    (re.compile(r"\bbored me(?: to tears)?\b", re.I), "was boring"),
    (re.compile(r"^\s*(?:omg|omfg|oh my god)\b", re.I), "I loved it,"),
    (re.compile(r"\bruined (?:it|the (?:whole )?(?:series|book|ending|trilogy)|everything)(?: for me)?\b", re.I),
     "hated it"),
    (re.compile(r"\b(?:i )?need (?:another|more)(?: one)?(?: like (?:it|that))?\b", re.I), "loved it, I want more"),
]


def plain(context: str) -> str:
    """The context with ``IDIOMS`` said plainly."""
    for pattern, meaning in IDIOMS:
        context = pattern.sub(meaning, context)
    return context


def normalise(text: str) -> str:
    return text.translate(_APOSTROPHES).lower()


def cue_flags(context: str) -> list[float]:
    """1.0 / 0.0 per cue in ``CUES`` order, on a masked context."""
    text = normalise(context)
    return [1.0 if pattern.search(text) else 0.0 for pattern in CUES.values()]


def split_contrast(context: str) -> tuple[str, str]:
    """The words before the first contrast word and after the last one ("it was good but too
    long" -> ("it was good", "too long")); ("", "") without a contrast."""
    found = list(CONTRAST.finditer(context))
    if not found:
        return "", ""
    return context[:found[0].start()].strip(), context[found[-1].end():].strip()
