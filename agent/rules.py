"""The parser's deterministic layer: utterance -> ``StateUpdate`` without an LLM.

Grounds titles, categorical values, people, numbers and ranges against the catalog's own
vocabularies, reads negation/retraction/reference phrases around them, and leaves the
unexplained words (``residual``) for the LLM layer.

How a cue word reaches a value: an utterance is split into clauses (",", "but", ...), and a
value takes its polarity from the cue phrase nearest to it in its clause ("nothing by
Tolkien", "not a fan of horror"), or from a cue right after it ("horror is fine").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from recpilot.agent.cues import (
    CLAUSE_BREAKS,
    COMPARATORS,
    CUE_WORDS,
    DECADE_WORDS,
    FIELD_LIMIT_WORDS,
    FILLER,
    ITEM_AFTER,
    ITEM_CUES,
    MODIFIER_WORDS,
    NUM,
    NUMBER_GLUE,
    ORDINALS,
    PARTS,
    PAST_TRIGGERS,
    PERSON_CUES,
    POLARITY_CUES,
    POST_COMPARATORS,
    POSTFIX_CUES,
    RE_ACCEPT,
    RE_ASK,
    RE_COMPARISON,
    RE_INJECTION,
    RE_NONE_OF_THESE,
    RE_OOD,
    RE_RESET,
    RE_SMALLTALK,
    REF_FOLLOW,
    REF_NOUNS,
    ROLE_WORDS,
    SMALLTALK_WORDS,
    TITLE_TRIGGERS,
)
from recpilot.agent.vocabulary import (
    ITEM_NOUNS,
    STOPWORDS,
    Match,
    Vocabulary,
    capitalized,
    tokenize,
)
from recpilot.preferences import Constraint, ItemRef, Preference, PreferenceState, StateUpdate


@dataclass
class ParseContext:
    last_shown: list[str] = field(default_factory=list)
    focus_item: str | None = None
    state: PreferenceState = field(default_factory=PreferenceState)


@dataclass
class Mention:
    """An item named in the message: where, and what the rules made of it ("liked",
    "more_like", "rejected", "seen"; None: no cue, so only an anchor)."""

    start: int
    end: int
    ref: ItemRef
    label: str | None


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


@dataclass
class _Turn:
    """One utterance being parsed: its tokens and what has been read so far."""

    text: str
    tokens: list[str]
    caps: list[bool]
    ctx: ParseContext
    up: StateUpdate = field(default_factory=StateUpdate)
    mentions: list[Mention] = field(default_factory=list)
    structured: int = 0
    fuzzy_budget: int = 3  # fuzzy title look-ups per message (each scans every title)

    def __post_init__(self) -> None:
        self.joined = " ".join(self.tokens)
        self.taken = np.zeros(len(self.tokens), dtype=bool)
        self.clause = _clauses(self.tokens)
        self.spans = _char_to_token(self.tokens)

    def span(self, m: re.Match, group: int | str = 0) -> tuple[int, int]:
        return self.spans[m.start(group)], self.spans[max(m.end(group) - 1, m.start(group))] + 1

    def free(self, m: re.Match) -> bool:
        a, b = self.span(m)
        return not self.taken[a:b].any()

    def take(self, m: re.Match, keep_refs: bool = False) -> None:
        a, b = self.span(m)
        for i in range(a, b):
            if not (keep_refs and _ref_word(self.tokens[i])):
                self.taken[i] = True


class RuleParser:
    def __init__(self, vocab: Vocabulary):
        self.vocab = vocab
        self.catalog = vocab.catalog
        schema = self.catalog.schema
        self.field_words = _numeric_field_words(schema)
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
        t = _Turn(text, tokenize(text), capitalized(text), ctx)
        up = t.up
        injection = self._injection(t)
        if not injection and RE_RESET.search(t.joined):
            up.reset, up.intent = True, "reset"
            up.notes.append("reset: preferences cleared")
            return RuleParse(up, [], 1)
        asks = list(RE_ASK.finditer(t.joined))
        accepts = [] if asks or injection else list(RE_ACCEPT.finditer(t.joined))
        for m in asks + accepts:
            t.take(m, keep_refs=True)
        ask, accept = (asks or [None])[0], (accepts or [None])[-1]

        refs = self._references(t) + self._titles(t)   # 1-2. shown items and titles
        self._decide_items(t, refs, ask, accept)
        self._reject_all_shown(t)                       # "none of these"
        self._same_people(t, refs)
        self._numbers(t)                                # 3. numbers and ranges
        self._relative(t)                               # 4. "newer", "more popular"
        self._values(t)                                 # 5. people, then categorical values
        self._less(t)                                   # 6. "less dark"
        self._field_retractions(t)                      # 7. "any year is fine"
        _merge_bounds(up)
        keywords = self._residual(t)                    # 8. what is left: free descriptors
        if injection:
            _defuse(up)
        up.intent = self._intent(t, keywords, injection)
        if up.intent in ("chitchat", "out_of_domain", "accept", "ask_item"):
            up.keywords = []
        return RuleParse(up, keywords, t.structured, injection, t.tokens, t.mentions)

    def _reject_all_shown(self, t: _Turn) -> None:
        m = RE_NONE_OF_THESE.search(t.joined)
        if m is None or not t.ctx.last_shown or not t.free(m):
            return
        t.take(m)
        t.structured += 1
        known = {r.id for r in t.up.rejected_items}
        for item_id in t.ctx.last_shown:
            ref = self._ref(item_id)
            if ref is not None and ref.id not in known:
                t.up.rejected_items.append(ref)
        t.up.notes.append("turned down every item shown")

    # --- intent ---------------------------------------------------------------------------
    def _intent(self, t: _Turn, keywords: list[str], injection: bool) -> str:
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
            if not keywords and (not t.tokens or RE_SMALLTALK.search(t.joined)):
                return "chitchat"
        if up.rejected_items and not (up.add_constraints or up.likes or up.anchors or up.keywords or up.liked_items):
            return "reject"
        if ctx.last_shown or not ctx.state.is_vague():
            return "refine"
        return "recommend"

    def _injection(self, t: _Turn) -> bool:
        found = False
        for m in RE_INJECTION.finditer(t.joined):
            t.take(m)
            found = True
        if found:
            t.up.notes.append("ignored words that tried to instruct the assistant")
        return found

    # --- items ----------------------------------------------------------------------------
    def _ref(self, item_id: str) -> ItemRef | None:
        if not self.catalog.has(item_id):
            return None
        return ItemRef(id=item_id, title=self.catalog.get(item_id).title)

    def _references(self, t: _Turn) -> list[tuple[int, ItemRef]]:
        """"#2", "the second one", "number 3", "the last one", "that one", "it" (the focus)."""
        tokens, shown, ctx = t.tokens, t.ctx.last_shown, t.ctx
        out: list[tuple[int, ItemRef]] = []
        for i, tok in enumerate(tokens):
            if t.taken[i]:
                continue
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            n, span, target = None, 1, None
            if tok.startswith("#") and tok[1:].isdigit():
                n = int(tok[1:])
            elif tok in ORDINALS and (nxt in REF_NOUNS or (i and tokens[i - 1] in ("the", "your", "that"))
                                      and (nxt is None or nxt in REF_FOLLOW)):
                n = ORDINALS[tok]
            elif tok == "last" and nxt in REF_NOUNS:
                n = len(shown)
            elif tok in ("number", "option", "item", "pick", "choice") and nxt is not None and nxt.isdigit():
                n, span = int(nxt), 2
            elif tok in ("that", "this") and nxt in REF_NOUNS:
                target = ctx.focus_item or (shown[0] if shown else None)
                span = 2
            elif tok in ("it", "that") and ctx.focus_item and i > 0 and tokens[i - 1] in (
                    "take", "read", "about", "wrote", "like", "liked", "loved", "hated", "choose", "pick", "with",
                    "get", "want"):
                target = ctx.focus_item
            if n is not None:
                if 1 <= n <= len(shown):
                    target = shown[n - 1]
                else:
                    t.up.notes.append(f"nothing has been shown as #{n} yet")
                    t.taken[i : i + span] = True
                    continue
            if target is None:
                continue
            if n is not None and i + span < len(tokens) and tokens[i + span] in REF_NOUNS:
                span += 1
            t.taken[i : i + span] = True
            t.structured += 1
            ref = self._ref(target)
            if ref is None:
                t.up.notes.append(f"ignored a reference to an item that is not in the catalog ({target})")
                continue
            out.append((i, ref))
        return out

    def _titles(self, t: _Turn) -> list[tuple[int, ItemRef]]:
        """Quoted titles, a title right after a cue ("like", "loved", "read"), then exact
        multi-word titles anywhere."""
        found: list[Match] = []
        for quoted in re.findall(r"[\"“”]([^\"“”]{2,120})[\"“”]", t.text):
            m = self.vocab.fuzzy_title(quoted, cutoff=85)
            span = _find_span(t.tokens, tokenize(quoted), t.taken) if m else None
            if span:
                t.taken[span[0] : span[1]] = True
                found.append(Match("title", span[0], span[1], None, m.value, m.label, m.score))
        for i in range(len(t.tokens)):
            for trig in TITLE_TRIGGERS:
                if tuple(t.tokens[i : i + len(trig)]) != trig:
                    continue
                after = t.tokens[i + len(trig)] if i + len(trig) < len(t.tokens) else ""
                if trig == ("than",) and after[:1].isdigit():
                    continue  # "less than 300 pages" is a number, not the title "300"
                m = self._title_after(t, i + len(trig), past=trig[-1] in PAST_TRIGGERS)
                if m:
                    t.taken[m.start : m.end] = True
                    found.append(m)
        found += self.vocab.find_titles(t.tokens, t.taken, t.caps)
        t.structured += len(found)
        return [(m.start, ItemRef(id=m.value, title=m.label)) for m in found]

    def _title_after(self, t: _Turn, start: int, past: bool = False) -> Match | None:
        """The title right after a cue; after a past-tense cue ("loved", "read") a one-word
        title needs no capital ("hated twilight"), after others it does ("I like dragons")."""
        tokens = t.tokens
        if start >= len(tokens) or t.taken[start] or tokens[start] in ("by", "from"):
            return None
        end = start
        while end < len(tokens) and t.clause[end] == t.clause[start] and not t.taken[end] and end - start < 14:
            end += 1
        if any(" ".join(tokens[start : start + n]) in self.vocab.people for n in (2, 3, 4)):
            return None  # a person's name ("not Stephen King"): the people reader takes it
        for stop in range(end, start, -1):
            key = " ".join(tokens[start:stop])
            caps = [True] * len(tokens) if past else t.caps
            if key in self.vocab.titles and self.vocab.plausible_title(tokens, start, stop, caps, anywhere=False):
                hit = self.vocab.title_key(key)
                return Match("title", start, stop, None, hit.value, hit.label)
        # typos: the whole span, or the span up to a word that usually follows a title
        ends = [end] + [j for j in range(start + 2, end) if tokens[j] in ("from", "by", "with", "and", "or", "but",
                                                                          "that", "which", "published", "in")]
        for stop in sorted(set(ends), reverse=True):
            span = tokens[start:stop]
            if len([w for w in span if w not in STOPWORDS]) >= 2 and t.fuzzy_budget > 0:
                t.fuzzy_budget -= 1
                m = self.vocab.fuzzy_title(" ".join(span), cutoff=90, typos_only=True)
                if m:
                    return Match("title", start, stop, None, m.value, m.label, m.score)
        return None

    def _decide_items(self, t: _Turn, refs: list[tuple[int, ItemRef]], ask, accept) -> None:
        """Per item named: asked about, accepted, already seen, rejected, liked or an anchor."""
        up = t.up
        labels = [self._item_cue(t, start) for start, _ in refs]
        asked = accepted = None
        if ask is not None:
            same = [ref for (start, ref) in refs if t.clause[start] == t.clause[t.span(ask)[0]]]
            asked = (same or [ref for _, ref in refs] or [None])[0] or self._implicit(t, ask)
        elif accept is not None:
            ok = [(start, ref) for (start, ref), label in zip(refs, labels, strict=True) if label != "rejected"]
            same = [ref for start, ref in ok if t.clause[start] == t.clause[t.span(accept)[0]]]
            accepted = (same or [ref for _, ref in ok][-1:] or [None])[0] or self._implicit(t, accept)
        for (start, ref), label in zip(refs, labels, strict=True):
            if asked is not None and ref.id == asked.id:
                continue
            if accepted is not None and ref.id == accepted.id:
                continue
            end = start + 1
            while end < len(t.tokens) and t.taken[end]:
                end += 1
            t.mentions.append(Mention(start, end, ref, label))
            if label == "seen":
                up.rejected_items.append(ref)
                up.notes.append(f"already read/seen: {ref.title}")
            elif label == "rejected":
                up.rejected_items.append(ref)
            else:
                if label in ("liked", "more_like"):
                    up.liked_items.append(ref)
                up.anchors.append(ref)
        if asked is not None:
            up.asked_item = asked
        if accepted is not None:
            up.accepted_item = accepted
            up.liked_items.append(accepted)

    def _implicit(self, t: _Turn, cue: re.Match) -> ItemRef | None:
        """The item meant when none is named ("sounds great, I'll take it", "what's it about?"):
        the focus, or the only one shown; none when the clause names something else ("tell me
        about dragons")."""
        ctx, clause = t.ctx, t.clause[t.span(cue)[0]]
        if any(c == clause and not t.taken[i] and tok.isalpha() and tok not in STOPWORDS and tok not in FILLER
               for i, (tok, c) in enumerate(zip(t.tokens, t.clause, strict=True))):
            return None
        target = ctx.focus_item or (ctx.last_shown[0] if len(ctx.last_shown) == 1 else None)
        return self._ref(target) if target else None

    def _item_cue(self, t: _Turn, start: int) -> str | None:
        before = _nearest_cue(t.tokens, t.clause, start, ITEM_CUES)
        if before is not None:
            return before[0]
        end = start + 1
        while end < len(t.tokens) and t.taken[end]:
            end += 1
        window = []
        for w in t.tokens[end : end + 8]:
            if w in CLAUSE_BREAKS and w not in (",", "."):
                break
            if w not in (",", "."):
                window.append(w)
        table = sorted(ITEM_AFTER, key=lambda c: -len(c[0]))
        for s in range(len(window)):
            for phrase, label in table:
                if tuple(window[s : s + len(phrase)]) == phrase:
                    return label
        return None

    def _same_people(self, t: _Turn, refs: list[tuple[int, ItemRef]]) -> None:
        """"more by the same author as #2": like the people of the item(s) referred to."""
        schema = self.catalog.schema
        roles = "|".join(ROLE_WORDS)
        m = re.search(rf"\b(?:(?:same|that|this) (?:{roles})|(?:{roles}) of|by the same)\b", t.joined)
        if not m or not schema.people:
            return
        a, b = t.span(m)
        after = [ref.id for start, ref in refs if start >= b]
        base = after or [ref.id for _, ref in refs] or ([t.ctx.focus_item] if t.ctx.focus_item else [])
        hard = "by" in t.tokens[max(0, a - 2) : a + 1]  # "by the author of X": only theirs
        t.take(m)
        for item_id in base[:1]:
            if not self.catalog.has(item_id):
                continue
            item = self.catalog.get(item_id)
            for name in schema.people:
                for value in item.categorical.get(name, [])[:1]:  # the first-named: the main one
                    if hard:
                        t.up.add_constraints.append(Constraint(field=name, op="include", value=value,
                                                               source=m.group(0)))
                    else:
                        t.up.likes.append(Preference(field=name, value=value, weight=1.0, source=m.group(0)))
                    t.structured += 1

    # --- values -----------------------------------------------------------------------------
    def _values(self, t: _Turn) -> None:
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
        either = _alternatives(t.tokens, found)
        for k, m in enumerate(found):
            t.taken[m.start : m.end] = True
            t.structured += 1
            self._value_action(t, m, alternative=k in either)

    def _value_action(self, t: _Turn, m: Match, alternative: bool) -> None:
        up = t.up
        source = " ".join(t.tokens[max(0, m.start - 3) : m.end])
        polarity = _polarity(t.tokens, t.clause, m.start, m.end)
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
        elif polarity == "soft_pos" or alternative:
            up.likes.append(Preference(field=m.field, value=value, weight=1.0, source=source))
        else:
            up.add_constraints.append(Constraint(field=m.field, op="include", value=value, source=source))

    def _field_retractions(self, t: _Turn) -> None:
        """"any year is fine", "forget about the year", "no year limit": drop a whole field."""
        for i, tok in enumerate(t.tokens):
            name = self.retractable.get(tok)
            if t.taken[i] or name is None:
                continue
            prev = t.tokens[i - 1] if i else ""
            nxt = t.tokens[i + 1] if i + 1 < len(t.tokens) else ""
            if (prev in ("any", "whatever", "all") or prev == "no" and nxt in FIELD_LIMIT_WORDS
                    or _polarity(t.tokens, t.clause, i, i + 1) == "retract"):
                if name not in t.up.remove_fields:
                    t.up.remove_fields.append(name)
                    t.up.notes.append(f"dropped every constraint on {name}")
                t.taken[i] = True
                if nxt in FIELD_LIMIT_WORDS:
                    t.taken[i + 1] = True
                t.structured += 1

    def _residual(self, t: _Turn) -> list[str]:
        up = t.up
        words, negative = [], []
        for i, tok in enumerate(t.tokens):
            if (t.taken[i] or not tok.replace("'", "").isalpha() or len(tok) < 3 or tok in STOPWORDS
                    or tok in FILLER or tok in CUE_WORDS or tok in SMALLTALK_WORDS or _contraction(tok)):
                continue
            polarity = _polarity(t.tokens, t.clause, i, i + 1)
            if polarity == "retract":
                up.remove_keys.append(f"text:{tok}")
            elif polarity in ("hard_neg", "soft_neg"):
                negative.append(tok)
            else:
                words.append(tok)
        for w in dict.fromkeys(negative):
            up.dislikes.append(Preference(field=None, value=w, weight=-1.0, source=t.text[:80]))
        keywords = list(dict.fromkeys(words))
        if keywords:
            up.keywords.append(" ".join(keywords))
        return keywords

    # --- numbers ----------------------------------------------------------------------------
    def _numbers(self, t: _Turn) -> None:
        schema = self.catalog.schema
        joined = t.joined
        if schema.year:
            self._years(t, schema.year)
        if schema.rating:
            high = 4.0 if self.rating_scale == 5 else round(0.8 * self.rating_scale, 1)
            for m in re.finditer(r"\b(highly|well|top|best|critically|higher) (rated|reviewed|acclaimed)\b"
                                 r"|\b(acclaimed|great reviews|good reviews)\b", joined):
                if t.free(m):
                    self._bound(t, m, schema.rating, [("gte", high)])
        # "between 3.5 and 4.5 stars"
        for m in re.finditer(rf"\bbetween (?P<a>{NUM}) and (?P<b>{NUM})\b", joined):
            if not t.free(m):
                continue
            a, b = sorted((_number(m.group("a")), _number(m.group("b"))))
            name = self._field_near(t, m) or (schema.year if schema.year and 1000 <= a <= b <= 2100 else None)
            if name:
                self._bound(t, m, name, [("gte", a), ("lte", b)])
        # comparatives with a number and a field word: "rated at least 4", "over 100,000 ratings"
        for m in RE_COMPARISON.finditer(joined):
            if not t.free(m) or m.group("u2") and m.group("u2") not in self.field_words:
                continue
            number = _number(m.group("n1") or m.group("n2"))
            comp = COMPARATORS[m.group("c1")] if m.group("c1") else POST_COMPARATORS[m.group("c2")]
            name = self.field_words[m.group("u2")] if m.group("u2") else self._field_near(t, m)
            a, b = t.span(m)
            if name is None:
                unit = t.tokens[b] if b < len(t.tokens) and t.tokens[b].isalpha() else ""
                t.up.notes.append(f"'{' '.join(t.tokens[a:b] + [unit]).strip()}' ignored: the catalog has no such field")
                t.taken[a : b + (1 if unit and unit not in STOPWORDS else 0)] = True
                continue
            if name == schema.year and number < 1000:
                continue
            step = 1.0 if float(number).is_integer() and name in self.whole_fields else 0.0
            op = "gte" if comp in ("gt", "gte") else "lte"
            value = number + step if comp == "gt" else number - step if comp == "lt" else number
            self._bound(t, m, name, [(op, value)], source=" ".join(t.tokens[max(0, a - 2) : b + 2]))

    def _years(self, t: _Turn, y: str) -> None:
        joined = t.joined

        def each(pattern: str):
            for m in re.finditer(pattern, joined):
                if t.free(m):
                    yield m

        for m in each(r"\b(?:between|from) (\d{4}) (?:and|to|-|until|till) (\d{4})\b|\b(\d{4}) ?(?:-|to) ?(\d{4})\b"):
            a, b = sorted(int(g) for g in m.groups() if g)
            if 1000 <= a <= 2100:
                self._bound(t, m, y, [("gte", a), ("lte", b)])
        for m in each(r"\b(?:(early|mid|late) (?:- )?)?(\d{2})?(\d)0 ?'?s\b"):
            part, head, digit = m.group(1), m.group(2), int(m.group(3))
            if head and digit == 0 and int(head) < 20:  # "the 1800s": a century
                start, span = int(head) * 100, 100
            else:
                century = int(head) if head else (20 if 2000 + digit * 10 <= (self.max_year or 2030) else 19)
                start, span = century * 100 + digit * 10, 10
            lo, hi = (0, span - 1) if not part else (PARTS[part][0] * span // 10, (PARTS[part][1] + 1) * span // 10 - 1)
            self._bound(t, m, y, [("gte", start + lo), ("lte", start + hi)])
        for m in each(r"\b(?:(early|mid|late) (?:- )?)?(" + "|".join(DECADE_WORDS) + r")\b"):
            start = 1900 + DECADE_WORDS[m.group(2)] * 10
            lo, hi = PARTS.get(m.group(1) or "", (0, 9))
            self._bound(t, m, y, [("gte", start + lo), ("lte", start + hi)])
        for m in each(r"\b(after|since|post|newer than|later than|published after|released after|starting"
                      r"|starting from|from) (\d{4})( (?:on|onwards?|and later|or later|and after|forward|\+"
                      r"|and newer|or newer))?\b"):
            year = int(m.group(2))
            if m.group(1) == "from" and not m.group(3):  # "books from 2015": that year
                self._bound(t, m, y, [("gte", year), ("lte", year)])
            else:
                strict = m.group(1) in ("after", "post", "newer than", "later than", "published after", "released after")
                self._bound(t, m, y, [("gte", year + (1 if strict else 0))])
        for m in each(r"\b(before|until|till|up to|older than|earlier than|pre|prior to|published before"
                      r"|released before) (\d{4})\b"):
            strict = m.group(1) not in ("until", "till", "up to")
            self._bound(t, m, y, [("lte", int(m.group(2)) - (1 if strict else 0))])
        for m in each(r"\b(?:in|of|published in|released in|written in|year|circa|around) (\d{4})\b"):
            if 1000 <= int(m.group(1)) <= 2100:
                self._bound(t, m, y, [("gte", int(m.group(1))), ("lte", int(m.group(1)))])
        centuries = {"this century": (2000, None), "21st century": (2000, None), "20th century": (1900, 1999),
                     "19th century": (1800, 1899), "18th century": (1700, 1799), "last century": (1900, 1999)}
        for m in each(r"\b(" + "|".join(centuries) + r")\b"):
            lo, hi = centuries[m.group(1)]
            self._bound(t, m, y, [(op, v) for op, v in (("gte", lo), ("lte", hi)) if v is not None])
        if self.max_year:
            for m in each(r"(?<!more )(?<!less )\b(recent|latest|newest|new releases?|brand new|just (came )?out)\b"):
                self._bound(t, m, y, [("gte", self.max_year - 5)])

    def _bound(self, t: _Turn, m: re.Match, name: str, bounds: list[tuple[str, float]], source: str = "") -> None:
        """Adds the bounds read from ``m``, reading a negation ("nothing before 1950") or a
        retraction ("forget about the 90s") placed before it."""
        a, b = t.span(m)
        t.taken[a:b] = True
        t.structured += 1
        polarity = _number_polarity(t.tokens, t.clause, a, b)
        up = t.up
        if polarity == "retract":
            if name not in up.remove_fields:
                up.remove_fields.append(name)
            return
        if polarity in ("hard_neg", "soft_neg"):
            if len(bounds) != 1:
                up.notes.append(f"'{m.group(0)}' ignored: cannot exclude a range")
                return
            step = 1.0 if name in self.whole_fields and float(bounds[0][1]).is_integer() else 0.0
            op, value = bounds[0]
            bounds = [("lte", value - step)] if op == "gte" else [("gte", value + step)]
        for op, value in bounds:
            up.add_constraints.append(Constraint(field=name, op=op, value=float(value), source=source or m.group(0)))

    def _field_near(self, t: _Turn, m: re.Match) -> str | None:
        a, b = t.span(m)
        for j in list(range(a, b)) + list(range(b, min(b + 3, len(t.tokens)))) + list(range(a - 1, max(-1, a - 4), -1)):
            name = self.field_words.get(t.tokens[j])
            if name is not None:
                t.taken[j] = True
                return name
        return None

    # --- relative modifiers -------------------------------------------------------------------
    def _relative(self, t: _Turn) -> None:
        schema = self.catalog.schema
        up = t.up
        anchor_rows = self.catalog.rows([a.id for a in up.anchors])
        base_rows = anchor_rows if len(anchor_rows) else self.catalog.rows(t.ctx.last_shown)
        numeric = schema.numeric
        length = next((f for f in numeric if any(k in f.lower() for k in ("page", "runtime", "duration", "length",
                                                                        "minutes"))), None)
        price = next((f for f in numeric if "price" in f.lower() or "cost" in f.lower()), None)
        rules = [
            (r"\b(newer|more recent|more modern)\b", schema.year, "gte", "newer"),
            (r"\b(older|earlier|more classic|less recent)\b", schema.year, "lte", "older"),
            (r"\b(shorter|quicker read|less long)\b", length, "lte", None),
            (r"\b(longer|more substantial)\b", length, "gte", None),
            (r"\b(cheaper|less expensive)\b", price, "lte", None),
            (r"\b(better rated|higher rated|better reviewed)\b", schema.rating, "gte", "better_rated"),
        ]
        for pattern, name, op, sort in rules:
            for m in re.finditer(pattern, t.joined):
                if not t.free(m):
                    continue
                t.take(m)
                t.structured += 1
                if name is None:
                    up.notes.append(f"'{m.group(0)}' ignored: the catalog has no such field")
                    continue
                values = self.catalog.numeric[name][base_rows] if len(base_rows) else np.array([])
                values = values[np.isfinite(values)]
                if values.size == 0:
                    up.sort = sort or up.sort
                    continue
                step = 1.0 if name in self.whole_fields else 0.1 if name == schema.rating else 0.01
                pivot = float(np.median(values))
                value = pivot + step if op == "gte" else pivot - step
                up.add_constraints.append(Constraint(field=name, op=op, value=round(value, 2), source=m.group(0)))
        # obscure first, so "less well known" is not read as "well known"
        sorts = ((r"\b(obscure|lesser known|less known|less well known|not well known|hidden gems?|underrated"
                  r"|not popular|less popular|niche|unknown)\b", "obscure"),
                 (r"\b(more popular|popular|bestsellers?|best sellers?|well known|famous|mainstream)\b", "popular"))
        for pattern, sort in sorts:
            for m in re.finditer(pattern, t.joined):
                if t.free(m):
                    t.take(m)
                    up.sort = sort
                    t.structured += 1

    def _less(self, t: _Turn) -> None:
        for m in re.finditer(r"\b(less|not so|not too|not as) ([a-z]{3,})\b", t.joined):
            word = m.group(2)
            if t.free(m) and word not in STOPWORDS and word not in FILLER:
                t.take(m)
                t.up.dislikes.append(Preference(field=None, value=word, weight=-1.0, source=m.group(0)))
                t.up.remove_keys.append(f"text:{word}")
                t.structured += 1


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
        for w in ("year", "years", "decade", "era", "date", "period"):
            words[w] = schema.year
    return words


def _number(text: str) -> float:
    text = text.replace(",", "").strip()
    scale = 1.0
    for suffix, mult in ((" thousand", 1e3), (" million", 1e6), ("thousand", 1e3), ("million", 1e6), (" k", 1e3),
                         ("k", 1e3), (" m", 1e6), ("m", 1e6)):
        if text.endswith(suffix):
            text, scale = text[: -len(suffix)].strip(), mult
            break
    value = 1.0 if text in ("a", "one") else float(text)
    return value * scale


def _merge_bounds(up: StateUpdate) -> None:
    """Several ranges on one field in one message ("the 90s or 2000s") mean their hull."""
    merged: dict[tuple[str, str], Constraint] = {}
    out = []
    for c in up.add_constraints:
        if c.op not in ("gte", "lte"):
            out.append(c)
            continue
        prev = merged.get((c.field, c.op))
        if prev is None:
            merged[(c.field, c.op)] = c
            out.append(c)
        elif (c.op == "gte") == (float(c.value) < float(prev.value)):
            prev.value, prev.source = c.value, f"{prev.source}; {c.source}"
    up.add_constraints = out


def _defuse(up: StateUpdate) -> None:
    """A message that tries to instruct the assistant changes nothing hard: its values become
    soft preferences and its bounds are dropped; an item it names can only be an anchor."""
    for c in up.add_constraints:
        if c.op in ("include", "exclude"):
            pref = Preference(field=c.field, value=str(c.value), weight=1.0 if c.op == "include" else -1.0,
                              source=c.source)
            (up.likes if c.op == "include" else up.dislikes).append(pref)
    if up.add_constraints or up.remove_fields or up.remove_keys:
        up.notes.append("constraints from that message were kept as soft preferences only")
    up.add_constraints, up.remove_fields, up.remove_keys = [], [], []
    up.accepted_item = None
    up.reset = False


def _alternatives(tokens: list[str], found: list[Match]) -> set[int]:
    """Indices of values offered as alternatives ("fantasy or sci-fi"): soft, since a hard
    include of both would ask for items that are both."""
    out = set()
    for k in range(len(found) - 1):
        a, b = found[k], found[k + 1]
        between = [w for w in tokens[a.end : b.start] if w != ","]
        if a.field == b.field and between in (["or"], ["and", "or"], ["and", "/", "or"], ["/"]):
            out |= {k, k + 1}
    return out


def _item_nouns(tokens: list[str]) -> set[str]:
    """Item nouns used as nouns: "book me a flight" is a verb."""
    return {tok for i, tok in enumerate(tokens) if tok in ITEM_NOUNS
            and not (i + 1 < len(tokens) and tokens[i + 1] in ("me", "us", "a", "an", "the", "my", "our", "tickets"))}


def _clauses(tokens: list[str]) -> list[int]:
    """A clause id per token; a break token gets -1, so that no clause includes it. "but"
    after "anything"/"any genre" means "except" and does not break."""
    out, c = [], 0
    for i, t in enumerate(tokens):
        if t in CLAUSE_BREAKS and not (t == "but" and _except_but(tokens, i)):
            c += 1
            out.append(-1)
            continue
        out.append(c)
    return out


def _except_but(tokens: list[str], i: int) -> bool:
    prev = tokens[i - 1] if i else ""
    return prev in ("anything", "everything", "all", "nothing", "whatever") or i >= 2 and tokens[i - 2] == "any"


def _contraction(tok: str) -> bool:
    """"what's", "i've", "don't": grammar, not a descriptor (a possessive like "king's" stays)."""
    base, _, tail = tok.partition("'")
    return bool(tail) and (tail != "s" or base in STOPWORDS or base in ("let", "here", "who", "where", "how"))


def _ref_word(tok: str) -> bool:
    """A word that may name a shown item ("#2", "second", "one", "it"), kept for the reference reader."""
    return tok in ORDINALS or tok.isdigit() or tok.startswith("#") or tok in ("one", "it", "that", "this", "last")


def _nearest_cue(tokens, clause, start, table, end_at: int | None = None) -> tuple[str, int] | None:
    """The cue phrase nearest before ``start`` in its clause: (label, distance in tokens).
    Overlapping cues resolve to the longest ("not a fan of" over "fan of", "no more" over "more")."""
    if start >= len(tokens) or not tokens:
        return None
    cid = clause[start]
    lo = start
    while lo > 0 and clause[lo - 1] == cid and start - lo < 15:
        lo -= 1
    index = _index(table)
    hits = []  # (end, start, label)
    for s in range(lo, start):
        for phrase, label in index.get(tokens[s], ()):
            n = len(phrase)
            if s + n <= start and tuple(tokens[s : s + n]) == phrase and (end_at is None or s + n == end_at):
                hits.append((s + n, s, label))
    if not hits:
        return None
    last_end, last_start, _ = max(hits, key=lambda h: (h[0], -h[1]))
    cluster = [h for h in hits if h[0] > last_start or h[1] >= last_start]
    end, s, label = min(cluster, key=lambda h: (h[1], -h[0]))
    return label, start - max(end, last_end)


def _postfix_cue(tokens, clause, end, table) -> tuple[str, int] | None:
    """The cue phrase nearest after ``end`` in its clause ("horror is fine")."""
    if end >= len(tokens) or end == 0:
        return None
    cid = clause[end - 1]
    index = _index(table)
    for s in range(end, min(len(tokens), end + 15)):
        if clause[s] != cid:
            break
        for phrase, label in sorted(index.get(tokens[s], ()), key=lambda c: -len(c[0])):
            if tuple(tokens[s : s + len(phrase)]) == phrase:
                return label, s - end
    return None


_indexes: dict[int, dict[str, list]] = {}


def _index(table) -> dict[str, list]:
    """Cue phrases by first word (the tables are module constants, indexed once)."""
    key = id(table)
    if key not in _indexes:
        index: dict[str, list] = {}
        for phrase, label in table:
            index.setdefault(phrase[0], []).append((phrase, label))
        _indexes[key] = index
    return _indexes[key]


def _polarity(tokens: list[str], clause: list[int], start: int, end: int) -> str:
    """How the words at [start, end) are meant: request, soft_pos, soft_neg, hard_neg or retract."""
    before = _nearest_cue(tokens, clause, start, POLARITY_CUES)
    after = _postfix_cue(tokens, clause, end, POSTFIX_CUES)
    if after is not None and (before is None or after[1] < before[1]):
        return after[0]
    return before[0] if before else "request"


def _number_polarity(tokens: list[str], clause: list[int], start: int, end: int) -> str:
    """Like ``_polarity``, but a cue counts only when nothing but glue words separate it from
    the number ("nothing from the 90s"; not "no horror from the 90s")."""
    j = start
    while j > 0 and tokens[j - 1] in NUMBER_GLUE:
        j -= 1
    before = _nearest_cue(tokens, clause, start, POLARITY_CUES, end_at=j)
    after = _postfix_cue(tokens, clause, end, POSTFIX_CUES)
    if after is not None and after[0] == "retract" and after[1] == 0:
        return "retract"
    return before[0] if before else "request"


def _char_to_token(tokens: list[str]) -> dict[int, int]:
    spans, pos = {}, 0
    for i, t in enumerate(tokens):
        for k in range(len(t) + 1):
            spans[pos + k] = i
        pos += len(t) + 1
    return spans


def _find_span(tokens: list[str], needle: list[str], taken: np.ndarray) -> tuple[int, int] | None:
    n = len(needle)
    for i in range(len(tokens) - n + 1):
        if tokens[i : i + n] == needle and not taken[i : i + n].any():
            return i, i + n
    return None
