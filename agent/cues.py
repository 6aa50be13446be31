"""The parser's lexicon: cue phrases, number words and patterns the rule layer reads.

Kept apart from the rules that use them so the vocabulary of cues can be read (and
extended, e.g. for another language) in one place.
"""

from __future__ import annotations

import re

from recpilot.agent.vocabulary import ITEM_NOUNS

CLAUSE_BREAKS = {",", ";", ".", "!", "?", ":", "but", "though", "however", "although", "yet", "whereas"}


def _cues(label: str, *phrases: str) -> list[tuple[tuple[str, ...], str]]:
    return [(tuple(p.split()), label) for p in phrases]


RETRACT_BEFORE = ("don't mind", "dont mind", "do not mind", "never mind", "nevermind", "forget about", "forget",
                  "remove", "drop", "allow", "ok with", "okay with", "fine with", "alright with", "actually i like",
                  "changed my mind about", "don't care about", "dont care about", "do not care about", "whatever")
RETRACT_AFTER = ("is fine", "are fine", "is ok", "are ok", "is okay", "are okay", "is alright", "are alright",
                 "after all", "is allowed", "are allowed", "doesn't matter", "does not matter", "don't matter",
                 "dont matter", "is welcome", "are welcome", "would be fine", "works too", "is fine too",
                 "are fine too", "is ok too", "is good too", "can stay")
SOFT_NEG = ("don't like", "dont like", "do not like", "didn't like", "didnt like", "did not like", "don't really like",
            "dont really like", "don't love", "dislike", "not a fan of", "not a big fan of", "not really a fan of",
            "not into", "not really into", "not big on", "less", "fewer", "not too", "not so", "not very", "too much",
            "not much", "not crazy about", "not keen on", "rather not", "prefer not", "not for me", "isn't for me")
HARD_NEG = ("no more", "no", "not", "nothing", "without", "avoid", "except", "exclude", "excluding", "none", "never",
            "hate", "hated", "can't stand", "cant stand", "cannot stand", "detest", "don't want", "dont want",
            "do not want", "anything but", "other than", "skip", "tired of", "sick of", "instead of", "rather than",
            "no longer", "stop", "aren't", "isn't", "neither", "nor", "nothing like", "not like", "none of",
            "anything except", "no more of", "minus", "but")
SOFT_POS = ("i like", "i love", "i enjoy", "i really like", "i really love", "fan of", "big fan of", "i'm into",
            "im into", "into", "really into", "i adore", "loved", "enjoyed", "liked", "love", "enjoy", "more",
            "like", "something like", "prefer", "i prefer", "preferably", "ideally", "especially", "a lot of")
REQUEST = ("i'd like", "id like", "would like", "i would love", "i'd love", "i want", "looking for", "give me",
           "show me", "in the mood for", "i need", "feel like", "how about", "what about")
POLARITY_CUES = (_cues("retract", *RETRACT_BEFORE) + _cues("soft_neg", *SOFT_NEG) + _cues("hard_neg", *HARD_NEG)
                 + _cues("soft_pos", *SOFT_POS) + _cues("request", *REQUEST))
POSTFIX_CUES = _cues("retract", *RETRACT_AFTER) + _cues("soft_neg", "not for me", "isn't for me", "is not for me")

ITEM_CUES = (
    _cues("seen", "already read", "have read", "i've read", "ive read", "i have read", "i read", "already seen",
          "have seen", "i've seen", "ive seen", "seen", "already have", "already own", "i own", "finished",
          "already finished", "already watched", "watched")
    + _cues("liked", "loved", "liked", "enjoyed", "love", "adore", "adored", "favorite", "favourite", "i like",
            "really liked", "really enjoyed", "fan of", "big fan of")
    + _cues("more_like", "more like", "more of", "another like", "others like", "more similar to", "more books like",
            "more stuff like", "something else like", "again like")
    + _cues("anchor", "like", "similar to", "in the vein of", "reminds me of", "as good as", "along the lines of",
            "same vibe as", "compared to", "something like")
    + _cues("rejected", *SOFT_NEG, *HARD_NEG, "disliked", "didn't enjoy", "couldn't finish", "boring")
)
ITEM_AFTER = (_cues("seen", "already read", "read it already", "have read it", "i've read it", "read that already",
                    "already seen", "seen it", "i've read that", "read it", "have it already", "already")
              + _cues("liked", "sounds good", "sounds interesting", "sounds nice", "sounds fun", "looks good",
                      "looks interesting", "looks nice", "was great", "was amazing", "is great")
              + _cues("rejected", "was boring", "is boring", "not for me", "isn't for me", "sounds boring"))

# Every word of a cue phrase is grammar, not a descriptor for retrieval.
CUE_WORDS = frozenset(
    w for table in (POLARITY_CUES, POSTFIX_CUES, ITEM_CUES, ITEM_AFTER) for phrase, _ in table for w in phrase
) - {"boring"}
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
            "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8,
            "ninth": 9, "9th": 9, "tenth": 10, "10th": 10}
REF_NOUNS = ITEM_NOUNS | {"one", "item", "option", "pick", "suggestion", "recommendation", "choice", "entry"}
REF_FOLLOW = REF_NOUNS | set(CLAUSE_BREAKS) | {"and", "or", "sounds", "is", "was", "looks", "please", "then", "too",
                                              "instead", "seems", "about", "on", "again"}
DECADE_WORDS = {"twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6, "seventies": 7,
                "eighties": 8, "nineties": 9}
PARTS = {"early": (0, 3), "mid": (3, 6), "late": (6, 9)}
COMPARATORS = {
    "at least": "gte", "minimum": "gte", "min": "gte", "minimum of": "gte", "above": "gt", "over": "gt",
    "more than": "gt", "greater than": "gt", "higher than": "gt", "better than": "gt", "no less than": "gte",
    "no fewer than": "gte", "under": "lt", "below": "lt", "less than": "lt", "lower than": "lt", "fewer than": "lt",
    "cheaper than": "lt", "shorter than": "lt", "at most": "lte", "maximum": "lte", "max": "lte",
    "no more than": "lte", "up to": "lte", "not more than": "lte", "not over": "lte",
}
POST_COMPARATORS = {"+": "gte", "or more": "gte", "or higher": "gte", "or better": "gte", "or above": "gte",
                    "and up": "gte", "and above": "gte", "and over": "gte", "plus": "gte", "or less": "lte",
                    "or fewer": "lte", "or lower": "lte", "or below": "lte", "and under": "lte", "and below": "lte"}
NUM = r"(?:(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?: ?(?:k|m|thousand|million))?|(?:a|one) (?:thousand|million))"
_PRE = "|".join(sorted((re.escape(c) for c in COMPARATORS), key=len, reverse=True))
_POST = "|".join(sorted((re.escape(c) for c in POST_COMPARATORS), key=len, reverse=True))
RE_COMPARISON = re.compile(rf"\b(?P<c1>{_PRE}) \$? ?(?P<n1>{NUM})(?: (?P<p1>\+))?(?![\w.])"
                           rf"|(?<![\w.])(?P<n2>{NUM})(?: (?P<u2>[a-z]+))? ?(?P<c2>{_POST})(?!\w)")
# Words that may sit between a negation and a number expression it negates ("nothing from the 90s").
NUMBER_GLUE = ITEM_NOUNS | {"from", "the", "in", "of", "published", "released", "written", "made", "anything",
                            "something", "stuff", "ones", "any", "that", "are", "is", "was", "were", "set", "with",
                            "a", "an", "rated", "rating", "out"}
FIELD_LIMIT_WORDS = {"limit", "limits", "restriction", "restrictions", "constraint", "constraints", "filter",
                     "filters", "requirement", "requirements", "preference", "preferences", "range"}
ROLE_WORDS = ("author", "authors", "writer", "writers", "director", "directors", "artist", "artists", "creator",
              "creators")
MODIFIER_WORDS = frozenset("short shorter long longer quick quicker newer older recent modern popular".split())

RE_RESET = re.compile(r"\b(start over|start again|begin again|reset|new search|forget (everything|all (of )?that)"
                      r"|from scratch|clear (it|all|everything)|let'?s start fresh)\b")
RE_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)( (all|any|the|your|my|these|those|of))*"
    r"( (previous|prior|above|earlier|preceding|system|original|old|initial))* "
    r"(instructions?|prompts?|rules|directions|guidelines|messages|context|programming)\b"
    r"|\bsystem prompt\b|\byou are now\b|\bact as (an? |the )?\w+|\bpretend (to be|you are|you're)\b"
    r"|\bdeveloper mode\b|\bjailbreak\w*\b|\bnew instructions\b|\breveal (your|the) (prompt|instructions)\b"
    r"|\bdo anything now\b")
RE_SMALLTALK = re.compile(
    r"^(hi|hello|hey|yo|good (morning|afternoon|evening)|how are you|thanks|thank you|thx|cheers|ok|okay|bye"
    r"|goodbye|yes|yeah|yep|no|nope|nah|sure|cool|great|nice|perfect|awesome|help|what can you do"
    r"|who are you)\b|\b(thanks|thank you|cheers|bye|goodbye)\b")
SMALLTALK_WORDS = frozenset("hi hello hey yo thanks thank thx cheers bye goodbye yes yeah yep nope nah sure cool "
                            "great nice perfect awesome help morning afternoon evening".split())
RE_ACCEPT = re.compile(
    r"\b(i'?ll take|i will take|i'?ll go with|i will go with|let'?s go with|i'?ll (read|watch|try|buy|get|pick)"
    r"|i will (read|watch|try|buy|get)|going with|i choose|i pick|i want (that|this) one|that'?s the one"
    r"|that'?s perfect|sounds (great|perfect)|sold|give me (that|this) one)\b")
RE_ASK = re.compile(
    r"\b(who (wrote|directed|made|is the author|is it by)|tell me (more )?about|what'?s (it|that|#?\d+|the \w+ one)"
    r" about|what is (it|that|#?\d+|the \w+ one) about|when was|what year|how (long|many pages|old) is"
    r"|any good|worth (reading|it|watching|the read)|more (info|information|details) (on|about)"
    r"|details (of|on|about)|how is (it|#?\d+|the \w+ one) rated|what'?s the rating|what genre is"
    r"|what kind of \w+ is)\b")
RE_NONE_OF_THESE = re.compile(
    r"\b(none of (these|those|them|the above)|neither of (these|those|them)|not (any of )?(these|those)"
    r"|i don'?t like (any of )?(these|those|them)|something else entirely)\b")
RE_OOD = re.compile(
    r"\b(weather|stock price|flights?|hotels?|recipes?|translate|write (me )?(a |an |some )?(\w+ )?(code|program|script|function|essay|email)"
    r"|math problem|capital of|president of|news today|football scores?|bitcoin|what time is it)\b")

PERSON_CUES = frozenset({"like", "love", "loved", "no", "not", "nothing", "than", "more", "enjoy", "enjoyed",
                         "liked", "hate", "avoid", "except", "without", "fan of", "mind", "more from",
                         "books from", "anything from", "something from"})
FILLER = frozenset(
    """hmm hm um uh close start said think guess make something anything recommend recommendations suggest please want looking find give show read reading books
    book novel novels title titles stuff maybe perhaps prefer preferably ideally actually instead else different
    options option pick picks choice choices another other again instead thanks thank great good nice cool awesome
    sure fine okay well kind sort type genre genres author authors writer written wrote year years published about
    tell more less like liked love loved enjoy enjoyed similar same ones those these sounds look looks seem seems
    new old next last first second third fourth fifth already seen been into fan really quite pretty super much
    would could should will shall might must ever never got get need needs wanted wants wanna gonna rather
    lately today tonight vacation holiday weekend night top both either neither nor favorite favourite
    recommend recommended suggestion suggestions idea ideas mood only take set""".split()
)
