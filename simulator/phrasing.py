"""Templates that put a dialogue act into words (the rule simulator's voice).

Phrasings are everyday ones the agent's deterministic parser is documented to read
("from the 90s", "by <person>", "rated at least 4", "no more X", "not the second one",
"something like #2 but newer"). Reasons name what the user sees on the card ("too old",
"different author") without naming a value they do not want.
"""

from __future__ import annotations

import random

from recpilot.simulator.models import Act, Fact, ItemView, Persona

ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh",
            8: "eighth", 9: "ninth", 10: "tenth"}


#: how people open with a book they liked, as forum and chat posts word it
LIKED_OPENINGS = ["I loved {t}.", "I really enjoyed {t}.", "Just finished {t} and couldn't put it down.",
                  "I tore through {t} last week.", "{t} was amazing.", "I'm obsessed with {t}."]
#: ... and with what they want ("{v}" is a kind: "fantasy", "cozy mystery")
KIND_OPENINGS = ["I'm looking for {v}", "I'd like some {v}", "I'm in the mood for {v}", "Can you recommend some {v}",
                 "Any good {v} recommendations", "Anyone have a good {v} rec", "What's a good {v}",
                 "I need a new {v} to get lost in"]


def realize(act: Act, persona: Persona, rng: random.Random, items: list[ItemView] | None = None) -> str:
    """One utterance for ``act``; ``items`` are the cards the user is looking at."""
    terse = persona.style == "terse"
    if act.kind == "accept":
        return accept(act.position or 1, rng)
    parts: list[str] = []
    if act.kind == "open":
        if act.command == "liked" and act.liked_title:
            parts.append(pick(rng, LIKED_OPENINGS).format(t=act.liked_title))
        parts.append(opening(act.facts, rng, terse))
        text = " ".join(parts)
        return (pick(rng, ["Hi! ", "Hello! ", ""]) + text) if persona.style == "chatty" else text
    if act.kind == "restate":
        said = " and ".join(inline(f, rng) for f in act.restated) or "what I asked for"
        if act.position:
            parts.append(f"Not {position(act.position, rng)}, I said {said}.")
        else:
            parts.append(f"I said {said}.")
        parts += [sentence(f, rng, terse) for f in act.facts]
    elif act.kind == "answer":
        parts += [answer(f, rng, terse) for f in act.facts]
    elif act.kind == "command":
        parts.append(command(act, rng))
    else:  # reject
        if act.position and act.reason is not None:
            item = items[act.position - 1] if items and act.position <= len(items) else None
            parts.append(f"Not {position(act.position, rng)}, {reason(act.reason, item, rng)}.")
        elif not terse:
            parts.append(pick(rng, ["Not quite.", "Hmm, not these.", "Close, but no."]))
        parts += [sentence(f, rng, terse) for f in act.facts]
    text = " ".join(p for p in parts if p)
    if persona.style == "chatty" and act.kind in ("reject", "answer"):
        text = pick(rng, ["Thanks! ", "Hmm. ", "", "Good start. "]) + text
    return text


def opening(facts: list[Fact], rng: random.Random, terse: bool) -> str:
    kinds = [f for f in facts if f.role == "kind"]
    rest = [f for f in facts if f.role != "kind"]
    if kinds:
        v = kinds[0].value
        head = pick(rng, ["{v}", "{v} please"] if terse else KIND_OPENINGS)
        text = head.format(v=v)
        tail = " ".join(" " + inline(f, rng) for f in rest).rstrip()
        return (text + tail).strip() + ("?" if text.startswith(("Can", "Any", "What")) else ".")
    if rest:
        if rest[0].role == "people":
            return pick(rng, ["Something by {v}.", "I'd like something by {v}.", "Anything by {v}?"]).format(v=rest[0].value)
        return sentence(rest[0], rng, terse)
    return "Can you recommend something?"


def sentence(fact: Fact, rng: random.Random, terse: bool = False) -> str:
    """A whole sentence stating one fact."""
    v = fact.value
    if terse:
        return _cap(inline(fact, rng)) + "."
    if fact.role == "kind" and fact.op == "include":
        return pick(rng, ["I'd like {v}.", "I want {v}.", "Make it {v}.", "Something {v}, please."]).format(v=v)
    if fact.role == "kind" and fact.op == "exclude":
        return pick(rng, ["No {v}.", "No more {v}.", "I don't want {v}.", "Nothing {v}, please."]).format(v=v)
    if fact.role == "people":
        return pick(rng, ["Something by {v}.", "It should be by {v}.", "I'd like something by {v}.",
                          "By {v}, ideally."]).format(v=v)
    if fact.role == "year" and fact.style == "decade":
        return pick(rng, ["From the {d}.", "Something from the {d}.", "Published in the {d}."]).format(d=decade(fact, rng))
    if fact.role == "year" and fact.style in ("early", "mid", "late"):
        return pick(rng, ["The {p} {d}, I think.", "Ideally from the {p} {d}."]).format(p=fact.style, d=decade(fact, rng))
    if fact.role == "rating":
        return pick(rng, ["Rated at least {r}.", "At least {r} stars.", "Rated {r} or higher."]).format(r=_num(v))
    if fact.role == "popularity":
        return pick(rng, ["Something lesser known.", "Maybe a hidden gem?", "Something less popular."]
                    if v == "obscure" else ["Something more popular.", "Something well known."])
    return _cap(inline(fact, rng)) + "."


def inline(fact: Fact, rng: random.Random) -> str:
    """A fact as a phrase inside a sentence ("from the 1990s", "by Jane Doe", "no horror")."""
    v = fact.value
    if fact.role == "kind":
        return f"no {v}" if fact.op == "exclude" else str(v)
    if fact.role == "people":
        return f"by {v}"
    if fact.role == "year":
        if fact.style == "decade":
            return f"from the {decade(fact, rng)}"
        if fact.style in ("early", "mid", "late"):
            return f"from the {fact.style} {decade(fact, rng)}"
        if fact.style == "before" or fact.op == "lte":
            return f"from before {int(float(v)) + 1}"
        return f"published after {int(float(v)) - 1}"
    if fact.role == "rating":
        return f"rated at least {_num(v)}"
    if fact.role == "popularity":
        return "lesser known" if v == "obscure" else "more popular"
    return f"in {str(v).capitalize()}" if fact.field.lower().startswith("lang") else str(v)


def answer(fact: Fact, rng: random.Random, terse: bool) -> str:
    if fact.role == "kind" and fact.op == "include":
        return pick(rng, ["{V}, please.", "{V}.", "I'd say {v}."]).format(V=_cap(str(fact.value)), v=fact.value)
    return sentence(fact, rng, terse)


def command(act: Act, rng: random.Random) -> str:
    if act.command == "no_more" and act.facts:
        return pick(rng, ["No more {v}.", "No more {v}, please."]).format(v=act.facts[0].value)
    if act.command in ("like_but_newer", "like_but_older") and act.position:
        word = "newer" if act.command == "like_but_newer" else "older"
        n = act.position
        return pick(rng, [f"Something like #{n} but {word}.", f"More like the {ORDINALS.get(n, n)} one, but {word}."])
    return pick(rng, ["None of these. Other options?", "Show me other options.", "Something else, please."])


def accept(n: int, rng: random.Random) -> str:
    o = ORDINALS.get(n)
    options = [f"Perfect, I'll go with number {n}.", f"That's it, #{n}! I'll take it."]
    if o:
        options += [f"I'll take the {o} one!", f"The {o} one sounds perfect."]
    return pick(rng, options)


def reason(fact: Fact, item: ItemView | None, rng: random.Random) -> str:
    """Why the user turns down ``item``: what its card shows against ``fact``."""
    if fact.role == "year":
        year = item.numeric.get(fact.field) if item is not None else None
        if year is not None and year < float(fact.value):
            return pick(rng, ["it's too old", "too old"])
        if year is not None:
            return pick(rng, ["it's too new", "too new"])
        return "not quite"
    if fact.role == "people":
        return f"different {_singular(fact.field)}"
    if fact.role == "kind":
        return f"different {_singular(fact.field)}"
    return "not quite"


def position(n: int, rng: random.Random) -> str:
    o = ORDINALS.get(n)
    return pick(rng, [f"the {o} one", f"#{n}"]) if o else f"#{n}"


def decade(fact: Fact, rng: random.Random) -> str:
    lo = int(float(fact.value)) - int(float(fact.value)) % 10
    if 1920 <= lo <= 1990 and rng.random() < 0.5:
        return f"{lo % 100:02d}s"
    return f"{lo}s"


def pick(rng: random.Random, options: list[str]) -> str:
    return options[rng.randrange(len(options))]


def _num(value) -> str:
    return f"{float(value):g}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _singular(field: str) -> str:
    word = field.lower().replace("_", " ")
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word
