"""What a sentence says about a book it names: liked, disliked, or no verdict.

People rarely write "I liked X". They write "just finished X and couldn't put it down", "tore
through it", "X bored me to tears", "gave up halfway", "DNF'd it", "kinda heartbroken it's
over". These idioms are read here, in the words around a mention, before the learned stance
model (``agent/stance.py``) is asked; a negator flips a plain word ("didn't love it", "not
boring") but never an idiom that carries its own negation ("couldn't put it down").
"""

from __future__ import annotations

from typing import Literal

Verdict = Literal["liked", "disliked"]


def _phrases(text: str) -> list[tuple[str, ...]]:
    return [tuple(p.split()) for p in text.strip().split("|")]


#: Idioms whose meaning is fixed, negation included.
IDIOMS: dict[Verdict, list[tuple[str, ...]]] = {
    "liked": _phrases(
        "couldn't put it down|couldnt put it down|could not put it down|can't put it down|cant put it down|"
        "tore through|devoured|binged|blew me away|blown away|one sitting|stayed up all night|page turner|"
        "heartbroken it's over|heartbroken its over|sad it's over|sad its over|sad it ended|wish it didn't end|"
        "didn't want it to end|didnt want it to end|still think about|can't stop thinking|cried like a baby|"
        "in a good way|all time fav|all time favorite|all time favourite|best books i've ever|best book i've ever|"
        "best books ive ever|one of the best|changed my life|my comfort read|comfort read|obsessed|hooked|"
        "so good|really good|loved it|loved every|loved all|couldn't stop|couldnt stop|re read it|reread it|"
        # interest in a suggestion: "haven't seen it but it sounds good", "I'll check it out"
        "sounds good|sounds great|sounds interesting|sounds awesome|sounds amazing|sounds fun|sounds like a good|"
        "looks good|looks interesting|check it out|check that out|check them out|check those out|"
        "add it to my list|on my list|give it a try|give it a shot|give that a try|will try it|i'll try it|"
        "want to see it|want to read it|been meaning to|good suggestion|great suggestion|good choice|"
        "great choice|good recommendation|great recommendation|good pick|great pick|good one|great one"),
    "disliked": _phrases(
        "gave up|give up|couldn't finish|couldnt finish|could not finish|didn't finish|didnt finish|dnf|dnf'd|"
        "dnfd|couldn't get into|couldnt get into|could not get into|bored me|put me to sleep|not for me|"
        "didn't get the hype|didnt get the hype|don't get the hype|waste of time|ruined|hated|hate|can't stand|"
        "cant stand|not a fan|wasn't a fan|wasnt a fan|was ok but|was okay but|meh|overrated|so boring|"
        "too slow|way too slow|too long|too preachy|too predictable|didn't like|didnt like|did not like|"
        "didn't enjoy|didnt enjoy|did not enjoy|never again|nothing happening|nothing happens|same book again"),
}
#: Plain words that lean one way; a negator right before them flips them.
WORDS: dict[Verdict, frozenset[str]] = {
    "liked": frozenset("""loved love adored adore enjoyed enjoy liked amazing great fantastic brilliant
        wonderful beautiful gorgeous perfect incredible excellent gripping addictive favorite favourite
        fav masterpiece best superb stunning riveting fun hilarious""".split()),
    "disliked": frozenset("""boring bored awful terrible disappointing disappointed dull slow tedious
        annoying whiny shallow preachy predictable worst bad hated disliked creepy dragged meh""".split()),
}
NEGATORS = frozenset("not never no didn't didnt don't dont wasn't wasnt isn't isnt couldn't couldnt "
                     "can't cant hardly barely".split())
_BREAKS = frozenset(". ! ? ; but though although however".split())


def verdict_of(tokens: list[str]) -> Verdict | None:
    """The verdict of a whole message about the items just shown ("haven't seen it, but it
    sounds good"): after a contrast, the later clause has the last word."""
    cuts = [i for i, tok in enumerate(tokens) if tok in ("but", "though", "although", "however")]
    bounds = [0, *[c + 1 for c in cuts], len(tokens)]
    for a, b in reversed(list(zip(bounds[:-1], bounds[1:], strict=True))):
        found = _scan(tokens, a, b, (a, a))
        if found is not None:
            return found
    return None


def verdict_near(tokens: list[str], start: int, end: int, window: int = 12) -> Verdict | None:
    """The verdict the words around tokens [start, end) give, within the sentence and before a
    contrast ("X was great but Y bored me": Y's "bored me" is not X's)."""
    lo = start
    while lo > 0 and start - lo < window and tokens[lo - 1] not in _BREAKS:
        lo -= 1
    hi = end
    while hi < len(tokens) and hi - end < window and tokens[hi] not in _BREAKS:
        hi += 1
    return _scan(tokens, lo, hi, (start, end))


def _scan(tokens: list[str], lo: int, hi: int, span: tuple[int, int]) -> Verdict | None:
    """The verdict of tokens [lo, hi) outside ``span``; the word nearest the span decides."""
    start, end = span
    around = [(i, tok) for i, tok in enumerate(tokens[lo:hi], start=lo) if not start <= i < end]
    hits: list[tuple[int, Verdict]] = []
    words = [tok for _, tok in around]
    places = [i for i, _ in around]
    used: set[int] = set()
    for verdict, phrases in IDIOMS.items():
        for phrase in phrases:
            n = len(phrase)
            for k in range(len(words) - n + 1):
                if tuple(words[k : k + n]) == phrase and not used & set(range(k, k + n)):
                    hits.append((abs(places[k] - start), verdict))
                    used |= set(range(k, k + n))
    for k, tok in enumerate(words):
        if k in used:
            continue
        for verdict, lexicon in WORDS.items():
            if tok in lexicon:
                negated = k > 0 and words[k - 1] in NEGATORS or k > 1 and words[k - 2] in NEGATORS
                flipped: Verdict = "disliked" if verdict == "liked" else "liked"
                hits.append((abs(places[k] - start), flipped if negated else verdict))
    if not hits:
        return None
    return min(hits)[1]  # the nearest word decides
