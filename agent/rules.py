"""The parser's deterministic layer: utterance -> ``StateUpdate`` without an LLM.

Grounds titles, categorical values, people, numbers and ranges against the catalog's own
vocabularies, reads negation/retraction/reference phrases around them, and leaves the
unexplained words (``residual``) for the LLM layer.

How a cue word reaches a value: an utterance is split into clauses (",", "but", ...), and a
value takes its polarity from the cue phrase nearest to it in its clause ("nothing by
Tolkien", "not a fan of horror"), or from a cue right after it ("horror is fine").

Where each part lives: this module holds the parser (``RuleParser.parse`` runs the readers in
order) with the intent, injection, value and residual readers; ``rules_items`` reads the items
a message names or points at; ``rules_numbers`` reads numbers, years and relative modifiers
("newer", "less dark"); ``clauses`` splits clauses and finds the cue nearest a span; ``turn``
holds the utterance being read and the parse's input and output records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from recpilot.agent.clauses import nearest_cue, polarity_at
from recpilot.agent.cues import (
    CUE_WORDS,
    FIELD_LIMIT_WORDS,
    FILLER,
    MODIFIER_WORDS,
    PERSON_CUES,
    POLARITY_CUES,
    RE_ACCEPT,
    RE_ASK,
    RE_ASKS_FOR,
    RE_INJECTION,
    RE_OOD,
    RE_READ_ALL,
    RE_RESET,
    RE_SMALLTALK,
    RE_THANKS_FOR,
    ROLE_WORDS,
    SMALLTALK_WORDS,
    TASTE_CUES,
)
from recpilot.agent.descriptors import descriptors_for
from recpilot.agent.mentions import Linker, index_for, token_offsets
from recpilot.agent.rules_items import ItemRules
from recpilot.agent.rules_numbers import NumberRules, merge_bounds, numeric_field_words
from recpilot.agent.rules_taste import TasteRules
from recpilot.agent.stance import StanceModel
from recpilot.agent.turn import Mention, ParseContext, Turn
from recpilot.agent.vocabulary import (
    ITEM_NOUNS,
    STOPWORDS,
    Match,
    Vocabulary,
    capitalized,
    tokenize,
)
from recpilot.preferences import Constraint, ItemRef, Preference, StateUpdate

__all__ = ["Mention", "ParseContext", "RuleParse", "RuleParser"]
#: a value fewer items than this have as a main value is read as a soft wish, not a filter
RARELY_MAIN = 20


@dataclass
class RuleParse:
    update: StateUpdate
    residual: list[str]
    structured: int  # how many slots were grounded
    injection: bool = False  # the message tried to instruct the assistant
    tokens: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)  # items named, neither asked about nor accepted

    @property
    def needs_llm(self) -> bool:
        """The LLM is asked only when free words are left that no rule explained (and never to
        read a message that tries to instruct it)."""
        if self.injection or self.update.intent in ("reset", "chitchat", "accept", "ask_item", "out_of_domain"):
            return False
        return bool(self.residual) and (self.structured == 0 or len(self.residual) >= 3)


class RuleParser(ItemRules, NumberRules, TasteRules):
    def __init__(self, vocab: Vocabulary, stance: StanceModel | None = None, stance_rule: str = "product"):
        self.vocab = vocab
        self.stance = stance  # reads a named item's stance where no cue settles it
        self.stance_rule = stance_rule
        self.catalog = vocab.catalog
        self.mention_index = index_for(vocab.catalog)
        self.linker = Linker(self.mention_index)
        self.descriptors = descriptors_for(vocab.catalog)
        schema = self.catalog.schema
        self.field_words = numeric_field_words(schema)
        self.retractable = dict(self.field_words)
        for name in schema.categorical:
            for word in {name.lower(), name.lower().rstrip("s")}:
                self.retractable.setdefault(word, name)
        if schema.people:
            for word in ROLE_WORDS:
                self.retractable.setdefault(word, schema.people[0])
        self.rating_scale = 5.0
        if schema.rating:
            top = np.nanmax(self.catalog.numeric[schema.rating]) if len(self.catalog) else 5.0
            self.rating_scale = 5.0 if top <= 5 else (10.0 if top <= 10 else float(top))
        self.max_year = None
        if schema.year and len(self.catalog) and np.isfinite(self.catalog.numeric[schema.year]).any():
            self.max_year = int(np.nanmax(self.catalog.numeric[schema.year]))
        self.not_values = CUE_WORDS | MODIFIER_WORDS | FILLER
        # fields holding whole numbers (years, counts): "after 2010" means 2011 on, "under 5" 4 at most
        self.whole_fields = set()
        for name in schema.numeric:
            values = self.catalog.numeric[name]
            values = values[np.isfinite(values)]
            if values.size and np.all(values == np.round(values)):
                self.whole_fields.add(name)

    def parse(self, text: str, ctx: ParseContext) -> RuleParse:
        t = Turn(text, tokenize(text), capitalized(text), ctx)
        up = t.up
        injection = self._injection(t)
        if not injection and RE_RESET.search(t.joined):
            up.reset, up.intent = True, "reset"
            up.note("reset: preferences cleared", "reset")
            return RuleParse(up, [], 1)
        asks = list(RE_ASK.finditer(t.joined))
        accepts = [] if asks or injection else list(RE_ACCEPT.finditer(t.joined))
        for m in asks + accepts:
            t.take(m, keep_refs=True)
        ask, accept = (asks or [None])[0], (accepts or [None])[-1]
        up.asked_about = _question(ask.group(0)) if ask is not None else None
        self._topic(t)                                  # a new request, or more of this one

        refs = self._references(t) + self._titles(t)   # 1-2. shown items and titles
        self._context(t)                                # "for my commute": not about the books
        self._decide_items(t, refs, ask, accept)
        self._reject_all_shown(t)                       # "none of these", "read all of those"
        self._same_people(t, refs)
        self._series_request(t)                         # "the next one", "the rest of the series"
        self._audience(t)                               # "for my 12-year-old"
        self._numbers(t)                                # 3. numbers and ranges
        self._relative(t)                               # 4. "newer", "more popular"
        self._values(t)                                 # 5. people, then categorical values
        self._other_people(t)                           #    "who else writes like that"
        self._descriptors(t)                            # 6. "uplifting", "less gory", by meaning
        self._less(t)                                   #    "less dark"
        self._field_retractions(t)                      # 7. "any year is fine"
        self._reply_to_shown(t)                         #    "haven't seen it but it sounds good"
        merge_bounds(up)
        keywords, leftover = self._residual(t)          # 8. what is left: descriptors or context
        if injection:
            _defuse(up)
        up.intent = self._intent(t, keywords, injection)
        if up.intent in ("chitchat", "out_of_domain", "accept", "ask_item"):
            up.keywords = []
        return RuleParse(up, leftover, t.structured, injection, t.tokens, t.mentions)

    # --- intent ---------------------------------------------------------------------------
    def _intent(self, t: Turn, keywords: list[str], injection: bool) -> str:
        up, ctx = t.up, t.ctx
        if up.asked_item:
            return "ask_item"
        if up.accepted_item:
            return "accept"
        if RE_OOD.search(t.joined) and not _item_nouns(t.tokens) and not (
            up.add_constraints or up.likes or up.dislikes or up.remove_keys or up.remove_fields
        ):
            # "book me a flight to Rome": a stray title match ("Rome") does not make it a request
            up.anchors.clear()
            up.liked_items.clear()
            up.rejected_items.clear()
            up.keywords.clear()
            return "out_of_domain"
        if t.structured == 0 and not up.dislikes:
            if injection:
                return "out_of_domain"
            asks = RE_ASKS_FOR.search(t.joined) and not RE_THANKS_FOR.search(t.joined)
            if not keywords and (not t.tokens or RE_SMALLTALK.search(t.joined)) and not asks:
                return "chitchat"
        if (up.rejected_items or up.read_items) and not (
                up.add_constraints or up.likes or up.anchors or up.keywords or up.liked_items):
            return "reject"
        if ctx.last_shown or not ctx.state.is_vague():
            return "refine"
        return "recommend"

    def _injection(self, t: Turn) -> bool:
        found = False
        for m in RE_INJECTION.finditer(t.joined):
            t.take(m)
            found = True
        if found:
            t.up.note("ignored words that tried to instruct the assistant", "injection")
        return found

    # --- values -----------------------------------------------------------------------------
    def _values(self, t: Turn) -> None:
        found = self.vocab.find_people(t.tokens, t.taken, t.caps, cues=PERSON_CUES)
        found += self.vocab.find_values(t.tokens, t.taken, skip=self.not_values)
        for i, tok in enumerate(t.tokens):  # misspelt one-word values: "fantsy", "thriler"
            if t.taken[i] or tok in STOPWORDS or tok in self.not_values or tok in ITEM_NOUNS:
                continue
            hit = self.vocab.fuzzy_value(tok)
            if hit:
                found.append(Match("value", i, i + 1, hit[0], hit[1], hit[1], 90.0))
                t.taken[i] = True
        found.sort(key=lambda m: m.start)
        either = _alternatives(t.tokens, found, self.catalog.schema.people)
        previous: tuple[Match, str] | None = None
        for k, m in enumerate(found):
            t.taken[m.start : m.end] = True
            t.structured += 1
            polarity = polarity_at(t.tokens, t.clause, m.start, m.end)
            if previous is not None and _continues_list(t, previous[0], m):
                polarity = previous[1]  # "i like action, comedy and marvel movies": all three liked
            self._value_action(t, m, polarity, alternative=k in either)
            previous = (m, polarity)

    def _value_action(self, t: Turn, m: Match, polarity: str, alternative: bool) -> None:
        up = t.up
        source = " ".join(t.tokens[max(0, m.start - 3) : m.end])
        value = m.value
        if m.kind == "person" and self._read_everything(t, m):
            return
        taste = _taste_said(t, m.start)
        if polarity in ("request", "soft_pos") and t.reasons[m.start]:
            polarity = "soft_neg"  # "Twilight was awful, the romance was so creepy": a reason, not a wish
        elif polarity == "request" and m.kind == "value" and (t.praise[m.start] or _described(t, m.start)):
            # "loved The Martian, the humor and the science", "it was pretty funny": what the
            # user saw in something, not a filter
            up.likes.append(Preference(field=m.field, value=value, weight=0.5, source=source))
            return
        elif polarity == "request" and m.kind == "value" and _people_named(t, m):
            # "something to watch with my family", "the kids loved Coco": who it is for leans the
            # list their way; "a family movie" or "kids movies, please" still asks for the kind
            up.likes.append(Preference(field=m.field, value=value, weight=1.0, source=source))
            return
        if polarity == "retract":
            for op in ("include", "exclude"):
                up.remove_keys.append(Constraint(field=m.field, op=op, value=value).key)
            up.remove_keys.append(Preference(field=m.field, value=value).key)
            up.note(f"retracted {value}", "retracted")
        elif polarity == "hard_neg":
            if m.kind == "person":
                t.mark_reasons(m.start, after=True)  # "can't stand Goodkind, his books are just long lectures"
            up.add_constraints.append(Constraint(field=m.field, op="exclude", value=value, source=source))
            # "no horror", "nothing by Tolkien": excluded now, and a standing dislike to remember
            up.dislikes.append(Preference(field=m.field, value=value, weight=-1.0, source=source, origin="taste"))
        elif polarity == "soft_neg":
            up.dislikes.append(Preference(field=m.field, value=value, weight=-1.0, source=source,
                                          origin="taste" if taste else "request"))
        elif (polarity == "soft_pos" or alternative or " ".join(t.tokens[m.start : m.end]) in self.vocab.topics
              or self._rarely_main(m.field, value)):
            # a subject ("about dragons", "non-fiction about space") leans; only a kind demands
            up.likes.append(Preference(field=m.field, value=value, weight=1.0, source=source,
                                       origin="taste" if taste else "request"))
        else:
            up.add_constraints.append(Constraint(field=m.field, op="include", value=value, source=source))

    def _rarely_main(self, field: str, value: str) -> bool:
        """A value few items have as a main one ("adventure": 0 main, 161 weaker) leans rather
        than filters: a hard filter on it would leave (nearly) nothing."""
        weaker = self.catalog.schema.evidence.get(field)
        if not weaker:
            return False
        main = self.catalog.categorical.get(field, {}).get(value.lower())
        return (0 if main is None else len(main)) < RARELY_MAIN

    def _read_everything(self, t: Turn, m: Match) -> bool:
        """"I've read everything by Jane Austen": none of hers again, but her best-known books
        tell the ranker what this reader likes. ("read all of Christie's Poirot books" is about
        the series, read by the item readers.)"""
        window = " ".join(t.tokens[max(0, m.start - 7) : m.start])
        hit = RE_READ_ALL.search(window)
        if hit is None or t.tokens[m.end - 1].endswith("'s") or any(
                c not in (-1, t.clause[m.start]) for c in t.clause[max(0, m.start - 7) : m.start][-3:]):
            return False
        up = t.up
        up.add_constraints.append(Constraint(field=m.field, op="exclude", value=m.value,
                                             source=f"read everything by {m.value}"))
        rows = self.catalog.categorical.get(m.field, {}).get(m.value.lower())
        if rows is not None:
            for row in sorted(rows.tolist(), key=lambda r: -self.catalog.popularity[r])[:5]:
                item = self.catalog.items[row]
                up.read_items.append(ItemRef(id=item.id, title=item.title))
        if self.stance is not None:  # "... and loved it all": a taste to remember, beside the exclusion
            offsets = token_offsets(t.text, t.tokens)
            reading = self.stance.read(t.text, [(offsets[m.start][0], offsets[m.end - 1][1])], self.stance_rule)[0]
            if reading.label == "liked" and reading.probs["liked"] >= 0.6:
                up.likes.append(Preference(field=m.field, value=m.value, weight=1.0, source="read everything",
                                           origin="taste"))
        up.note(f"has read everything by {m.value}", "read")
        return True

    def _field_retractions(self, t: Turn) -> None:
        """"any year is fine", "forget about the year", "no year limit": drop a whole field."""
        for i, tok in enumerate(t.tokens):
            name = self.retractable.get(tok)
            if t.taken[i] or name is None:
                continue
            prev = t.tokens[i - 1] if i else ""
            nxt = t.tokens[i + 1] if i + 1 < len(t.tokens) else ""
            if (prev in ("any", "whatever", "all") or prev == "no" and nxt in FIELD_LIMIT_WORDS
                    or polarity_at(t.tokens, t.clause, i, i + 1) == "retract"):
                if name not in t.up.remove_fields:
                    t.up.remove_fields.append(name)
                    t.up.note(f"dropped every constraint on {name}", "dropped_field")
                t.taken[i] = True
                if nxt in FIELD_LIMIT_WORDS:
                    t.taken[i + 1] = True
                t.structured += 1

    def _residual(self, t: Turn) -> tuple[list[str], list[str]]:
        """(search words, every word left unexplained): words far from what the catalog
        describes are context, never searched, but a later reader (the LLM) may still see them."""
        up = t.up
        words: list[tuple[int, str]] = []
        negative: list[tuple[int, str]] = []
        for i, tok in enumerate(t.tokens):
            if (t.taken[i] or not tok.replace("'", "").isalpha() or len(tok) < 3 or tok in STOPWORDS
                    or tok in FILLER or tok in CUE_WORDS or tok in SMALLTALK_WORDS or _contraction(tok)):
                continue
            polarity = polarity_at(t.tokens, t.clause, i, i + 1)
            if polarity == "retract":
                up.remove_keys.append(f"text:{tok}")
            elif polarity in ("hard_neg", "soft_neg"):
                negative.append((i, tok))
            else:
                words.append((i, tok))
        avoid, avoid_context = self._leftovers(t, negative)
        for w in dict.fromkeys(avoid):
            up.dislikes.append(Preference(field=None, value=w, weight=-1.0, source=t.text[:80]))
        kept, context = self._leftovers(t, words)
        keywords = list(dict.fromkeys(kept))
        if keywords:
            up.keywords.append(" ".join(keywords))
        return keywords, list(dict.fromkeys(keywords + avoid + context + avoid_context))


#: words that may sit between two values of one list ("fantasy type movies, and goofy comedies")
_LIST_GLUE = frozenset({",", "and", "or", "&", "/", "also", "plus", "type", "types", "kind", "kinds", "of"}) | ITEM_NOUNS


def _continues_list(t: Turn, prev: Match, m: Match) -> bool:
    """Whether ``m`` continues a list that began at ``prev`` after a comma has cut it into a new
    clause, with no cue of its own: such a value means what the list's first value meant. One
    describing word may come between ("goofy comedies")."""
    gap = t.tokens[prev.end : m.start]
    if "," not in gap or t.clause[m.start] == t.clause[prev.start]:
        return False  # in one clause the cue already reaches it; without a comma it is no list
    if nearest_cue(t.tokens, t.clause, m.start, POLARITY_CUES) is not None:
        return False
    return sum(tok not in _LIST_GLUE for tok in gap) <= 1


#: words that make what follows them a description of something already named ("it was pretty
#: funny", "this is a funny movie", "his movies are funny", "he makes them funny", "sounds scary").
#: Not "he" or "she" alone: "he's the king of thrillers" tells what the person the user shops for
#: reads; not "it" alone: "make it a mystery" asks.
_DESCRIBING = frozenset("was were it's its his her their they're them sounds sounded looks looked seems seemed".split())
_THESE = frozenset("all these those that the".split())
_DESCRIBING_PAIRS = frozenset({("it", "is"), ("this", "is"), ("that", "is"), ("they", "are"), ("these", "are")})


#: words for people that a catalog may also use for a kind ("kids", "family": the movies' Children)
_PEOPLE_WORDS = frozenset("kids kid children child family families".split())
_OF_PEOPLE = frozenset("my our the with whole his her their your".split())


def _people_named(t: Turn, m: Match) -> bool:
    """Whether the value at ``m`` was named by people the user means ("with my family", "the
    kids would love it") rather than as a kind ("a kids movie", "family please", "family friendly")."""
    if m.end - m.start != 1 or t.tokens[m.start] not in _PEOPLE_WORDS:
        return False
    before = t.tokens[m.start - 1] if m.start else ""
    after = t.tokens[m.end] if m.end < len(t.tokens) else ""
    return before in _OF_PEOPLE and after not in ITEM_NOUNS and after not in ("-", "friendly")


_HE_SHE = frozenset("he she he's she's".split())
_IS_HAS = frozenset("is was has had makes made does did".split())
_DEGREE = frozenset("very so really pretty always quite super kinda too usually often just".split())


def _person_described(before: list[str]) -> bool:
    """"he is very funny", "she always has funny movies", "he's so funny": what a person's work
    is like. Not "he's the king of thrillers" or "she reads fantasy": who the user shops for."""
    at = max((i for i, tok in enumerate(before) if tok in _HE_SHE), default=-1)
    if at < 0:
        return False
    rest = before[at + 1 :]
    if not rest or not set(rest) <= _IS_HAS | _DEGREE:
        return False
    return before[at] in ("he's", "she's") or bool(set(rest) & _IS_HAS)


def _described(t: Turn, start: int) -> bool:
    """Whether the value at ``start`` describes something said before rather than asks for it:
    a describing subject or verb before it in its clause, and no cue that makes it a wish."""
    lo = t.clause_start(start)
    before = t.tokens[lo:start]
    if nearest_cue(t.tokens, t.clause, start, POLARITY_CUES) is not None or "only" in before:
        return False  # "i want it to be funny", "they only watch cartoons"
    pairs = list(zip(before, before[1:], strict=False))
    if any(a == "after" and b in _THESE for a, b in pairs):
        return True  # "a comedy. after all these scary movies we need a laugh": what came before
    if _person_described(before):
        return True
    if lo > 1 and t.tokens[lo - 1] in ("but", "and") and set(before) <= _DEGREE and t.clause[lo - 2] >= 0:
        return _described(t, lo - 2)  # "it was a superhero movie but very funny"
    return any(tok in _DESCRIBING for tok in before) or any(pair in _DESCRIBING_PAIRS for pair in pairs)


def _taste_said(t: Turn, start: int) -> bool:
    """Whether a statement of taste ("I love", "not a fan of") governs the words at ``start``
    within their sentence: "I love fantasy, especially Sanderson" is taste for both."""
    lo = start
    while lo > 0 and t.tokens[lo - 1] not in (".", "!", "?", ";"):
        lo -= 1
    clause = [0] * (start - lo + 1)
    return nearest_cue(t.tokens[lo : start + 1], clause, start - lo, TASTE_CUES) is not None


def _defuse(up: StateUpdate) -> None:
    """A message that tries to instruct the assistant changes nothing hard: its values become
    soft preferences and its bounds are dropped; an item it names can only be an anchor."""
    for c in up.add_constraints:
        if c.op in ("include", "exclude"):
            pref = Preference(field=c.field, value=str(c.value), weight=1.0 if c.op == "include" else -1.0,
                              source=c.source)
            (up.likes if c.op == "include" else up.dislikes).append(pref)
    if up.add_constraints or up.remove_fields or up.remove_keys:
        up.note("constraints from that message were kept as soft preferences only", "injection")
    up.add_constraints, up.remove_fields, up.remove_keys = [], [], []
    up.liked_items, up.rejected_items, up.read_items = [], [], []
    up.accepted_item = None
    up.reset = False


def _alternatives(tokens: list[str], found: list[Match], people: list[str]) -> set[int]:
    """Indices of values offered as alternatives ("fantasy or sci-fi"; "Binchy and Pilcher",
    since a book is rarely by both; a list of three or more, "comedy, action, sci fi,
    thriller", since an item is rarely all of them): soft, since a hard include of each would
    ask for items that are all of them."""
    out = set()
    run = [0]  # the current list of values of one field joined by commas or "and"
    for k in range(len(found) - 1):
        a, b = found[k], found[k + 1]
        between = [w for w in tokens[a.end : b.start] if w != ","]
        joined = between in (["or"], ["and", "or"], ["and", "/", "or"], ["/"])
        if a.field == b.field and (joined or a.field in people and between in (["and"], [], ["&"])):
            out |= {k, k + 1}
        run = run + [k + 1] if a.field == b.field and between in ([], ["and"], ["&"]) else [k + 1]
        if len(run) >= 3:
            out |= set(run)
    return out


def _item_nouns(tokens: list[str]) -> set[str]:
    """Item nouns used as nouns: "book me a flight" is a verb."""
    return {tok for i, tok in enumerate(tokens) if tok in ITEM_NOUNS
            and not (i + 1 < len(tokens) and tokens[i + 1] in ("me", "us", "a", "an", "the", "my", "our", "tickets"))}


def _contraction(tok: str) -> bool:
    """"what's", "i've", "don't": grammar, not a descriptor (a possessive like "king's" stays)."""
    base, _, tail = tok.partition("'")
    return bool(tail) and (tail != "s" or base in STOPWORDS or base in ("let", "here", "who", "where", "how"))


def _question(words: str) -> str:
    """What an item question asks for ("who wrote" -> people)."""
    for pattern, about in _QUESTIONS:
        if re.search(pattern, words):
            return about
    return "about"


_QUESTIONS = ((r"^who ", "people"), (r"when was|what year|how old", "year"),
              (r"any good|worth|rated|rating", "rating"), (r"genre|what kind of", "genre"),
              (r"how long|pages", "length"))
