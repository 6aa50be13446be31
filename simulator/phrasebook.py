"""Free-text phrases a simulated user adds around what they ask for, by what the words do.

The rule simulator's templates say only what the deterministic parser reads; real users
also say why they want something ("it's for a long flight"), how it should feel ("nothing
too violent") or just chat. These pools give the distillation corpus (``corpus.py``) that
free text, labelled by its effect on the request:

- ``noise``: context that changes nothing (the parser should drop the words, not search them);
- ``wanted``: a descriptor the catalog has no field for (keep it as search text);
- ``unwanted``: a descriptor the user does not want (a soft dislike);
- ``chitchat`` and ``out_of_domain``: whole messages that are not requests;
- ``item_liked``, ``item_disliked``, ``item_neutral``: what a user says about an item they name.

Each pool is split by position into train and held-out phrases (``split_pool``), so the
distilled parser is scored on wordings it never saw, not on memorised ones. ``{noun}`` is
the catalog's noun ("book").
"""

from __future__ import annotations

NOISE = [
    "It's for a long flight next week.",
    "My book club meets on Thursday.",
    "I mostly read on the train these days.",
    "It's a birthday present for my brother.",
    "I just finished a really busy month at work.",
    "My sister says I should try something new.",
    "We're going camping this weekend.",
    "I have a lot of free evenings right now.",
    "I'm recovering from a cold, so I have time.",
    "I usually read before bed.",
    "It's for my summer holiday at the beach.",
    "My friend and I want to read the same {noun}.",
    "I'm trying to read more this year.",
    "Our library has a reading challenge going on.",
    "I have a three hour train ride tomorrow.",
    "I'll read it on my new e-reader.",
    "I just moved to a new city.",
    "My commute is about forty minutes each way.",
    "It's raining all week here.",
    "I'm between jobs at the moment.",
    "My daughter borrowed my last one.",
    "I got a gift card for my birthday.",
    "I've been in a reading slump lately.",
    "I want something for the holidays.",
    "It would be for a rainy weekend.",
    "My partner recommended I ask you.",
    "I don't get much time to read, honestly.",
    "I'll be on a cruise next month.",
    "I'm looking for my next {noun} club pick.",
    "A colleague of mine asked me for ideas too.",
]

WANTED = [
    "Something with a strong heroine.",
    "Ideally with a clever twist at the end.",
    "I'd like it to be funny and light.",
    "Something heartwarming would be nice.",
    "With lots of atmosphere, please.",
    "Something that makes me think.",
    "A real page turner, please.",
    "I love stories about friendship.",
    "Something set by the sea would be lovely.",
    "With a bit of adventure in it.",
    "I enjoy unreliable narrators.",
    "Something cosy for the winter.",
    "I like stories with family secrets.",
    "Ideally a slow burn.",
    "Something uplifting, please.",
    "I like it when there is a small town setting.",
    "With witty dialogue, if possible.",
    "Something with an unusual structure.",
    "I want to be swept away.",
    "Something epic in scope.",
    "I like stories told from several points of view.",
    "Something gentle and hopeful.",
    "With a great villain.",
    "I'd love something atmospheric and moody.",
    "Something emotional that stays with me.",
]

UNWANTED = [
    "Nothing too violent, please.",
    "I don't want anything depressing.",
    "Please avoid anything too long.",
    "Nothing with a sad ending.",
    "I can't stand slow openings.",
    "Nothing too gory.",
    "I'm not in the mood for anything bleak.",
    "Please nothing too complicated.",
    "I don't like cliffhangers.",
    "No love triangles, please.",
    "Nothing preachy.",
    "I really dislike graphic scenes.",
    "Please avoid anything too dense.",
    "Nothing with animal deaths.",
    "I don't want anything too heavy right now.",
    "Nothing too scary, please.",
    "I'm tired of grim stories.",
    "I don't enjoy long descriptions.",
    "Please nothing too silly.",
    "No tragic endings.",
    "I can't stand whiny narrators.",
    "Nothing too sentimental.",
    "I'd rather avoid anything too technical.",
    "Nothing too dark, please.",
    "I don't want anything disturbing.",
]

CHITCHAT = [
    "Thanks, that's really helpful!",
    "How are you today?",
    "Good morning!",
    "You're great at this.",
    "Thanks a lot, bye!",
    "Nice to meet you.",
    "Haha, that's funny.",
    "Okay, cool.",
    "I appreciate the help.",
    "Hello there, how's it going?",
    "That's all for now, thank you.",
    "See you later!",
    "Wow, thanks.",
    "Have a nice day!",
    "Hey, what's up?",
    "Great, talk soon.",
    "Cheers for that.",
    "Hmm, let me think about it.",
    "Sorry, I got distracted.",
    "Ok thanks, goodbye.",
]

OUT_OF_DOMAIN = [
    "Can you book me a table for two tonight?",
    "What's the weather going to be like tomorrow?",
    "Please order a pizza for me.",
    "How do I reset my router?",
    "What is the capital of Australia?",
    "Can you set an alarm for seven?",
    "Translate this sentence into French for me.",
    "What time does the pharmacy close?",
    "Help me write an email to my landlord.",
    "Call a taxi to the station.",
    "What's the score of the football game?",
    "Find me a cheap flight to Madrid.",
    "How many grams are in a pound?",
    "Remind me to buy milk.",
    "Can you fix my spreadsheet formula?",
    "What's a good recipe for lasagna?",
    "Play some jazz music.",
    "How do I get to the airport from here?",
    "Tell me the stock price of Apple.",
    "Which phone should I buy?",
]

# What a user says about one item they name ({x}): the mention head's corpus. Many have no
# cue word the rules know ("{x} bored me to tears"), which is the point.
ITEM_LIKED = [
    "I loved {x}.",
    "{x} is one of my all-time favourites.",
    "{x} was fantastic.",
    "I couldn't stop thinking about {x} for weeks.",
    "{x} was so good.",
    "I really enjoyed {x}.",
    "{x} blew me away.",
    "I adored {x}.",
    "{x} was brilliant from start to finish.",
    "I've gone back to {x} three times already.",
    "{x} is a masterpiece, honestly.",
    "I had a great time with {x}.",
    "{x} was exactly my kind of thing.",
    "I still recommend {x} to everyone.",
    "{x} was wonderful.",
    "I was hooked on {x} from the first page.",
    "{x} made my year.",
    "I really liked {x}.",
    "{x} was amazing.",
    "Big fan of {x}.",
    "{x} is great.",
    "I thought {x} was excellent.",
    "{x} was a real treat.",
    "I can't say enough good things about {x}.",
    "{x} was lovely.",
]

ITEM_DISLIKED = [
    "I didn't like {x}.",
    "{x} was too slow for me.",
    "{x} bored me to tears.",
    "I couldn't finish {x}.",
    "{x} was a big letdown.",
    "I hated {x}.",
    "{x} wasn't that good.",
    "I'm not a fan of {x}.",
    "{x} was way too predictable.",
    "Honestly {x} was a waste of time.",
    "{x} really dragged.",
    "I didn't care for {x} at all.",
    "{x} was overrated.",
    "I gave up on {x} halfway.",
    "{x} was pretty boring.",
    "{x} annoyed me.",
    "I found {x} tedious.",
    "{x} just didn't work for me.",
    "{x} was awful.",
    "I disliked {x}.",
    "{x} was disappointing.",
    "Not a big fan of {x}, to be honest.",
    "{x} was too violent for me.",
    "{x} felt like a chore.",
    "I regret spending time on {x}.",
]

ITEM_NEUTRAL = [
    "Something like {x}.",
    "Have you heard of {x}?",
    "My friend keeps talking about {x}.",
    "Is {x} any good?",
    "Anything similar to {x}?",
    "In the style of {x}, maybe.",
    "Along the lines of {x}.",
    "My sister mentioned {x} the other day.",
    "What about {x}?",
    "Maybe something in the vein of {x}.",
    "Do you know {x}?",
    "I saw {x} in a shop window.",
    "Something a bit like {x}.",
    "Like {x}, but different.",
    "Someone at work brought up {x}.",
]

POOLS = {"noise": NOISE, "wanted": WANTED, "unwanted": UNWANTED, "chitchat": CHITCHAT,
         "out_of_domain": OUT_OF_DOMAIN, "item_liked": ITEM_LIKED, "item_disliked": ITEM_DISLIKED,
         "item_neutral": ITEM_NEUTRAL}

HELD_OUT_EVERY = 5  # every fifth phrase of each pool is kept for evaluation


def split_pool(name: str, part: str) -> list[str]:
    """The ``train`` or ``heldout`` phrases of pool ``name``."""
    pool = POOLS[name]
    held = [p for i, p in enumerate(pool) if i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1]
    if part == "heldout":
        return held
    if part == "train":
        return [p for i, p in enumerate(pool) if i % HELD_OUT_EVERY != HELD_OUT_EVERY - 1]
    raise ValueError(f"unknown part {part!r}; use train or heldout")
