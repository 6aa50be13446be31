"""The parser's deterministic layer: utterance -> ``StateUpdate`` without an LLM.

Grounds titles, categorical values, people, numbers and ranges against the catalog's own
vocabularies, reads negation/retraction/reference phrases around them, and leaves the
unexplained words (``residual``) for the LLM layer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from recpilot.agent.vocabulary import STOPWORDS, Match, Vocabulary, tokenize
from recpilot.preferences import Constraint, ItemRef, Preference, PreferenceState, StateUpdate

CLAUSE_BREAKS = {",", ";", ".", "!", "?", "but", "though", "however", "although", "yet"}
# Order matters: soft phrases are checked before the hard ones they contain ("not a fan").
SOFT_NEG = ("don't like", "dont like", "do not like", "didn't like", "did not like", "dislike", "not a fan",
            "not into", "not really into", "not big on", "less", "not too", "not so", "not very", "too much")
HARD_NEG = ("no more", "no", "not", "nothing", "without", "avoid", "except", "exclude", "excluding", "none",
            "never", "hate", "hated", "don't want", "dont want", "do not want", "anything but", "other than",
            "skip", "tired of", "sick of", "instead of", "rather than", "no longer", "stop", "aren't", "isn't")
RETRACT = ("is fine", "are fine", "is ok", "are ok", "is okay", "are okay", "fine after all", "don't mind",
           "dont mind", "do not mind", "never mind", "nevermind", "forget about", "remove", "drop", "allow",
           "ok with", "okay with", "fine with", "is alright", "are alright", "actually i like", "changed my mind",
           "is allowed", "are allowed", "any year", "whatever")
SOFT_POS = ("i like", "i love", "i enjoy", "i really like", "i really love", "fan of", "i'm into", "im into",
            "really into", "i adore", "loved", "enjoyed", "liked", "love", "enjoy", "more")
TITLE_TRIGGERS = ("similar to", "more like", "like", "loved", "enjoyed", "liked", "love", "read", "about",
                  "hated", "as good as", "in the vein of", "reminds me of", "not")
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
            "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10}
DECADE_WORDS = {"twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6, "seventies": 7,
                "eighties": 8, "nineties": 9}
COMPARATORS = {
    "at least": "gte", "minimum": "gte", "min": "gte", "above": "gt", "over": "gt", "more than": "gt",
    "greater than": "gt", "higher than": "gt", "better than": "gt", "or more": "gte", "or higher": "gte",
    "or better": "gte", "plus": "gte", "+": "gte",
    "under": "lt", "below": "lt", "less than": "lt", "lower than": "lt", "fewer than": "lt", "cheaper than": "lt",
    "shorter than": "lt", "at most": "lte", "maximum": "lte", "max": "lte", "no more than": "lte",
    "or less": "lte", "or fewer": "lte", "up to": "lte",
}
RE_RESET = re.compile(r"\b(start over|reset|new search|forget (everything|all (of )?that)|from scratch|clear (it|all|everything))\b")
RE_GREETING = re.compile(r"^(hi|hello|hey|good (morning|afternoon|evening)|how are you|thanks|thank you|cheers|ok|okay|bye|goodbye)\b")
RE_ACCEPT = re.compile(
    r"\b(i'?ll take|i will take|i'?ll go with|i will go with|sounds (great|perfect|good|interesting)|that'?s (it|perfect|the one|great)"
    r"|perfect|exactly what i|i'?ll (read|watch|try|buy|get)|going with|i choose|i pick|i want that one)\b")
RE_ASK = re.compile(
    r"\b(who (wrote|directed|made|is the author|is it by)|tell me (more )?about|what'?s (it|that|#?\d+|the \w+ one) about"
    r"|what is (it|that|#?\d+|the \w+ one) about|when was|what year|how (long|many pages|old)|is (it|that|that one) (any )?good"
    r"|more (info|information|details) (on|about)|details (of|on|about)|how is (it|#?\d+) rated|rating of)\b")
RE_OOD = re.compile(
    r"\b(weather|stock price|flight|hotel|recipe|translate|write (me )?(a |some )?code|python|javascript|math problem"
    r"|capital of|president of|news today|football score|bitcoin|ignore (all |your |the )?(previous |prior )?instructions"
    r"|system prompt)\b")


@dataclass
class ParseContext:
    last_shown: list[str] = field(default_factory=list)
    focus_item: str | None = None
    state: PreferenceState = field(default_factory=PreferenceState)


@dataclass
class RuleParse:
    update: StateUpdate
    residual: list[str]
    structured: int  # how many slots were grounded

    @property
    def needs_llm(self) -> bool:
        """The LLM is asked only when free words are left that no rule explained."""
        if self.update.intent in ("reset", "chitchat", "accept", "ask_item", "out_of_domain"):
            return False
        return bool(self.residual) and (self.structured == 0 or len(self.residual) >= 3)


class RuleParser:
    def __init__(self, vocab: Vocabulary):
        self.vocab = vocab
        self.catalog = vocab.catalog
        schema = self.catalog.schema
        self.field_words = _numeric_field_words(schema)
        self.rating_scale = 5.0
        if schema.rating:
            top = np.nanmax(self.catalog.numeric[schema.rating]) if len(self.catalog) else 5.0
            self.rating_scale = 5.0 if top <= 5 else (10.0 if top <= 10 else float(top))
        self.max_year = None
        if schema.year and len(self.catalog):
            self.max_year = int(np.nanmax(self.catalog.numeric[schema.year]))

    def parse(self, text: str, ctx: ParseContext) -> RuleParse:
        tokens = tokenize(text)
        joined = " ".join(tokens)
        up = StateUpdate()
        taken = np.zeros(len(tokens), dtype=bool)
        clause = _clauses(tokens)
        structured = 0

        if RE_RESET.search(joined):
            up.reset, up.intent = True, "reset"
            up.notes.append("reset: preferences cleared")
            return RuleParse(up, [], 1)
        ask = bool(RE_ASK.search(joined))
        accept = bool(RE_ACCEPT.search(joined)) and not ask

        # 1. references to shown items: "#2", "the second one", "that one"
        for start, end, ref_id in self._references(tokens, ctx):
            taken[start:end] = True
            structured += 1
            ref = self._ref(ref_id)
            if ref is None:
                up.notes.append(f"ignored a reference to an item that is not shown ({ref_id})")
                continue
            self._item_action(ref, tokens, clause, start, up, ask=ask, accept=accept, default="anchor")

        # 2. titles: quoted, after a trigger word, then exact multi-word spans anywhere
        for m in self._titles(text, tokens, taken):
            structured += 1
            ref = ItemRef(id=m.value, title=m.label)
            self._item_action(ref, tokens, clause, m.start, up, ask=ask, accept=accept, default="anchor")

        # 3. numbers and ranges
        structured += self._numbers(tokens, joined, taken, up, ctx)

        # 4. people, then categorical values
        people = self.vocab.find_people(tokens, taken)
        for m in people + self.vocab.find_values(tokens, taken):
            taken[m.start : m.end] = True
            structured += 1
            self._value_action(m, tokens, clause, up)

        # 5. relative modifiers and sort orders
        structured += self._modifiers(tokens, joined, taken, up, ctx)

        # 6. what is left: free descriptors
        residual = [
            t for i, t in enumerate(tokens)
            if not taken[i] and t.isalpha() and len(t) > 2 and t not in STOPWORDS and t not in _FILLER
        ]
        neg_words = []
        for i, t in enumerate(tokens):
            if taken[i] or t not in residual:
                continue
            polarity = _polarity(tokens, clause, i)
            if polarity in ("hard_neg", "soft_neg"):
                neg_words.append(t)
        keywords = [w for w in residual if w not in neg_words]
        if neg_words:
            up.dislikes += [Preference(field=None, value=w, weight=-1.0, source=text[:80]) for w in neg_words]
        if keywords:
            up.keywords.append(" ".join(dict.fromkeys(keywords)))

        up.intent = self._intent(joined, up, ask, accept, structured, residual, ctx)
        if up.intent in ("chitchat", "out_of_domain"):
            up.keywords = []
        return RuleParse(up, keywords, structured)

    # --- pieces ---------------------------------------------------------------------------
    def _intent(self, joined, up, ask, accept, structured, residual, ctx) -> str:
        if ask and up.asked_item:
            return "ask_item"
        if accept and up.accepted_item:
            return "accept"
        if RE_OOD.search(joined) and structured == 0:
            return "out_of_domain"
        if structured == 0 and (RE_GREETING.search(joined) and len(residual) <= 2 or not joined.strip()):
            return "chitchat"
        if up.rejected_items and not (up.add_constraints or up.likes or up.anchors or up.keywords):
            return "reject"
        if ctx.last_shown or not ctx.state.is_vague():
            return "refine"
        return "recommend"

    def _ref(self, item_id: str) -> ItemRef | None:
        if not self.catalog.has(item_id):
            return None
        return ItemRef(id=item_id, title=self.catalog.get(item_id).title)

    def _references(self, tokens: list[str], ctx: ParseContext):
        shown = ctx.last_shown
        out = []
        for i, tok in enumerate(tokens):
            n = None
            span = 1
            if tok.startswith("#") and tok[1:].isdigit():
                n = int(tok[1:])
            elif tok in ORDINALS and (i + 1 >= len(tokens) or tokens[i + 1] in ("one", "book", "item", "option", "pick", "title", "movie", "suggestion", ",", ".", "?", "!", "but", "and", "sounds", "is", "please", "looks", "was")):
                n = ORDINALS[tok]
            elif tok == "last" and i + 1 < len(tokens) and tokens[i + 1] in ("one", "book", "item", "option"):
                n = len(shown)
            elif tok in ("number", "option", "no", "item") and i + 1 < len(tokens) and tokens[i + 1].isdigit() and int(tokens[i + 1]) <= 20:
                n, span = int(tokens[i + 1]), 2
            elif tok in ("that", "this") and i + 1 < len(tokens) and tokens[i + 1] == "one":
                target = ctx.focus_item or (shown[0] if shown else None)
                if target:
                    out.append((i, i + 2, target))
                continue
            elif tok in ("it", "that") and ctx.focus_item and i > 0 and tokens[i - 1] in ("take", "read", "about", "wrote", "like", "liked", "loved", "hated", "choose", "pick", "with"):
                out.append((i, i + 1, ctx.focus_item))
                continue
            if n is not None and 1 <= n <= len(shown):
                out.append((i, i + span + (1 if i + span < len(tokens) and tokens[i + span] in ("one",) else 0), shown[n - 1]))
        return out

    def _titles(self, text: str, tokens: list[str], taken: np.ndarray) -> list[Match]:
        found: list[Match] = []
        for quoted in re.findall(r"[\"“”]([^\"“”]{2,120})[\"“”]", text):
            m = self.vocab.fuzzy_title(quoted, cutoff=85)
            if m:
                span = _find_span(tokens, tokenize(quoted), taken)
                if span:
                    taken[span[0] : span[1]] = True
                    found.append(Match("title", span[0], span[1], None, m.value, m.label, m.score))
        # after a trigger word: the longest exact title starting right after it, else fuzzy
        for i in range(len(tokens)):
            for trig in TITLE_TRIGGERS:
                words = trig.split()
                if tokens[i : i + len(words)] != words:
                    continue
                start = i + len(words)
                if start < len(tokens) and tokens[start] in ("the",) and start + 1 < len(tokens):
                    pass
                m = self._title_after(tokens, start, taken)
                if m:
                    taken[m.start : m.end] = True
                    found.append(m)
        found += self.vocab.find_titles(tokens, taken, strict=True)
        return found

    def _title_after(self, tokens: list[str], start: int, taken: np.ndarray) -> Match | None:
        end = start
        while end < len(tokens) and tokens[end] not in CLAUSE_BREAKS and not taken[end] and end - start < 14:
            end += 1
        if end <= start:
            return None
        for stop in range(end, start, -1):
            key = " ".join(tokens[start:stop])
            if key in self.vocab.titles:
                words = [t for t in tokens[start:stop] if t not in STOPWORDS]
                if not words or (len(words) == 1 and len(words[0]) < 4):
                    continue
                row = self.vocab.titles[key]
                item = self.catalog.items[row]
                return Match("title", start, stop, None, item.id, item.title)
        span = tokens[start:end]
        if len([t for t in span if t not in STOPWORDS]) >= 2:
            m = self.vocab.fuzzy_title(" ".join(span), cutoff=90)
            if m:
                return Match("title", start, end, None, m.value, m.label, m.score)
        return None

    def _item_action(self, ref, tokens, clause, start, up: StateUpdate, *, ask, accept, default) -> None:
        before = _context(tokens, clause, start)
        after = " ".join(tokens[start : start + 8])
        if ask:
            up.asked_item = ref
            return
        if accept:
            up.accepted_item = ref
            up.liked_items.append(ref)
            return
        if _has(before, ("already read", "have read", "i've read", "ive read", "read that", "seen", "already have",
                         "own it", "i read")) and not _has(before, ("loved", "liked", "enjoyed")):
            up.rejected_items.append(ref)
            up.notes.append(f"already read/seen: {ref.title}")
            return
        if _has(before + " " + after, ("already read", "already seen", "have read it")):
            up.rejected_items.append(ref)
            return
        if _has(before, SOFT_NEG + HARD_NEG) and not _has(before, ("more like", "similar")):
            up.rejected_items.append(ref)
            return
        if _has(before, ("loved", "liked", "enjoyed", "love", "adore", "favorite", "favourite")):
            up.liked_items.append(ref)
        up.anchors.append(ref)

    def _value_action(self, m: Match, tokens, clause, up: StateUpdate) -> None:
        source = " ".join(tokens[max(0, m.start - 3) : m.end])
        polarity = _polarity(tokens, clause, m.start)
        value = m.value
        if polarity == "retract":
            for op in ("include", "exclude"):
                up.remove_keys.append(Constraint(field=m.field, op=op, value=value).key)
            up.remove_keys.append(Preference(field=m.field, value=value).key)
            up.notes.append(f"retracted {value}")
        elif polarity == "hard_neg":
            up.add_constraints.append(Constraint(field=m.field, op="exclude", value=value, source=source))
        elif polarity == "soft_neg":
            up.dislikes.append(Preference(field=m.field, value=value, weight=-1.0, source=source))
        elif polarity == "soft_pos" or (m.kind == "person" and _context(tokens, clause, m.start).endswith("like")):
            up.likes.append(Preference(field=m.field, value=value, weight=1.0, source=source))
        else:
            up.add_constraints.append(Constraint(field=m.field, op="include", value=value, source=source))

    def _numbers(self, tokens, joined, taken, up: StateUpdate, ctx: ParseContext) -> int:
        schema = self.catalog.schema
        count = 0
        spans = _char_to_token(tokens)

        def add(field: str, op: str, value: float, m: re.Match, source: str | None = None) -> None:
            nonlocal count
            polarity = _polarity(tokens, _clauses(tokens), spans[m.start()])
            if polarity == "retract":
                up.remove_fields.append(field)
            else:
                up.add_constraints.append(Constraint(field=field, op=op, value=value, source=source or m.group(0)))
            taken[spans[m.start()] : spans[max(m.end() - 1, m.start())] + 1] = True
            count += 1

        if schema.year:
            y = schema.year
            for m in re.finditer(r"\b(?:between|from) (\d{4}) (?:and|to|-) (\d{4})\b", joined):
                a, b = sorted((int(m.group(1)), int(m.group(2))))
                add(y, "gte", a, m)
                add(y, "lte", b, m)
            for m in re.finditer(r"\b(?:(early|mid|late) )?(?:(\d{2}))?(\d)0 ?'?s\b", joined):
                if _is_taken(taken, spans, m):
                    continue
                century = int(m.group(2)) if m.group(2) else (20 if int(m.group(3)) < 2 else 19)
                start = century * 100 + int(m.group(3)) * 10
                lo, hi = {"early": (0, 3), "mid": (3, 6), "late": (6, 9)}.get(m.group(1) or "", (0, 9))
                add(y, "gte", start + lo, m)
                add(y, "lte", start + hi, m)
            for m in re.finditer(r"\b(?:(early|mid|late) )?(" + "|".join(DECADE_WORDS) + r")\b", joined):
                start = 1900 + DECADE_WORDS[m.group(2)] * 10
                lo, hi = {"early": (0, 3), "mid": (3, 6), "late": (6, 9)}.get(m.group(1) or "", (0, 9))
                add(y, "gte", start + lo, m)
                add(y, "lte", start + hi, m)
            for m in re.finditer(r"\b(after|since|post|newer than|later than|from|published after|released after|starting) (\d{4})\b", joined):
                if _is_taken(taken, spans, m):
                    continue
                year = int(m.group(2))
                add(y, "gte", year + (1 if m.group(1) in ("after", "post", "newer than", "later than", "published after", "released after") else 0), m)
            for m in re.finditer(r"\b(before|until|till|up to|older than|earlier than|pre|prior to) (\d{4})\b", joined):
                if _is_taken(taken, spans, m):
                    continue
                year = int(m.group(2))
                add(y, "lte", year - (1 if m.group(1) in ("before", "older than", "earlier than", "pre", "prior to") else 0), m)
            for m in re.finditer(r"\b(?:in|of|published in|released in|written in|year) (\d{4})\b", joined):
                if _is_taken(taken, spans, m) or not 1000 <= int(m.group(1)) <= 2100:
                    continue
                add(y, "gte", int(m.group(1)), m)
                add(y, "lte", int(m.group(1)), m)
            for m in re.finditer(r"\b(this century|21st century|20th century|19th century|last century)\b", joined):
                lo, hi = {"this century": (2000, None), "21st century": (2000, None), "20th century": (1900, 1999),
                          "19th century": (1800, 1899), "last century": (None, 1999)}[m.group(1)]
                if lo is not None:
                    add(y, "gte", lo, m)
                if hi is not None:
                    add(y, "lte", hi, m)
            if self.max_year:
                for m in re.finditer(r"\b(recent|latest|newest|new releases?)\b", joined):
                    if _is_taken(taken, spans, m):
                        continue
                    add(y, "gte", self.max_year - 5, m)

        if schema.rating:
            r = schema.rating
            high = 4.0 if self.rating_scale == 5 else round(0.8 * self.rating_scale, 1)
            for m in re.finditer(r"\b(highly|well|top|best|critically) (rated|reviewed|acclaimed)\b|\bacclaimed\b", joined):
                add(r, "gte", high, m)

        # comparatives with a number and a field word: "rated at least 4", "over 100000 ratings"
        comp_alt = "|".join(sorted((re.escape(c) for c in COMPARATORS), key=len, reverse=True))
        pattern = re.compile(
            rf"(?:\b(?P<c1>{comp_alt}) \$? ?(?P<n1>\d+(?:\.\d+)?)(?: ?(?P<c1b>\+))?)|(?:\b(?P<n2>\d+(?:\.\d+)?) ?(?P<c2>\+|or more|or higher|or better|or less|or fewer|plus))"
        )
        for m in pattern.finditer(joined):
            if _is_taken(taken, spans, m):
                continue
            number = float(m.group("n1") or m.group("n2"))
            comp = COMPARATORS[m.group("c1") or m.group("c2")]
            ti = spans[m.start()]
            te = spans[max(m.end() - 1, m.start())] + 1
            window_before = tokens[max(0, ti - 3) : ti]
            window_after = tokens[te : te + 3]
            field = self._field_for(window_before + window_after, number)
            if field is None:
                continue
            if field == schema.year and number < 1000:
                continue
            strict = comp in ("gt", "lt")
            step = 1.0 if float(number).is_integer() and field != schema.rating else 0.0
            op = "gte" if comp in ("gt", "gte") else "lte"
            value = number + (step if strict and op == "gte" else -step if strict else 0.0)
            add(field, op, value, m, source=" ".join(tokens[max(0, ti - 2) : te + 2]))
            for j in range(te, min(te + 3, len(tokens))):
                if tokens[j] in self.field_words:
                    taken[j] = True
            for j in range(max(0, ti - 3), ti):
                if tokens[j] in self.field_words:
                    taken[j] = True
        return count

    def _field_for(self, words: list[str], number: float) -> str | None:
        for w in words:
            if w in self.field_words:
                return self.field_words[w]
        return None

    def _modifiers(self, tokens, joined, taken, up: StateUpdate, ctx: ParseContext) -> int:
        schema = self.catalog.schema
        spans = _char_to_token(tokens)
        count = 0
        shown_rows = self.catalog.rows(ctx.last_shown)
        anchor_rows = self.catalog.rows([a.id for a in up.anchors])
        base_rows = anchor_rows if len(anchor_rows) else shown_rows

        def mark(m: re.Match) -> None:
            taken[spans[m.start()] : spans[max(m.end() - 1, m.start())] + 1] = True

        def relative(field: str | None, op: str, m: re.Match, label: str) -> None:
            nonlocal count
            mark(m)
            count += 1
            if field is None:
                up.notes.append(f"'{label}' ignored: the catalog has no such field")
                return
            values = self.catalog.numeric[field][base_rows] if len(base_rows) else np.array([])
            values = values[np.isfinite(values)]
            if values.size == 0:
                up.sort = {"newer": "newer", "older": "older"}.get(label, up.sort)
                return
            pivot = float(np.median(values))
            step = 1.0 if field != schema.rating else 0.1
            value = pivot + step if op == "gte" else pivot - step
            up.add_constraints.append(Constraint(field=field, op=op, value=round(value, 2), source=m.group(0)))

        length = next((f for f in schema.numeric if any(k in f.lower() for k in ("page", "runtime", "duration", "length", "minutes"))), None)
        price = next((f for f in schema.numeric if "price" in f.lower() or "cost" in f.lower()), None)
        rules = [
            (r"\b(newer|more recent|more modern)\b", schema.year, "gte", "newer"),
            (r"\b(older|earlier|more classic)\b", schema.year, "lte", "older"),
            (r"\b(shorter|quicker read|less long)\b", length, "lte", "shorter"),
            (r"\b(longer|more substantial)\b", length, "gte", "longer"),
            (r"\b(cheaper|less expensive)\b", price, "lte", "cheaper"),
            (r"\b(better rated|higher rated|better reviewed)\b", schema.rating, "gte", "better rated"),
        ]
        for pattern, field, op, label in rules:
            for m in re.finditer(pattern, joined):
                if not _is_taken(taken, spans, m):
                    relative(field, op, m, label)
        for pattern, sort in ((r"\b(more popular|popular|bestsellers?|best sellers?|well known|famous|mainstream)\b", "popular"),
                              (r"\b(obscure|lesser known|less known|hidden gems?|underrated|not popular|less popular|niche)\b", "obscure")):
            for m in re.finditer(pattern, joined):
                if not _is_taken(taken, spans, m):
                    mark(m)
                    up.sort = sort
                    count += 1
        for m in re.finditer(r"\b(less|not so|not too|not as) ([a-z]{3,})\b", joined):
            word = m.group(2)
            if not _is_taken(taken, spans, m) and word not in STOPWORDS:
                mark(m)
                up.dislikes.append(Preference(field=None, value=word, weight=-1.0, source=m.group(0)))
                up.remove_keys.append(f"text:{word}")
                count += 1
        return count


_FILLER = frozenset(
    """something anything recommend recommendations suggest please want looking find give show read reading books
    book novel novels title titles stuff maybe perhaps prefer preferably ideally actually instead else different
    options option pick picks choice choices another other again instead thanks thank great good nice cool awesome
    sure fine okay well kind sort type genre genres author authors writer written wrote year years published about
    tell more less like liked love loved enjoy enjoyed similar same ones those these sounds look looks seem seems
    new old next last first second third fourth fifth already seen been into fan really quite pretty super much
    would could should will shall might must ever never got get need needs wanted wants wanna gonna rather
    lately today tonight vacation holiday weekend night""".split()
)


def _numeric_field_words(schema) -> dict[str, str]:
    words: dict[str, str] = {}
    for name in schema.numeric:
        for part in re.split(r"[_\W]+", name.lower()):
            if len(part) > 2 and part not in ("average", "avg", "count", "num", "number", "total"):
                words.setdefault(part, name)
    if schema.rating:
        for w in ("rated", "rating", "stars", "star", "score", "rate"):
            words[w] = schema.rating
    if schema.popularity:
        for w in ("ratings", "reviews", "votes", "readers", "mentions"):
            words[w] = schema.popularity
    for name in schema.numeric:
        low = name.lower()
        if "page" in low:
            words.update({"pages": name, "page": name})
        if any(k in low for k in ("runtime", "duration", "minutes", "length")):
            words.update({"minutes": name, "mins": name, "min": name})
        if "price" in low or "cost" in low:
            words.update({"dollars": name, "bucks": name, "euros": name, "$": name, "price": name, "cost": name})
    if schema.year:
        words["year"] = schema.year
    return words


def _clauses(tokens: list[str]) -> list[int]:
    out, c = [], 0
    for t in tokens:
        if t in CLAUSE_BREAKS:
            c += 1
        out.append(c)
    return out


def _context(tokens: list[str], clause: list[int], start: int) -> str:
    """The words of the same clause before position ``start``."""
    if start >= len(tokens):
        start = len(tokens)
    cid = clause[start] if start < len(clause) else (clause[-1] if clause else 0)
    j = start
    while j > 0 and clause[j - 1] == cid and tokens[j - 1] not in CLAUSE_BREAKS:
        j -= 1
    return " ".join(tokens[j:start])


def _has(text: str, phrases) -> bool:
    padded = f" {text} "
    return any(f" {p} " in padded for p in phrases)


def _polarity(tokens: list[str], clause: list[int], start: int) -> str:
    before = _context(tokens, clause, start)
    cid = clause[start] if start < len(clause) else 0
    whole = " ".join(t for t, c in zip(tokens, clause, strict=True) if c == cid)
    if _has(whole, RETRACT) or _has(before, ("actually",)) and _has(whole, ("fine", "ok", "okay", "good", "allowed")):
        return "retract"
    if _has(before, SOFT_NEG):
        return "soft_neg"
    if _has(before, HARD_NEG):
        return "hard_neg"
    if _has(before, ("i'd like", "id like", "would like", "i would love", "i'd love")):
        return "request"
    if _has(before, SOFT_POS):
        return "soft_pos"
    return "request"


def _char_to_token(tokens: list[str]) -> dict[int, int]:
    spans, pos = {}, 0
    for i, t in enumerate(tokens):
        for k in range(len(t) + 1):
            spans[pos + k] = i
        pos += len(t) + 1
    return spans


def _is_taken(taken: np.ndarray, spans: dict[int, int], m: re.Match) -> bool:
    return bool(taken[spans[m.start()] : spans[max(m.end() - 1, m.start())] + 1].any())


def _find_span(tokens: list[str], needle: list[str], taken: np.ndarray) -> tuple[int, int] | None:
    n = len(needle)
    for i in range(len(tokens) - n + 1):
        if tokens[i : i + n] == needle and not taken[i : i + n].any():
            return i, i + n
    return None
