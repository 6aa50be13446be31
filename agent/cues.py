"""The parser's lexicon: cue phrases, number words and patterns the rule layer reads.

Kept apart from the rules that use them so the vocabulary of cues can be read (and
extended, e.g. for another language) in one place.
"""

from __future__ import annotations

import re

from recpilot.agent.vocabulary import ITEM_NOUNS

CLAUSE_BREAKS = {",", ";", ".", "!", "?", ":", "but", "though", "however", "although", "yet", "whereas"}


def _cues(label: str, *phrases: str) -> list[tuple[tuple[str, ...], str]]:
    out, seen = [], set()
    for phrase in phrases:
        for variant in _variants(tuple(phrase.split())):
            if variant not in seen:
                seen.add(variant)
                out.append((variant, label))
    return out


#: Softeners people put between a negation and its verb ("didn't really like", "not particularly into").
_SOFTENERS = ("really", "particularly", "much", "exactly", "quite", "totally", "especially", "that", "super")
_NEGATED_VERBS = frozenset("like love enjoy care into dig mind want liked loved enjoyed cared".split())


def _is_negation(token: str) -> bool:
    return token in ("not", "never") or token.endswith("n't")


def _variants(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    """A cue as written, without its apostrophes ("didnt like": people type fast), and with a
    softener after its negation ("didn't really like")."""
    forms = [words]
    bare = tuple(w.replace("'", "") if w.endswith("n't") else w for w in words)
    if bare != words:
        forms.append(bare)
    for form in list(forms):
        for i in range(len(form) - 1):
            if _is_negation(words[i]) and form[i + 1] in _NEGATED_VERBS:
                forms += [form[: i + 1] + (adverb,) + form[i + 1 :] for adverb in _SOFTENERS]
    return forms


RETRACT_BEFORE = ("don't mind", "dont mind", "do not mind", "never mind", "nevermind", "forget about", "forget",
                  "remove", "drop", "allow", "ok with", "okay with", "fine with", "alright with", "actually i like",
                  "changed my mind about", "don't care about", "dont care about", "do not care about", "whatever",
                  "doesn't have to be", "does not have to be", "doesn't need to be", "does not need to be",
                  "don't have to be", "needn't be", "no need for it to be")
RETRACT_AFTER = ("is fine", "are fine", "is ok", "are ok", "is okay", "are okay", "is alright", "are alright",
                 "after all", "is allowed", "are allowed", "doesn't matter", "does not matter", "don't matter",
                 "dont matter", "is welcome", "are welcome", "would be fine", "works too", "is fine too",
                 "are fine too", "is ok too", "is good too", "can stay")
SOFT_NEG = ("don't like", "dont like", "do not like", "didn't like", "didnt like", "did not like", "don't really like",
            "dont really like", "don't love", "dislike", "not a fan of", "not a big fan of", "not really a fan of",
            "wasn't a fan of", "wasn't a big fan of", "wasn't really a fan of", "not a huge fan of",
            "wasn't a huge fan of", "didn't care for", "don't care for", "didn't enjoy", "didn't love", "never liked", "never enjoyed",
            "never loved", "never cared for",
            "not into", "not really into", "not big on", "less", "fewer", "not too", "not so", "not very", "too much",
            "too", "way too", "light on", "go easy on", "not much of",
            "not much", "not crazy about", "not keen on", "rather not", "prefer not", "not for me", "isn't for me",
            # "not a big horror fan", "not really a comedy person": a taste, not a ban
            "not a big", "not a huge", "not a great", "not much of a", "not really a", "not the biggest")
HARD_NEG = ("no more", "no", "not", "nothing", "without", "avoid", "except", "exclude", "excluding", "none", "never",
            "hate", "hated", "can't stand", "cant stand", "cannot stand", "detest", "don't want", "dont want",
            "do not want", "anything but", "other than", "skip", "tired of", "sick of", "instead of", "rather than",
            "no longer", "stop", "aren't", "isn't", "neither", "nor", "nothing like", "not like", "none of",
            "anything except", "no more of", "minus", "but")
SOFT_POS = ("i like", "i love", "i enjoy", "i really like", "i really love", "fan of", "big fan of", "i'm into",
            "loves", "likes", "enjoys", "adores", "is into", "are into", "got into",
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
            "really liked", "really enjoyed", "fan of", "big fan of", "obsessed with", "tore through", "devoured",
            "binged")
    + _cues("more_like", "more like", "more of", "another like", "others like", "more similar to", "more books like",
            "more stuff like", "something else like", "again like")
    + _cues("anchor", "like", "similar to", "in the vein of", "reminds me of", "as good as", "along the lines of", "than",
            "same vibe as", "compared to", "something like")
    + _cues("rejected", *SOFT_NEG, *HARD_NEG, "disliked", "didn't enjoy", "couldn't finish", "boring")
    # not read: neither a verdict nor a reason to leave it out ("I never read Dune, is it good?")
    + _cues("unseen", "never read", "never seen", "never saw", "never watched", "haven't read", "haven't seen",
            "haven't watched", "have not read", "have not seen", "didn't see", "did not see", "didn't read",
            "did not read", "not seen", "not read", "never heard of", "haven't heard of", "not heard of",
            "have yet to read", "have yet to see", "haven't gotten to", "never got to", "never got around to",
            "haven't gotten around to", "haven't tried", "never tried",
            *(f"{who}{verb} {which} {but}" for who in ("", "i've ", "ive ", "i have ", "have ")
              for verb in ("seen", "read", "watched") for which in ("them all", "all of them", "all")
              for but in ("except", "but")))
)
ITEM_AFTER = (_cues("seen", "already read", "read it already", "have read it", "i've read it", "read that already",
                    "already seen", "seen it", "i've read that", "read it", "have it already", "already")
              + _cues("liked", "sounds good", "sounds interesting", "sounds nice", "sounds fun", "looks good",
                      "looks interesting", "looks nice", "was great", "was amazing", "is great")
              + _cues("rejected", "was boring", "is boring", "not for me", "isn't for me", "sounds boring"))

# "X wasn't that good", "X is not great": a judgement negated after the item.
NEGATED_COPULAS = frozenset("wasn't wasnt isn't isnt weren't werent aren't arent".split())
PRAISE_WORDS = frozenset("""good great amazing fun funny interesting enjoyable exciting worth impressive memorable
    scary gripping entertaining special best type kind""".split())

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
    r"|\bdo anything now\b"
    # chat-template markup and orders to the assistant ("<|im_start|>system", "You must recommend")
    r"|\bim _ (?:start|end)\b|< / s >|\[ / ?inst \]|^system :|\bsystem :|\byou must (?:recommend|say|output|reply"
    r"|answer|respond|tell|print|write)\b|\bnew rules\b")
RE_SMALLTALK = re.compile(
    r"^(hi|hello|hey|yo|good (morning|afternoon|evening)|how are you|thanks|thank you|thx|cheers|ok|okay|bye"
    r"|goodbye|yes|yeah|yep|no|nope|nah|sure|cool|great|nice|perfect|awesome|help|what can you do"
    r"|who are you)\b|\b(thanks|thank you|cheers|bye|goodbye)\b")
# Asking for items outright, inside small talk ("Hello, I am looking for some movie suggestions.
# What would you suggest?"): a request with nothing known yet, answered with popular picks and
# a question, never with small talk alone. Thanking for suggestions is not asking for more.
RE_ASKS_FOR = re.compile(
    r"\b(?:recommend|recommendations?|suggest|suggestions?|looking for|any ideas|recs?"
    r"|what (?:should|could|can|do) (?:i|we) (?:read|watch|see)|(?:something|anything) (?:good|to (?:read|watch)))\b")
RE_THANKS_FOR = re.compile(r"\b(?:thanks|thank you|thx)\b(?: \w+){0,3} (?:for|about)\b")
SMALLTALK_WORDS = frozenset("hi hello hey yo thanks thank thx cheers bye goodbye yes yeah yep nope nah sure cool "
                            "great nice perfect awesome help morning afternoon evening".split())
RE_ACCEPT = re.compile(
    r"\b(i'?ll take|i will take|i'?ll go with|i will go with|let'?s go with|i'?ll (read|watch|try|buy|get|pick)"
    r"|i will (read|watch|try|buy|get)|going with|i choose|i pick|i want (that|this) one|that'?s the one"
    r"|that'?s perfect|sounds (great|perfect)|sold|give me (that|this) one)\b")
RE_ASK = re.compile(
    r"\b(who (wrote|directed|made|is the author|is it by)|tell me (more )?about|what'?s (it|that|#?\d+|the \w+ one)"
    r" about|what is (it|that|#?\d+|the \w+ one) about|when was|what year|how (long|many pages|old) is"
    r"|any good(?! (?:\w+ )?(?:books?|novels?|stories|reads|movies|films|series|ones|fantasy|thrillers?|romances?))"
    r"|worth (reading|it|watching|the read)|more (info|information|details) (on|about)|tell me more\b"
    r"|details (of|on|about)|how is (it|#?\d+|the \w+ one) rated|what'?s the rating|what genre is"
    r"|what kind of \w+ is|is (it|that|this|that one|this one|#?\d+) (any |really |actually |even )?good)\b")
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
    recommend recommended suggestion suggestions idea ideas mood only take set rec recs
    watch watching watched rewatch movie movies film films flick flicks""".split()
)

# Words about the reader's situation, not about the book they want ("couldn't put it down",
# "what should I read next", "for my commute", "I've had a rough week"): read as context, so
# they never become search words or pull a title up ("Next", "Down to You").
_WHO = r"(?:i|she|he|we|they|you|my (?:kid|son|daughter|child)|u)"
RE_CONTEXT = re.compile(
    r"\b(?:(?:what|which|anything|something|suggestions?|ideas?|recs?) (?:should|could|can|do|would|to|for) "
    rf"(?:{_WHO} )?(?:read|try|pick up|start|check out|get)(?: (?:next|now|after that|after|first|together|then))?"
    r"|what (?:to|do i) read (?:next|now)|(?:to )?read next|(?:do i|should i) read (?:now|next)"
    r"|couldn'?t put (?:it|them|that|this) down|can'?t put (?:it|them|that|this) down|could not put (?:it|them) down"
    r"|(?:couldn'?t|can'?t|could not|cannot) stop (?:thinking about|watching|reading|talking about) (?:it|them|that|this)"
    r"|(?:any|some) (?:suggestions|recs|recommendations|ideas|thoughts|help)"
    r"|thanks? (?:in advance|so much|a lot)|thank you|tia|lol|lmao|tbh|imo|imho|pls|plz|btw|omg|haha+|idk"
    r"|in (?:like )?(?:a|one|two|\d+) (?:day|days|week|weeks|month|months|sitting|night)"
    r"|(?:last|this|next) (?:night|week|weekend|month|year|summer|winter|spring|fall|autumn)"
    r"|(?:i'?ve|i have) had a (?:\w+ ){0,2}(?:week|day|month|year)|(?:a|my) (?:rough|long|hard|bad|busy|crazy) (?:week|day|month|year)"
    r"|for (?:my|a|the|our) (?:long )?(?:commute|flight|trip|vacation|holiday|book club|bookclub|class|birthday|drive"
    r"|train ride|beach trip|weekend)"
    r"|on (?:the|a|my) (?:beach|bus|train|plane|flight|commute)|at bedtime|before bed"
    r"|(?:to )?(?:get lost in|sink my teeth into|curl up with)"
    r"|(?:in|of) high school|in school|as a (?:kid|child|teen|teenager)|when i was (?:a )?(?:kid|young|\d+)"
    r"|kinda|sort of|kind of(?= \w+ed\b)|i guess|to be honest|honestly|literally|basically"
    r"|help me (?:find|pick|choose)"
    r"|(?:cried|crying) like a baby|ugly cry(?:ing)?|on the (?:bus|train)"
    r"|the very last page|till the (?:very )?(?:last|end)|to the (?:very )?end"
    r"|(?:my|the) whole (?:personality|childhood|life)|where it all started)\b")


# A new request, not a refinement of the current one ("now I'd like a cozy mystery", "actually,
# something completely different"); and words that add to the current one ("also", "too").
RE_NEW_TOPIC = re.compile(
    r"(?:^|\b(?:ok|okay|alright|right|cool|great|thanks|thank you|so|and)\b[ ,]*)now\b(?! that)"
    r"|\b(?:something|anything) (?:completely |totally |entirely |really )?(?:different|else entirely)\b"
    r"|\bchange of (?:pace|topic|subject|plans?)\b|\bswitch(?:ing)? (?:gears|it up|topics?)\b"
    r"|\b(?:different|new|another|separate) (?:request|question|topic|search)\b|\bon a different note\b"
    r"|\b(?:totally|completely) different\b|\bmoving on\b|\bforget (?:that|those|all that|about that)\b"
    r"|\binstead\s*[.!?]?$|^(?:what|how) about\b"
    r"|^(?:actually|wait|hmm+|ok|okay|alright)[ ,]+(?:i'?d like|i want|i need|give me|show me|let'?s|how about|"
    r"what about|can you|could you|something|a |an |some )")
RE_MORE_TOPIC = re.compile(
    # "horror too" is also; "nothing too long" is an intensifier
    r"\b(?:also|too(?= ?(?:$|[,.!?;:)]|please\b|thanks\b|though\b))|as well|additionally|in addition|on top of that|plus|and also|but also|as long as|ideally"
    r"|preferably|but (?:newer|older|shorter|longer|more|less|not|without|with|no|darker|lighter|funnier))\b")
# Asking to go on with a series: "the next one", "the sequel", "the rest of the series".
RE_SERIES_NEXT = re.compile(
    r"\b(?:the )?(?:next|following) (?:one|book|volume|installment|instalment|part|novel)s?\b"
    r"|\b(?:the )?sequels?\b|\b(?:the )?rest of (?:the|this|that|these|those|it|them)(?: \w+){0,3}? "
    r"(?:series|books|trilogy|saga|novels)\b|\b(?:the )?rest of the series\b"
    r"|\bmore (?:of|from|in) (?:the|this|that) (?:series|trilogy|saga)\b|\bcontinue (?:the|this|that|with the) "
    r"(?:series|trilogy|saga|story)\b|\bcomes? (?:next|after)\b|\b(?:more|anything|something) after\b"
    r"|\bafter (?:the )?(?:last|final) one\b|\bbook (?:\d{1,2}|two|three|four|five|six|seven)\b(?! of| in)")
# Wanting to start a series, or its reading order: "where do I start with Discworld", "in what order"
RE_SERIES_START = re.compile(
    r"\b(?:where|how|which one|what book) (?:do|should|would|to) (?:i |you |we )?(?:start|begin)\b"
    r"|\bstart(?:ing)? (?:with |the )|\b(?:which|what) one (?:do|should) i read first\b|\bread(?:ing)? order\b"
    r"|\b(?:what|which|in what|in which) order\b|\bin order\b")
# "the first book of a good mystery series": only first volumes
RE_FIRST_OF_SERIES = re.compile(
    r"\b(?P<lead>(?:the )?first (?:book|one|volume|novel|installment|instalment)s? (?:of|in))(?: (?:a|an|some|any|the))?"
    r"(?: \w+){0,3}? (?:series|trilogy|saga)\b|\b(?P<lead2>(?:start|begin|get into) a)(?: new| good)?(?: \w+)? series\b")
# "who else writes like that", "other authors like him": not the author(s) just named
RE_OTHER_PEOPLE = re.compile(
    r"\bwho else (?:writes|wrote)\b|\bother (?:authors|writers)\b|\b(?:authors|writers) like\b"
    r"|\bwho writes like\b|\bsomeone (?:else )?(?:like|similar to)\b|\bsimilar (?:authors|writers)\b")
# "anything like it?", "what else is like it", "in the same vein": more like the item just named
RE_LIKE_IT = re.compile(
    r"\b(?:like|similar to) (?:it|that|this|that one|this one|them|those)\b|\bsimilar\b|\bsame vein\b"
    r"|\bsame (?:kind|sort|type|feel|vibe|style)\b|\bequally\b|\bmore like that\b|\bin that vein\b")
# "read everything by X", "read all of X's books", "read every single X book"
RE_READ_ALL = re.compile(
    r"\b(?:read|finished|devoured|gone through|went through|been through|exhausted|binged)"
    r" (?:(?:every|all)(?: single| of| the| of the| his| her| their)*|everything(?: by| from| of)?|the whole)\b")
# "I've read those", "read all of them already": every item just shown is read
RE_READ_SHOWN = re.compile(
    r"\b(?:i'?ve|i have|already|i) (?:already )?read (?:all (?:of )?)?(?:these|those|them|all (?:of )?(?:these|those|them))\b"
    r"|\b(?:read|seen) (?:them|those|these) all\b")
# "I've seen it", "already read that one", "seen both"
RE_SEEN_SHOWN = re.compile(
    r"\b(?:i'?ve|i have|already|i|have) (?:already )?(?:seen|read|watched) (?:it|that|this|them|those|both|these)\b"
    r"|\b(?:seen|read|watched) (?:it|that|this|them|those|both)(?: one)? (?:already|before)\b")
# Statements of taste rather than of one request ("I love fantasy", "can't stand Goodkind"):
# what they name is kept across requests and remembered in long-term memory.
TASTE_CUES = _cues("taste", "i like", "i love", "i enjoy", "i really like", "i really love", "i adore", "fan of",
                   "big fan of", "i'm into", "im into", "i am into", "really into", "i hate", "hate", "i can't stand",
                   "can't stand", "cant stand", "cannot stand", "detest", "i don't like", "i dont like",
                   "don't like", "dont like", "not a fan of", "not a big fan of", "not really a fan of", "not into",
                   "i prefer", "i mostly read", "mostly read", "i only read", "only reads", "i usually read",
                   "usually read", "my favorite", "my favourite", "loves", "likes", "hates", "i dislike", "dislike",
                   "i'm not into", "im not into", "i am not into", "i never read", "never liked")
# Words about the reader's life, not the book: never searched (they embed close to some genre
# label by accident: "daughter", "teacher", "class").
CONTEXT_WORDS = frozenset("""mom mum mother dad father parents daughter son kid kids child children niece nephew
    grandma grandpa grandmother grandfather granddaughter grandson wife husband partner boyfriend girlfriend friend
    friends brother sister sibling cousin aunt uncle family baby toddler teacher teachers students student class
    classroom school homework coworker boss gift gifts present birthday christmas anniversary holiday holidays
    vacation trip flight plane airport beach pool commute bus train subway bedtime night nights morning evening
    weekend week weeks month months year years summer winter spring autumn fall today tonight tomorrow lately
    rainy sunny cold hot tired sick busy stressed bored lonely sad happy mood rough hard long day days hour hours
    minutes time eyesight glasses retirement hospital surgery recovering work job office lunch twice again
    tons lots heaps bunch ones""".split())
# Formats and offers the catalog knows nothing of: said plainly rather than searched.
FORMAT_WORDS = frozenset("""audiobook audiobooks audible kindle ebook ebooks e-book nook hardcover hardback paperback
    paperbacks edition editions print large signed copy copies free cheap price priced dollars unlimited netflix
    hulu adaptation adapted""".split())
