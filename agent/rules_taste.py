"""The readers of what a person says about themselves and their taste, beside the items and
values: the context around a request ("for my commute", "couldn't put it down"), whether it is
a new request, who it is for, a series they want continued, and descriptors read by meaning.

A mixin of ``RuleParser``, like ``ItemRules`` and ``NumberRules``.
"""

from __future__ import annotations

from recpilot.agent.audience import audience_update, find_audience
from recpilot.agent.clauses import polarity_at
from recpilot.agent.cues import (
    CONTEXT_WORDS,
    FORMAT_WORDS,
    RE_CONTEXT,
    RE_FIRST_OF_SERIES,
    RE_MORE_TOPIC,
    RE_NEW_TOPIC,
    RE_OTHER_PEOPLE,
    RE_SERIES_NEXT,
    RE_SERIES_START,
)
from recpilot.agent.descriptors import RELEVANT, Descriptors, lexicon_spans
from recpilot.agent.mentions import MentionIndex
from recpilot.agent.series import series_phrase
from recpilot.agent.turn import Turn
from recpilot.agent.vocabulary import Vocabulary
from recpilot.catalog import Catalog
from recpilot.preferences import Constraint, ItemRef, Preference

#: leftover phrases weighed by meaning per message (each is embedded)
MAX_RUNS = 12
#: how strongly a descriptor's hinted labels count, at best (scaled by their similarity)
HINT_WEIGHT = 1.0


class TasteRules:
    """Readers of ``RuleParser`` (which sets ``catalog``, ``mention_index`` and ``descriptors``)."""

    catalog: Catalog
    vocab: Vocabulary
    mention_index: MentionIndex
    descriptors: Descriptors

    def _context(self, t: Turn) -> None:
        """The reader's situation is context: its words are neither searched nor titles."""
        found = [m.group(0) for m in RE_CONTEXT.finditer(t.joined) if t.free(m)]
        for m in RE_CONTEXT.finditer(t.joined):
            if t.free(m):
                t.take(m, keep_refs=True)
        if found:
            t.up.note("read as context: " + "; ".join(found), "info")

    def _topic(self, t: Turn) -> None:
        if RE_NEW_TOPIC.search(t.joined):
            t.up.topic = "new"
            t.up.note("a new request: the earlier one is set aside", "new_request")
        elif RE_MORE_TOPIC.search(t.joined):
            t.up.topic = "refine"

    def _audience(self, t: Turn) -> None:
        found = find_audience(t.joined)
        if found is None:
            return
        a, b = found.span
        span = (t.spans[a], t.spans[max(b - 1, a)] + 1)
        t.taken[span[0] : span[1]] = True
        if audience_update(self.catalog.schema, found, t.up, t.joined[a:b]):
            t.structured += 1

    def _series_request(self, t: Turn) -> None:
        """"the next one after Mockingjay", "where do I start with Discworld", "what order for the
        Narnia books": the named (or last talked about) item's series becomes wanted, from after
        its place on for "next"; "not the rest of the Millennium books yet" keeps the series out,
        as it is by default. Without a named series, "the first book of a mystery series" asks
        for first volumes."""
        index = self.mention_index
        if not index.series_field:
            return
        up = t.up
        nxt = RE_SERIES_NEXT.search(t.joined)
        m = nxt or RE_SERIES_START.search(t.joined)
        if m is None:
            self._first_volumes(t)
            return
        a, b = t.span(m)
        t.taken[a:b] = True  # (it may share a word with the series it names: "start the Outlander series")
        if polarity_at(t.tokens, t.clause, a, b) in ("hard_neg", "soft_neg"):
            return
        ref, name = self._series_ref(t, b)
        if name is None:
            self._first_volumes(t)
            return
        t.structured += 1
        field = index.series_field
        if nxt is None:  # where to start, in what order: the series itself, not books like it
            up.add_constraints.append(Constraint(field=field, op="include", value=name, source=m.group(0)))
            up.sort = "series_order"
            up.anchors = [r for r in up.anchors if r.id != ref.id]
            up.liked_items = [r for r in up.liked_items if r.id != ref.id]
            up.read_items = [r for r in up.read_items if r.id != ref.id]
            up.note(f"{series_phrase(name)}, in order", "series")
            return
        row = self.catalog.index[ref.id]
        position = self.catalog.numeric[index.position_field][row] if index.position_field else float("nan")
        later = [r for p, r in index.series_members.get(name, []) if p == p and position == position and p > position]
        if ref.id not in {r.id for r in up.liked_items + up.rejected_items}:
            up.read_items.append(ref)
        if not later:  # nothing after it: say so, and look for books like it instead
            up.note(f"{ref.title.split(' (')[0]} is the last book of {series_phrase(name)}", "tell", ref.id)
            if ref.id not in {r.id for r in up.anchors}:
                up.anchors.append(ref)
            return
        up.anchors = [r for r in up.anchors if r.id != ref.id]
        up.add_constraints.append(Constraint(field=field, op="include", value=name, source=m.group(0)))
        up.add_constraints.append(Constraint(field=index.position_field, op="gte", value=float(position) + 0.5,
                                             source=m.group(0)))
        up.sort = "series_order"
        nxt = self.catalog.items[later[0]].title.split(" (")[0]
        up.note(f"after {ref.title.split(' (')[0]} in {series_phrase(name)} comes {nxt}", "tell", ref.id)

    def _series_ref(self, t: Turn, cue_end: int) -> tuple[ItemRef | None, str | None]:
        """The item (and its series) a series request is about: the one named right after the cue
        ("more after The Last Olympian"), else any named now, else the focus."""
        index = self.mention_index
        after = sorted((m for m in t.mentions if m.start >= cue_end), key=lambda m: m.start)
        refs = [m.ref for m in after] + [m.ref for m in t.mentions] + [*t.up.liked_items, *t.up.read_items,
                                                                       *t.up.anchors]
        if not refs and t.ctx.focus_item and self.catalog.has(t.ctx.focus_item):
            refs = [ItemRef(id=t.ctx.focus_item, title=self.catalog.get(t.ctx.focus_item).title)]
        for ref in refs:
            row = self.catalog.index.get(ref.id)
            name = index.series_of(row) if row is not None else None
            if name:
                return ref, name
        return None, None

    def _first_volumes(self, t: Turn) -> None:
        m = RE_FIRST_OF_SERIES.search(t.joined)
        index = self.mention_index
        if m is None or not index.position_field or not t.free(m):
            return
        a, b = t.span(m, "lead" if m.group("lead") else "lead2")
        t.taken[a:b] = True  # the words between ("a good mystery series") are still read
        t.structured += 1
        t.up.add_constraints.append(Constraint(field=index.position_field, op="lte", value=1.0, source=m.group(0)))
        t.up.note("first books of a series", "series")

    def _other_people(self, t: Turn) -> None:
        """"who else writes like that", "other authors like him": not the people just named."""
        m = RE_OTHER_PEOPLE.search(t.joined)
        people = self.catalog.schema.people
        if m is None or not people:
            return
        t.take(m)
        up = t.up
        named = {(p.field, p.value) for p in up.likes if p.field in people}
        named |= {(c.field, str(c.value)) for c in up.add_constraints if c.field in people and c.op == "include"}
        for ref in [mention.ref for mention in t.mentions] + up.read_items:
            item = self.catalog.get(ref.id)
            named |= {(people[0], v) for v in item.categorical.get(people[0], [])[:1]}
        if not named:
            return
        up.add_constraints = [c for c in up.add_constraints if (c.field, str(c.value)) not in named]
        up.likes = [p for p in up.likes if (p.field, p.value) not in named]
        for field, value in sorted(named):
            up.add_constraints.append(Constraint(field=field, op="exclude", value=value, source=m.group(0)))
        up.note("other writers than " + ", ".join(v for _, v in sorted(named)), "info")
        t.structured += 1

    def _descriptors(self, t: Turn) -> None:
        """Taste words from the lexicon, read by meaning and by the polarity around them."""
        for start, end, key in lexicon_spans(t.tokens, t.taken):
            t.taken[start:end] = True
            t.structured += 1
            polarity = polarity_at(t.tokens, t.clause, start, end)
            if t.reasons[start] and polarity in ("request", "soft_pos"):
                polarity = "soft_neg"  # "Alchemist was so preachy": a reason for the dislike
            # "loved The Martian, the humor": what the user liked in a book leans by meaning, but
            # does not send them to other kinds of book (comic fantasy) than the one they liked
            self._describe(t, key, polarity, " ".join(t.tokens[start:end]), hints=not t.praise[start])

    def _describe(self, t: Turn, words: str, polarity: str, source: str, hints: bool = True) -> None:
        up = t.up
        reading = self.descriptors.read(words)
        field = self.descriptors.field
        if polarity == "retract":
            up.remove_keys.append(f"text:{words}")
            return
        sign = -1.0 if polarity in ("soft_neg", "hard_neg") else 1.0
        if sign < 0:
            up.remove_keys.append(f"text:{words}")  # "less dark" undoes an earlier "dark"
        said = {p.key for p in up.likes + up.dislikes}
        wanted = Preference(field=None, value=words, weight=sign, source=source, meaning=reading.text)
        (up.likes if sign > 0 else up.dislikes).append(wanted)
        # a hint never overrides what the user said of a label: "no horror, something spooky"
        # keeps horror out, and "a funny sci-fi" does not lean to comic fantasy
        constraints = up.add_constraints + t.ctx.state.constraints
        shut = {str(c.value).lower() for c in constraints if c.field == field and c.op == "exclude"}
        shut |= {p.value.lower() for p in up.dislikes if p.field == field}
        asked = {str(c.value).lower() for c in up.add_constraints if c.field == field and c.op == "include"}
        # what it leans to, and (wanted) what it rules out; a negated word only leans away
        leans = hints
        for hints, lean in ((reading.likes, sign), (reading.dislikes if sign > 0 else [], -1.0)):
            for label, sim in hints:
                if not leans or (lean > 0 and (label.lower() in shut or (asked and label.lower() not in asked))):
                    continue  # "loved the humor of X" does not say they dislike horror either
                weight = round(lean * HINT_WEIGHT * min(1.0, sim / 0.6), 2)
                pref = Preference(field=field, value=label, weight=weight, source=source)
                if pref.key not in said:
                    said.add(pref.key)
                    (up.likes if weight > 0 else up.dislikes).append(pref)

    def _leftovers(self, t: Turn, words: list[tuple[int, str]]) -> tuple[list[str], list[str]]:
        """Words no rule explained: (something to look for, context). Only words that come close
        to what the catalog describes are looked for; the rest is the reader's situation."""
        kept: list[str] = []
        dropped: list[str] = []
        formats = [w for _, w in words if w in FORMAT_WORDS]
        if formats:
            t.up.note(f"'{' '.join(dict.fromkeys(formats))}' ignored: the catalog has no formats, editions or prices",
                      "unapplied")
        # the reader's life, formats, the reasons given for a dislike ("his books are just long
        # lectures"), and a person's name not linked as one ("the king of thrillers") are not searched
        words = [(i, w) for i, w in words if w not in FORMAT_WORDS and w not in CONTEXT_WORDS
                 and not t.reasons[i] and w not in self.vocab.surnames]
        for n, group in enumerate(_runs(words)):
            if n >= MAX_RUNS:  # a wall of text: the rest is not weighed word by word
                dropped += [w for _, w in group]
                continue
            phrase = " ".join(w for _, w in group)
            if self.descriptors.relevance(phrase) >= RELEVANT:
                kept += [w for _, w in group]
                continue
            for _, w in group:  # a phrase far from everything may still hold one word that is not
                near = len(group) <= 4 and self.descriptors.relevance(w) >= RELEVANT
                (kept if near else dropped).append(w)
        if dropped:
            t.up.note("read as context: " + " ".join(dropped), "info")
        return kept, dropped


def _runs(words: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Consecutive words (by token position) grouped into phrases."""
    runs: list[list[tuple[int, str]]] = []
    for i, w in words:
        if runs and runs[-1][-1][0] == i - 1:
            runs[-1].append((i, w))
        else:
            runs.append([(i, w)])
    return runs
