"""Reading numbers and relative modifiers: years and decades, ranges and comparisons with a
field word ("over 300 pages", "rated at least 4"), and "newer", "cheaper", "more popular",
"less dark".

A mixin of ``RuleParser``, with the helpers only these readers use: the field words a number
may name, number words, and the polarity rule that is stricter for numbers than for values.
"""

from __future__ import annotations

import re

import numpy as np

from recpilot.agent.clauses import nearest_cue, postfix_cue
from recpilot.agent.cues import (
    COMPARATORS,
    DECADE_WORDS,
    FILLER,
    NUM,
    NUMBER_GLUE,
    PARTS,
    POLARITY_CUES,
    POST_COMPARATORS,
    POSTFIX_CUES,
    RE_COMPARISON,
)
from recpilot.agent.turn import Turn
from recpilot.agent.vocabulary import STOPWORDS
from recpilot.catalog import Catalog
from recpilot.preferences import Constraint, Preference, StateUpdate


class NumberRules:
    """The number and modifier readers of ``RuleParser`` (which sets these fields)."""

    catalog: Catalog
    field_words: dict[str, str]  # a word naming a numeric field ("pages", "rated") -> the field
    whole_fields: set[str]
    rating_scale: float
    max_year: int | None

    # --- numbers ----------------------------------------------------------------------------
    def _numbers(self, t: Turn) -> None:
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
                words = " ".join(t.tokens[a:b] + [unit]).strip()
                t.up.note(f"'{words}' ignored: {missing_field(words)}", "unapplied")
                t.taken[a : b + (1 if unit and unit not in STOPWORDS else 0)] = True
                continue
            if name == schema.year and number < 1000:
                continue
            step = 1.0 if float(number).is_integer() and name in self.whole_fields else 0.0
            op = "gte" if comp in ("gt", "gte") else "lte"
            value = number + step if comp == "gt" else number - step if comp == "lt" else number
            self._bound(t, m, name, [(op, value)], source=" ".join(t.tokens[max(0, a - 2) : b + 2]))

    def _years(self, t: Turn, y: str) -> None:
        joined = t.joined

        def each(pattern: str):
            for m in re.finditer(pattern, joined):
                if t.free(m):
                    yield m

        for m in each(r"\b(?:between|from) (\d{4}) (?:and|to|-|until|till) (\d{4})\b|\b(\d{4}) ?(?:-|to) ?(\d{4})\b"):
            a, b = sorted(int(g) for g in m.groups() if g)
            if 1000 <= a <= 2100:
                self._bound(t, m, y, [("gte", a), ("lte", b)])
        for m in each(r"\b(?:(early|mid|late) (?:- )?)?(\d{2})?(\d)0 ?'?s\b(?! (?:references?|nostalgia|vibes?|music"
                      r"|pop|culture|kids?|movies|films|songs|style|aesthetic|feel|setting|fashion|games?|tv))"):
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
        if self.max_year:  # "from the last few years": counted back from the newest item
            for m in each(r"\b(?:the )?(?:last|past) (few|couple(?: of)?|\d{1,2}|two|three|four|five|ten) years\b"):
                n = {"few": 3, "couple": 2, "couple of": 2, "two": 2, "three": 3, "four": 4, "five": 5,
                     "ten": 10}.get(m.group(1)) or int(m.group(1))
                self._bound(t, m, y, [("gte", self.max_year - n)])
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
                if _seen_before(t, t.span(m)[0]):  # "the best scary movie I've seen in recent years is ..."
                    t.take(m)
                    continue
                self._bound(t, m, y, [("gte", self.max_year - 5)])

    def _bound(self, t: Turn, m: re.Match, name: str, bounds: list[tuple[str, float]], source: str = "") -> None:
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
                up.note(f"'{m.group(0)}' ignored: cannot exclude a range", "unapplied")
                return
            step = 1.0 if name in self.whole_fields and float(bounds[0][1]).is_integer() else 0.0
            op, value = bounds[0]
            bounds = [("lte", value - step)] if op == "gte" else [("gte", value + step)]
        for op, value in bounds:
            up.add_constraints.append(Constraint(field=name, op=op, value=float(value), source=source or m.group(0)))

    def _field_near(self, t: Turn, m: re.Match) -> str | None:
        a, b = t.span(m)
        for j in list(range(a, b)) + list(range(b, min(b + 3, len(t.tokens)))) + list(range(a - 1, max(-1, a - 4), -1)):
            name = self.field_words.get(t.tokens[j])
            if name is not None:
                t.taken[j] = True
                return name
        return None

    # --- relative modifiers -------------------------------------------------------------------
    def _relative(self, t: Turn) -> None:
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
                a, b = t.span(m)
                if a and t.tokens[a - 1] == "the" and b < len(t.tokens) and (t.taken[b] or t.tokens[b] == "one"):
                    continue  # "I saw the older Jumanji", "liked the older one": which item, not a wish
                t.structured += 1
                if name is None:
                    up.note(f"'{m.group(0)}' ignored: {missing_field(m.group(0))}", "unapplied")
                    continue
                values = self.catalog.numeric[name][base_rows] if len(base_rows) else np.array([])
                values = values[np.isfinite(values)]
                if values.size == 0:
                    up.sort = sort or up.sort
                    continue
                step = 1.0 if name in self.whole_fields else 0.1 if name == schema.rating else 0.01
                # "older ones" means clearly older than most of what was shown, not than its median
                pivot = float(np.percentile(values, 75 if op == "gte" else 25))
                value = pivot + step if op == "gte" else pivot - step
                up.add_constraints.append(Constraint(field=name, op=op, value=round(value, 2), source=m.group(0)))
                up.sort = sort or up.sort
        if length is None:  # "nothing too long", "a short book", "a quick read": said plainly
            m = re.search(r"\b(?:too long|long|short(?! stor)|lengthy|quick reads?|page count|pages|novellas?"
                          r"|doorstoppers?|chunky|thick)\b", t.joined)
            if m and t.free(m):
                t.take(m)
                up.note(f"'{m.group(0)}' ignored: {missing_field('pages')}", "unapplied")
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

    def _less(self, t: Turn) -> None:
        for m in re.finditer(r"\b(less|not so|not too|not as) ([a-z]{3,})\b", t.joined):
            word = m.group(2)
            if t.free(m) and word not in STOPWORDS and word not in FILLER:
                t.take(m)
                t.up.dislikes.append(Preference(field=None, value=word, weight=-1.0, source=m.group(0)))
                t.up.remove_keys.append(f"text:{word}")
                t.structured += 1


def missing_field(words: str) -> str:
    """Why words about a field the catalog lacks were not applied, in plain words."""
    if re.search(r"\$|dollars?|bucks|price|cheap|expensive|cost|free|euros?|pounds", words):
        return "the catalog has no prices"
    if re.search(r"pages?|long|short|length|quick|novella|minutes|hours|runtime", words):
        return "the catalog has no page counts, so I can't choose by length"
    return "the catalog has no such field"


def numeric_field_words(schema) -> dict[str, str]:
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


def merge_bounds(up: StateUpdate) -> None:
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


def _number_polarity(tokens: list[str], clause: list[int], start: int, end: int) -> str:
    """Like ``polarity_at``, but a cue counts only when nothing but glue words separate it from
    the number ("nothing from the 90s"; not "no horror from the 90s")."""
    j = start
    while j > 0 and tokens[j - 1] in NUMBER_GLUE:
        j -= 1
    before = nearest_cue(tokens, clause, start, POLARITY_CUES, end_at=j)
    after = postfix_cue(tokens, clause, end, POSTFIX_CUES)
    if after is not None and after[0] == "retract" and after[1] == 0:
        return "retract"
    return before[0] if before else "request"


#: verbs of having watched or read something: a time word after them tells when, not what is wanted
_SEEN = frozenset("seen saw watched read".split())


def _seen_before(t, start: int) -> bool:
    """Whether a verb of having watched or read comes before ``start`` in its clause."""
    return any(tok in _SEEN for tok in t.tokens[t.clause_start(start) : start])
