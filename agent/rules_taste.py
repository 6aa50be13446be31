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
    RE_MORE_TOPIC,
    RE_NEW_TOPIC,
    RE_SERIES_NEXT,
)
from recpilot.agent.descriptors import RELEVANT, Descriptors, lexicon_spans
from recpilot.agent.mentions import MentionIndex
from recpilot.agent.turn import Turn
from recpilot.catalog import Catalog
from recpilot.preferences import Constraint, ItemRef, Preference

#: how strongly a descriptor's hinted labels count, at best (scaled by their similarity)
HINT_WEIGHT = 1.0


class TasteRules:
    """Readers of ``RuleParser`` (which sets ``catalog``, ``mention_index`` and ``descriptors``)."""

    catalog: Catalog
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
        """"the next one after Mockingjay", "the rest of the series": the named (or last talked
        about) item's series becomes wanted, from after its place on; "not the rest of the
        Millennium books yet" keeps the series out, as it is by default."""
        m = RE_SERIES_NEXT.search(t.joined)
        index = self.mention_index
        if m is None or not index.series_field:
            return
        a, b = t.span(m)
        t.taken[a:b] = True
        if polarity_at(t.tokens, t.clause, a, b) in ("hard_neg", "soft_neg"):
            return
        refs = [mention.ref for mention in t.mentions] + [*t.up.liked_items, *t.up.read_items, *t.up.anchors]
        if not refs and t.ctx.focus_item and self.catalog.has(t.ctx.focus_item):
            refs = [ItemRef(id=t.ctx.focus_item, title=self.catalog.get(t.ctx.focus_item).title)]
        for ref in refs:
            row = self.catalog.index.get(ref.id)
            name = index.series_of(row) if row is not None else None
            if not name:
                continue
            up = t.up
            up.add_constraints.append(Constraint(field=index.series_field, op="include", value=name,
                                                 source=m.group(0)))
            position = self.catalog.numeric[index.position_field][row] if index.position_field else float("nan")
            if position == position:  # not NaN: the next ones come after it
                up.add_constraints.append(Constraint(field=index.position_field, op="gte", value=float(position) + 0.5,
                                                     source=m.group(0)))
            up.anchors = [r for r in up.anchors if r.id != ref.id]
            if ref.id not in {r.id for r in up.liked_items + up.rejected_items}:
                up.read_items.append(ref)
            up.note(f"wants more of the {name} series after {ref.title}", "series", ref.id)
            t.structured += 1
            return

    def _descriptors(self, t: Turn) -> None:
        """Taste words from the lexicon, read by meaning and by the polarity around them."""
        for start, end, key in lexicon_spans(t.tokens, t.taken):
            t.taken[start:end] = True
            t.structured += 1
            self._describe(t, key, polarity_at(t.tokens, t.clause, start, end), " ".join(t.tokens[start:end]))

    def _describe(self, t: Turn, words: str, polarity: str, source: str) -> None:
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
        # what it leans to, and (wanted) what it rules out; a negated word only leans away
        for hints, lean in ((reading.likes, sign), (reading.dislikes if sign > 0 else [], -1.0)):
            for label, sim in hints:
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
        words = [(i, w) for i, w in words if w not in FORMAT_WORDS and w not in CONTEXT_WORDS]
        for group in _runs(words):
            phrase = " ".join(w for _, w in group)
            if self.descriptors.relevance(phrase) >= RELEVANT:
                kept += [w for _, w in group]
                continue
            for _, w in group:  # a phrase far from everything may still hold one word that is not
                (kept if self.descriptors.relevance(w) >= RELEVANT else dropped).append(w)
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
