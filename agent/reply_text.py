"""The words of a reply, from the state and the items' own fields only, so every sentence is
true of what the user asked and what is shown.

Varied on purpose (a person reads many of these), but deterministic: the phrasing is picked by
a seed the caller derives from the session and turn, so a test sees the same words twice.
Nothing here writes the state out as a list ("genres is fantasy; about: time"); a request
reads as a phrase ("fantasy from the 1990s, none by Tolkien, like The Hobbit").
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from recpilot.agent.series import series_phrase
from recpilot.catalog import Catalog, item_noun, kind_field
from recpilot.preferences import Constraint, PreferenceState
from recpilot.schema import CatalogSchema, Item

_OPENERS = (
    "Here are {n} {what}.",
    "Try these {n}: {what}.",
    "{n_cap} picks: {what}.",
    "I found {n} {what}.",
    "These {n} should fit: {what}.",
)
_BECAUSE = (
    "Since you liked {liked}, ",
    "Going by {liked}, ",
    "With {liked} in mind, ",
)
_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
            10: "ten"}


def request_phrase(catalog: Catalog, state: PreferenceState, reasons: list[str] | None = None) -> str:
    """The current request as a noun phrase: "fantasy books from the 1990s, none by Tolkien".
    ``reasons``: the shown items' reasons; an anchor is then named only if one of them goes back
    to it (after "something funnier", comedies are not "like The Conjuring")."""
    schema = catalog.schema
    kind = kind_field(catalog)
    kinds = [str(c.value) for c in state.constraints if c.field == kind and c.op == "include"]
    if not kinds:  # a soft wish of the request, strongest first ("something twisty" -> thrillers)
        wished = sorted((p for p in state.likes if p.field == kind and p.origin == "request" and p.weight >= 0.8),
                        key=lambda p: -p.weight)
        kinds = [p.value for p in wished[:1]]
    moods = [_phrase(p) for p in state.likes if p.field is None and p.origin == "request"][:2]
    moods = [m for m in moods if not any(m in k for k in kinds)]  # not "epic epic fantasy"
    head = " ".join(w for w in [*moods[:1], _join(kinds, "and"), item_noun(catalog, plural=True)] if w)
    parts = [head]
    people = [c for c in state.constraints if c.field in schema.people]
    parts += [f"by {c.value}" for c in people if c.op == "include"]
    years = _years(state.constraints, schema.year)
    if years:
        parts.append(years)
    others = [c for c in state.constraints if c.field not in schema.people and c.field != schema.year
              and not (c.field == kind and c.op == "include")]
    parts += [_constraint_words(c, schema) for c in others if c.field != schema.series_position]
    excluded = [str(c.value) for c in people if c.op == "exclude"]
    if excluded:
        parts.append("none by " + _join(excluded, "or"))
    avoided = [_phrase(p) for p in state.dislikes if p.field is None and p.origin == "request"]
    if avoided:
        parts.append("less " + _join(avoided[:2], "or"))
    anchors = [r.title for r in state.anchors if r.id not in {x.id for x in state.liked_items}][-2:]
    if reasons is not None:
        anchors = [t for t in anchors if any(t in r or _short(t) in r for r in reasons)]
    if anchors:
        parts.append("like " + _join([_short(t) for t in anchors], "and"))
    return ", ".join(p for p in parts if p)


def recommendation_message(catalog: Catalog, state: PreferenceState, n: int, seed: int,
                           set_aside: str | None = None, reasons: list[str] | None = None) -> str:
    rng = random.Random(seed)
    things = item_noun(catalog, plural=True)
    what = request_phrase(catalog, state, reasons) if not state.is_vague() else f"popular {things} to start with"
    if what == things:  # nothing asked for but what they liked: say so, not a bare "books"
        what = f"{things} close to what you like"
    opener = rng.choice(_OPENERS).format(n=_NUMBERS.get(n, str(n)), n_cap=_NUMBERS.get(n, str(n)).capitalize(),
                                         what=what)
    liked = [r.title for r in state.liked_items if not r.remembered][-2:]
    if liked and not set_aside:
        rest = opener if opener.startswith("I ") else opener[0].lower() + opener[1:]
        opener = rng.choice(_BECAUSE).format(liked=_join([_short(t) for t in liked], "and")) + rest
    if set_aside:
        opener = f"Switching to something new (I set aside: {set_aside}; you can bring it back). " + opener
    return opener


def item_answer(catalog: Catalog, item: Item, about: str | None) -> str:
    """A question about one item, answered in sentences from its fields ("It's by George R.R.
    Martin, first published in 1996.")."""
    schema = catalog.schema
    title = _short(item.title)
    people = [v for f in schema.people for v in item.categorical.get(f, [])[:2]]
    year = item.numeric.get(schema.year) if schema.year else None
    rating = item.numeric.get(schema.rating) if schema.rating else None
    count = item.numeric.get(schema.popularity) if schema.popularity else None
    kind = kind_field(catalog)
    kinds = item.categorical.get(kind, [])[:3] if kind else []
    by = f" by {_join(people, 'and')}" if people else ""
    when = f", first published in {_year(year)}" if year is not None else ""
    sentences = []
    if about == "people":
        sentences.append(f"{title} is{by or ' by an author the catalog does not name'}{when}.")
    elif about == "year":
        sentences.append(f"{title} was first published in {_year(year)}." if year is not None
                         else f"The catalog does not say when {title} was published.")
    elif about == "rating":
        sentences.append(_rating_sentence(title, rating, count))
    elif about == "genre":
        sentences.append(f"{title} is {_join(kinds, 'and')}." if kinds else f"The catalog gives no genre for {title}.")
    elif about == "length":
        sentences.append(f"The catalog has no length for {title}, so I cannot tell how long it is.")
    else:
        sentences.append(f"{title} is a{'n' if (kinds and kinds[0][:1] in 'aeiou') else ''} "
                         f"{_join(kinds, 'and') + ' ' if kinds else ''}{item_noun(catalog)}{by}{when}.")
        if rating is not None:
            sentences.append(_rating_sentence("It", rating, count))
    series = item.categorical.get(schema.series, [])[:1] if schema.series else []
    position = item.numeric.get(schema.series_position) if schema.series_position else None
    if series and about in (None, "about"):
        place = f"book {position:g} of" if position is not None else "part of"
        sentences.append(f"It is {place} {series_phrase(series[0])}.")
    return " ".join(sentences)


def unapplied_sentence(notes: Sequence[str]) -> str:
    """What could not be done, said plainly ("I can't filter on that: ...")."""
    return "I couldn't apply everything you asked: " + "; ".join(notes) + "."


# --- helpers ----------------------------------------------------------------------------------
def _rating_sentence(subject: str, rating: float | None, count: float | None) -> str:
    if rating is None:
        return f"The catalog has no rating for {subject}."
    readers = f" from {_count(count)} ratings" if count else ""
    verdict = "very well liked" if rating >= 4.2 else "well liked" if rating >= 3.9 else "mixed"
    return f"{subject} is rated {rating:.2f} out of 5{readers}: {verdict}."


def _years(constraints: list[Constraint], year_field: str | None) -> str:
    if not year_field:
        return ""
    low = next((c.value for c in constraints if c.field == year_field and c.op == "gte"), None)
    high = next((c.value for c in constraints if c.field == year_field and c.op == "lte"), None)
    if low is not None and high is not None:
        low, high = int(float(low)), int(float(high))
        if low % 10 == 0 and high == low + 9:
            return f"from the {low}s"
        return f"from {low} to {high}"
    if low is not None:
        return f"from {int(float(low))} on"
    if high is not None:
        return f"up to {int(float(high))}"
    return ""


def _constraint_words(c: Constraint, schema: CatalogSchema) -> str:
    """One constraint as words a person would say: "rated at least 4", "in English"."""
    field = c.field.replace("_", " ")
    if c.op == "include":
        return f"in {str(c.value).title()}" if c.field == "language" else f"with {field} {c.value}"
    if c.op == "exclude":
        return f"no {c.value}"
    value = c.value if isinstance(c.value, str) else f"{float(c.value):g}"
    bound = "at least" if c.op == "gte" else "at most"
    if c.field == schema.rating:
        return f"rated {bound} {value}"
    if c.field == schema.popularity:
        return f"with {bound} {_count(float(value))} ratings" if not isinstance(c.value, str) else f"{field} {bound} {value}"
    return f"{field} {bound} {value}"


def _short(title: str) -> str:
    """"The Hunger Games (The Hunger Games, #1)" -> "The Hunger Games"."""
    return title.split(" (")[0] if title.endswith(")") and " (" in title else title


def _join(words: list[str], last: str) -> str:
    words = [w for w in dict.fromkeys(words) if w]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def _year(year: float) -> str:
    return f"{-int(year)} BC" if year < 0 else str(int(year))


def _count(n: float) -> str:
    n = int(n)
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} million".replace(".0 ", " ")
    if n >= 10_000:
        return f"{n // 1000:,} thousand"
    return f"{n:,}"


def _phrase(p) -> str:
    """A free-text preference in the user's own words when those are a phrase ("less gory"), else
    its value: a source that is a whole message would be read back verbatim."""
    return p.source if p.source and len(p.source.split()) <= 4 else p.value
