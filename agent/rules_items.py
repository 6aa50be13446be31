"""Reading the items a message names or points at: "#2", "the last one", "it", titles
(quoted, after a cue, or anywhere), and what the message does with each (likes, rejects,
has seen, asks about, accepts).

A mixin of ``RuleParser``: these readers share its catalog and vocabulary, and are many
enough to bury the rest of the parser.
"""

from __future__ import annotations

import re

from recpilot.agent.clauses import nearest_cue, polarity_at
from recpilot.agent.cues import (
    CLAUSE_BREAKS,
    FILLER,
    ITEM_AFTER,
    ITEM_CUES,
    NEGATED_COPULAS,
    ORDINALS,
    PRAISE_WORDS,
    RE_LIKE_IT,
    RE_NONE_OF_THESE,
    RE_READ_SHOWN,
    RE_SEEN_SHOWN,
    REF_FOLLOW,
    REF_NOUNS,
    ROLE_WORDS,
)
from recpilot.agent.mentions import Linker, MentionIndex, token_offsets
from recpilot.agent.series import series_phrase
from recpilot.agent.stance import StanceModel, StanceReading
from recpilot.agent.turn import Mention, Turn
from recpilot.agent.vocabulary import ITEM_NOUNS, STOPWORDS, Vocabulary
from recpilot.catalog import Catalog
from recpilot.preferences import Constraint, ItemRef, Preference


class ItemRules:
    """The item readers of ``RuleParser`` (which sets ``vocab`` and ``catalog``)."""

    vocab: Vocabulary
    catalog: Catalog
    linker: Linker
    mention_index: MentionIndex
    stance: StanceModel | None
    stance_rule: str

    def _reject_all_shown(self, t: Turn) -> None:
        """"none of these" turns down every item shown; "I've read all of those" marks them read."""
        for regex, target, note in ((RE_NONE_OF_THESE, t.up.rejected_items, "turned down every item shown"),
                                    (RE_READ_SHOWN, t.up.read_items, "has read every item shown")):
            m = regex.search(t.joined)
            if m is None or not t.ctx.last_shown or not t.free(m):
                continue
            t.take(m)
            t.structured += 1
            known = {r.id for r in target}
            for item_id in t.ctx.last_shown:
                ref = self._ref(item_id)
                if ref is not None and ref.id not in known:
                    target.append(ref)
            t.up.note(note, "rejected_shown" if target is t.up.rejected_items else "read")

    def _reply_to_shown(self, t: Turn) -> None:
        """A verdict on what was just shown, with no item named: "haven't seen it but it sounds
        good", "loved that one", "not for me", "I've seen both". It applies to the item in focus,
        to the only item shown, or to all of them when the message says "both", "them", "those"."""
        up, ctx = t.up, t.ctx
        if t.mentions or up.asked_item or up.accepted_item or not ctx.last_shown or up.rejected_items \
                or up.read_items or up.liked_items or any(n.kind == "injection" for n in up.notes):
            return
        pointing = _POINTERS & set(t.tokens)
        # (a leading "No" is no verdict: it mostly answers "have you seen it?")
        if not pointing and (up.add_constraints or up.likes or up.dislikes or up.anchors):
            return  # a request with no word pointing back: not a verdict on what was shown
        if ctx.focus_item:
            targets = [ctx.focus_item]
        elif pointing & _PLURAL or len(ctx.last_shown) <= 2:
            # one or two shown: a reply is about them (on ReDial, where a person names one or two,
            # this reads a fifth of the liked labels); of five, a bare "sounds good" says which?
            targets = list(ctx.last_shown)
        else:
            return
        seen = RE_SEEN_SHOWN.search(t.joined) is not None
        reading = self.stance.read(t.text, [], self.stance_rule)[0] if self.stance is not None else None
        verdict = _stance("seen" if seen else None, reading, self.stance_rule)
        # an item the user already gave a verdict on keeps it; a vague reply does not overturn it
        # (by title too: a remake shares it, and "Ghostbusters wasn't good" named one of the two)
        judged = ctx.state.liked_items + ctx.state.rejected_items
        known = {r.id for r in judged} | {r.title.lower() for r in judged}
        refs = [r for r in (self._ref(i) for i in targets if i not in known)
                if r is not None and r.title.lower() not in known]
        if not refs:
            return
        if verdict == "liked":
            up.liked_items += refs
            up.anchors += refs
        elif verdict == "rejected":
            up.rejected_items += refs
        elif verdict == "seen":
            up.read_items += refs
        else:
            return
        t.structured += 1
        up.note(f"read as {verdict}: " + ", ".join(r.title for r in refs), "info")

    def _ref(self, item_id: str) -> ItemRef | None:
        if not self.catalog.has(item_id):
            return None
        return ItemRef(id=item_id, title=self.catalog.get(item_id).title)

    def _references(self, t: Turn) -> list[tuple[int, ItemRef]]:
        """"#2", "the second one", "number 3", "the last one", "that one", "it" (the focus)."""
        tokens, shown, ctx = t.tokens, t.ctx.last_shown, t.ctx
        out: list[tuple[int, ItemRef]] = []
        for i, tok in enumerate(tokens):
            if t.taken[i]:
                continue
            count = _COUNTS.get(tokens[i + 1]) if tok in ("first", "top") and i + 1 < len(tokens) else None
            if count and shown and (i + 2 >= len(tokens) or tokens[i + 2] not in ITEM_NOUNS | {"books"}):
                # "read the first two already": the first items shown, not the first of a series
                span = 3 if i + 2 < len(tokens) and tokens[i + 2] in ("ones", "of") else 2
                t.taken[i : i + span] = True
                t.structured += 1
                out += [(i, ref) for ref in (self._ref(x) for x in shown[:count]) if ref is not None]
                continue
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            n, span, target = None, 1, None
            if tok.startswith("#") and tok[1:].isdigit():
                n = int(tok[1:])
            elif tok in ORDINALS and (nxt in REF_NOUNS or (i and tokens[i - 1] in ("the", "your", "that"))
                                      and (nxt is None or nxt in REF_FOLLOW)):
                if nxt in REF_NOUNS and i + 2 < len(tokens) and tokens[i + 2] in ("of", "in"):
                    continue  # "the first book of a mystery series": not the first item shown
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
                    t.up.note(f"nothing has been shown as #{n} yet", "unapplied")
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
                t.up.note(f"ignored a reference to an item that is not in the catalog ({target})", "unapplied")
                continue
            out.append((i, ref))
        return out

    def _titles(self, t: Turn) -> list[tuple[int, ItemRef]]:
        """Titles and series the message names (``agent/mentions.py`` decides what links); a
        series stands for its best-known volume."""
        out = []
        for c in self.linker.link(t.text, t.tokens, t.caps, t.taken, people=False):
            t.taken[c.start : c.end] = True
            t.structured += 1
            if c.kind == "series":
                row = self.mention_index.representative(c.value)
                if row is None:
                    continue
                item = self.catalog.items[row]
                t.up.note(f"{series_phrase(c.value)}, read as {item.title}", "series", item.id)
                out.append((c.start, ItemRef(id=item.id, title=item.title)))
            else:
                out.append((c.start, ItemRef(id=c.value, title=c.label)))
        return out

    def _decide_items(self, t: Turn, refs: list[tuple[int, ItemRef]], ask, accept) -> None:
        """Per item named: asked about, accepted, already seen, rejected, liked or an anchor."""
        up = t.up
        labels = [self._item_cue(t, start) for start, _ in refs]
        spans = [_item_span(t, start) for start, _ in refs]
        for k in range(1, len(refs)):  # "read Dune, Foundation and Hyperion": one cue for the list
            between = t.tokens[spans[k - 1][1] : spans[k][0]]
            if labels[k] is None and labels[k - 1] and all(w in (",", "and", "or", "&", "plus") for w in between):
                labels[k] = labels[k - 1]
        if RE_SEEN_SHOWN.search(t.joined):  # "the 2nd one sounds good but I've read it"
            labels = ["seen" if label in ("liked", None) else label for label in labels]
        asked = accepted = None
        if ask is not None:
            same = [ref for (start, ref) in refs if t.clause[start] == t.clause[t.span(ask)[0]]]
            asked = (same or [ref for _, ref in refs] or [None])[0] or self._implicit(t, ask)
        elif accept is not None:
            ok = [(start, ref) for (start, ref), label in zip(refs, labels, strict=True) if label != "rejected"]
            same = [ref for start, ref in ok if t.clause[start] == t.clause[t.span(accept)[0]]]
            accepted = (same or [ref for _, ref in ok][-1:] or [None])[0] or self._implicit(t, accept)
        readings = self._readings(t, spans) if any(label in ("seen", None, "anchor", "unseen") for label in labels) \
            else []
        for k, ((start, ref), label) in enumerate(zip(refs, labels, strict=True)):
            if asked is not None and ref.id == asked.id:
                continue
            if accepted is not None and ref.id == accepted.id:
                continue
            end = spans[k][1]
            label = _stance(label, readings[k] if readings else None, self.stance_rule)
            t.mentions.append(Mention(start, end, ref, label))
            if label == "seen":
                up.read_items.append(ref)
                up.note(f"already read/seen: {ref.title}", "read", ref.id)
            elif label == "rejected":
                up.rejected_items.append(ref)
                t.mark_reasons(start)
            elif label == "unseen":
                pass  # named, so "anything like it" can find it, and otherwise left as it was
            else:
                if label in ("liked", "more_like"):
                    up.liked_items.append(ref)
                    t.mark_reasons(start, praise=True)
                up.anchors.append(ref)
        self._like_it(t)
        if asked is not None:
            up.asked_item = asked
        if accepted is not None:
            up.accepted_item = accepted
            up.liked_items.append(accepted)

    def _like_it(self, t: Turn) -> None:
        """"just finished X ... anything like it?": X, read or liked, is what to find more like."""
        m = RE_LIKE_IT.search(t.joined)
        up = t.up
        if m is None or polarity_at(t.tokens, t.clause, *t.span(m)) in ("hard_neg", "soft_neg"):
            return
        both = re.search(r"\b(?:like|as) (?:those|these|them|both)(?: two| three)?\b|\blike both\b", t.joined)
        if up.anchors and not both:
            return
        ok = ("seen", "liked", None, "anchor", "unseen") if both else ("seen", "liked", None, "unseen")
        found = [mention.ref for mention in t.mentions if mention.label in ok]
        if both:  # "X was even better than Y. more like those two": both are liked
            up.liked_items += [r for r in found if r.id not in {x.id for x in up.liked_items}]
        found = [r for r in found if r.id not in {x.id for x in up.anchors}]
        if found:
            up.anchors += found
            up.note("more like " + ", ".join(r.title for r in found), "info")

    def _implicit(self, t: Turn, cue: re.Match) -> ItemRef | None:
        """The item meant when none is named ("sounds great, I'll take it", "what's it about?"):
        the focus, or the only one shown; none when the clause names something else ("tell me
        about dragons")."""
        ctx, clause = t.ctx, t.clause[t.span(cue)[0]]
        if any(c == clause and not t.taken[i] and tok.isalpha() and tok not in STOPWORDS and tok not in FILLER
               for i, (tok, c) in enumerate(zip(t.tokens, t.clause, strict=True))):
            return None
        target = ctx.focus_item or (ctx.last_shown[0] if len(ctx.last_shown) == 1 else None)
        return self._ref(target) if target else None

    def _readings(self, t: Turn, spans: list[tuple[int, int]]) -> list[StanceReading | None]:
        """The stance model's reading of each named item (token spans), in one call; none
        without a model."""
        if self.stance is None or not spans:
            return [None] * len(spans)
        offsets = token_offsets(t.text, t.tokens)
        return list(self.stance.read(t.text, [(offsets[a][0], offsets[b - 1][1]) for a, b in spans], self.stance_rule))

    def _item_cue(self, t: Turn, start: int) -> str | None:
        before = nearest_cue(t.tokens, t.clause, start, ITEM_CUES)
        if before is not None:
            if before[0] == "anchor" and t.tokens[_clause_start(t, start)] in ("nothing", "no", "none"):
                return "rejected"  # "nothing too sad like Hachi": an example of what not to show
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
        if window[:2] in (["was", "not"], ["is", "not"]):
            window = ["wasn't", *window[2:]]
        if window and window[0] in NEGATED_COPULAS and PRAISE_WORDS & set(window[1:4]):
            return "rejected"
        if window[:1] == ["fan"]:  # "a big Robin Hood fan", "not a Star Wars fan"
            negated = any(w in ("not", "never") or w.endswith(("n't", "nt")) for w in t.tokens[max(0, start - 4) : start])
            return "rejected" if negated else "liked"
        if window[:1] and window[0] in ("is", "was", "seemed", "felt", "gets", "got") and _too(window[1:5]):
            return "rejected"  # "I Robot is a little too technical for me"
        table = sorted(ITEM_AFTER, key=lambda c: -len(c[0]))
        for s in range(len(window)):
            for phrase, label in table:
                if tuple(window[s : s + len(phrase)]) == phrase:
                    return label
        return None

    def _same_people(self, t: Turn, refs: list[tuple[int, ItemRef]]) -> None:
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


#: words that point back at what was shown ("loved it", "seen both", "not that one")
_PLURAL = frozenset("both them those these".split())
_POINTERS = _PLURAL | frozenset("it that this one".split())


def _clause_start(t: Turn, i: int) -> int:
    while i > 0 and t.clause[i - 1] == t.clause[i]:
        i -= 1
    return i


def _too(words: list[str]) -> bool:
    """"too slow", "a little to technical" (typed fast), not "too good to miss"."""
    for k, w in enumerate(words[:-1]):
        if (w == "too" or (w == "to" and k > 0 and words[k - 1] in ("little", "bit", "way"))) \
                and words[k + 1] not in PRAISE_WORDS:
            return True
    return False


def _item_span(t: Turn, start: int) -> tuple[int, int]:
    """The tokens of a named item: from ``start`` over the words its reader took."""
    end = start + 1
    while end < len(t.tokens) and t.taken[end]:
        end += 1
    return start, end


_COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5, "2": 2, "3": 3, "4": 4, "5": 5}


def _stance(label: str | None, reading: StanceReading | None, rule: str = "product") -> str | None:
    """A cue settles an item ("loved X", "hated X", "something like X"); where it leaves that
    open ("just finished X and couldn't put it down", "X was way too slow", a bare "X"), the
    stance model's reading decides: read and liked, read and disliked, or only read. Having
    read something leans liked in the model's human data ("I've seen it" mostly is), so a read
    item counts as liked only on a clear reading."""
    if label == "anchor" and reading is not None and reading.label == "liked" \
            and reading.probs["liked"] >= SEEN_AND_LIKED:
        return "liked"  # "a book like The Secret History, I loved the dark academia vibe"
    if label == "unseen" and rule == "redial":
        label = None  # ReDial's seekers mark a film they have not seen by whether they would watch it
    if label not in ("seen", None) or reading is None:
        return label
    if reading.label == "disliked":
        return "rejected"
    if reading.label == "liked" and (label is None or rule == "redial" or reading.probs["liked"] >= SEEN_AND_LIKED):
        return "liked"
    return label


#: how sure the model must be that a read item was liked ("I've read it" alone reads about 0.5)
SEEN_AND_LIKED = 0.6
