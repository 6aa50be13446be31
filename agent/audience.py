"""Who the items are for: "for my 12-year-old", "my daughter is 12", "a 9th grade class",
"for adults", "I'm 40 and tired of YA".

The catalog says which values of a field mark an audience and for which ages
(``CatalogSchema.audience``: {"children's": [0, 8], "middle grade": [8, 12], ...}); a reader's
age turns into soft preferences for the values that fit and away from the ones that do not,
and values only for adults are excluded outright for a child. A catalog without audience
values reads the words as context and says nothing more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recpilot.preferences import Constraint, Preference, StateUpdate
from recpilot.schema import CatalogSchema

ADULT = 18.0
_NUM = r"(\d{1,2})"
_PEOPLE = (r"(?:daughter|son|kid|kiddo|child|niece|nephew|grandson|granddaughter|grandkid|brother|sister|girl|boy"
           r"|teen|teenager|student|students|class|reader|cousin|stepson|stepdaughter)")
#: "she's 50 pages in", "I'm 5 chapters into Dune": a count of something read, not an age
_NOT_AGE = r"(?:pages?|minutes?|books?|chapters?|episodes?|hours?|percent|%|volumes?|seasons?)"
RE_AGE = re.compile(
    rf"\b{_NUM} ?-? ?(?:years?|yrs?|y) ?-? ?(?:olds?)\b|\b{_NUM} ?(?:yo|y ?/ ?o|yr olds?)\b|\b(\d{{1,2}})yo\b"
    rf"|\b{_PEOPLE}(?: \w+){{0,3}}? (?:is|turns|turned|just turned|aged?|who is|who's|\() ?{_NUM}\b"
    rf"|\b(?:he'?s|she'?s|they'?re|he is|she is|they are) {_NUM}\b(?! {_NOT_AGE})"
    rf"|\b(?:i'?m|i am) {_NUM}\b(?! {_NOT_AGE})"
    rf"|\b{_NUM}(?:th|st|nd|rd) grade(?:rs?)?\b")
AGE_WORDS = {
    "grown - ups": 30, "grown - up": 30,
    "toddler": 2, "toddlers": 2, "baby": 1, "babies": 1, "preschooler": 4, "preschoolers": 4, "kindergarten": 5,
    "kindergartner": 5, "kids": 8, "kid": 8, "children": 8, "child": 8, "tween": 11, "tweens": 11,
    "middle schooler": 12, "middle school": 12, "teen": 15, "teens": 15, "teenager": 15, "teenagers": 15,
    "high schooler": 15, "high school": 15, "adults": 30, "adult": 30, "grown up": 30, "grown-up": 30,
    "grownup": 30, "grown ups": 30, "grownups": 30,
}
RE_AGE_WORD = re.compile(r"\bfor (?:a |an |my |our |the )?(" + "|".join(
    sorted((re.escape(w) for w in AGE_WORDS), key=len, reverse=True)) + r")\b(?!')|\b(?:my|our) (teen|teenager|toddler|tween)\b"
    r"|\b(grown ?-? ?ups?|(?<!young )adult) (?:fantasy|fiction|books?|novels?|reads?|romance|sci-fi|science fiction)\b")


@dataclass
class Audience:
    age: float
    span: tuple[int, int]  # character span in the joined tokens
    explicit: bool = False  # "for adults", "adult fantasy": not only an age said in passing


def find_audience(joined: str) -> Audience | None:
    """The reader's age the message gives, if it gives one."""
    m = RE_AGE.search(joined)
    if m:
        number = next(g for g in m.groups() if g is not None)
        age = float(number)
        if m.group(0).endswith(("grade", "graders", "grader")):
            age += 5  # 9th grade: about 14
        if 1 <= age <= 99:
            return Audience(age=age, span=m.span())
    m = RE_AGE_WORD.search(joined)
    if m:
        word = next(g for g in m.groups() if g is not None)
        age = AGE_WORDS.get(word.replace(" ", "-") if word.replace(" ", "-") in AGE_WORDS else word, 30)
        return Audience(age=float(age), span=m.span(), explicit=True)
    return None


def audience_update(schema: CatalogSchema, audience: Audience, up: StateUpdate, source: str) -> bool:
    """Adds what the age means in this catalog to ``up``; False when the catalog marks no audience."""
    field = schema.audience_field
    if not field or not schema.audience:
        return False
    age = audience.age
    # a child's age leans hard; a teenager reads widely, so it leans less
    lean = 1.5 if age < 13 else 0.8
    for value, (low, high) in schema.audience.items():
        if age >= ADULT:
            if high <= ADULT and audience.explicit:  # "for adults": no children's books or teen fiction
                up.add_constraints.append(Constraint(field=field, op="exclude", value=value, source=source))
            elif high <= 12:  # an adult said their age: children's books only lean away
                up.dislikes.append(Preference(field=field, value=value, weight=-1.0, source=source))
        elif low >= ADULT:
            up.add_constraints.append(Constraint(field=field, op="exclude", value=value, source=source))
        elif low <= age <= high:
            up.likes.append(Preference(field=field, value=value, weight=lean, source=source))
        elif high < age - 2 or low > age + 3:
            up.dislikes.append(Preference(field=field, value=value, weight=-1.0, source=source))
    who = "adults" if age >= ADULT else f"a reader of about {age:g}"
    up.note(f"for {who}", "audience")
    return True
