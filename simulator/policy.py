"""The simulated user's decisions: which dialogue act to perform next, and which facts to state.

Shared by the rule and the LLM simulator (they differ only in how an act becomes words).
The policy knows the target through its ``TargetProfile`` alone. It opens with one or two
facts, answers questions from the profile, rejects a list with a reason the list itself
shows (an item that breaks a fact about the target), repeats a fact the agent ignored,
sometimes gives a command ("no more X", "like #2 but newer"), and accepts when told the
target is in the list (the harness, which knows the target, tells it the position).
"""

from __future__ import annotations

import math
import random

from recpilot.simulator.models import Act, Fact, ItemView, Persona, ReplyView, Role, TargetProfile

PART_RANGES = {"early": (0, 3), "mid": (3, 6), "late": (6, 9)}


class Policy:
    def __init__(self, profile: TargetProfile, persona: Persona, rng: random.Random):
        self.profile, self.persona, self.rng = profile, persona, rng
        self.stated: list[Fact] = []
        self.static = static_facts(profile)

    # --- acts ---------------------------------------------------------------------------------
    def opening(self) -> Act:
        opening = self.persona.opening
        facts: list[Fact] = []
        kinds = self.static["kind"]
        kind = kinds[1] if len(kinds) > 1 and self.rng.random() < 0.3 else (kinds[0] if kinds else None)
        if opening == "people" and self.static["people"]:
            facts.append(self.static["people"][0])
        elif kind is not None:
            facts.append(kind)
            if opening == "kind+year" and self.static["year"]:
                facts.append(self.static["year"][0])
            elif opening == "kind+rating" and self.static["rating"]:
                facts.append(self.static["rating"][0])
        elif self.static["people"]:
            facts.append(self.static["people"][0])
        act = Act(kind="open", facts=facts)
        if opening == "liked" and self.persona.liked_titles:
            act.command, act.liked_title = "liked", self.persona.liked_titles[0]
        return self._commit(act)

    def react(self, reply: ReplyView, target_position: int | None) -> Act:
        if target_position is not None:
            return Act(kind="accept", position=target_position)
        shown = [(i, item) for i, item in enumerate(reply.items, 1) if item.known]
        answer = self._answer_fact(reply.question)
        if answer is not None:
            return self._commit(Act(kind="answer", facts=[answer]))
        if not shown:
            fact = self._next_fact([])
            if fact is not None:
                return self._commit(Act(kind="answer", facts=[fact]))
            return self._commit(Act(kind="restate", restated=[f for f in self.stated if f.op != "sort"][-3:]))
        broken = self._broken_stated(shown)
        if broken is not None:
            fact, position = broken
            act = Act(kind="restate", restated=[fact], position=position, reason=fact)
            new = self._next_fact(shown)
            if new is not None and self.persona.style != "terse":
                act.facts.append(new)
            return self._commit(act)
        if self.rng.random() < self.persona.command_rate:
            command = self._command(shown)
            if command is not None:
                return self._commit(command)
        fact = self._next_fact(shown)
        if fact is not None:
            act = Act(kind="reject", facts=[fact])
            breaking = [i for i, item in shown if violates(fact, item, self.profile)]
            if breaking and self.rng.random() < self.persona.positional_rate:
                act.position, act.reason = breaking[0], fact
            if self.persona.style == "chatty" and self.rng.random() < 0.5:
                second = self._next_fact(shown, also=[fact])
                if second is not None:
                    act.facts.append(second)
            return self._commit(act)
        return self._commit(self._command(shown, fallback=True))

    # --- choosing facts -----------------------------------------------------------------------
    def _answer_fact(self, question: str | None) -> Fact | None:
        if not question:
            return None
        q = question.lower()
        for fact in self.static["kind"]:
            if isinstance(fact.value, str) and fact.value.lower() in q and self._new(fact):
                return fact
        return None

    def _next_fact(self, shown: list[tuple[int, ItemView]], also: list[Fact] = ()) -> Fact | None:
        """The first role in the persona's order with an unstated fact that the list breaks
        (any unstated fact when nothing is shown); ``also``: facts being stated this turn."""
        for role in self.persona.reveal_order:
            best, best_count = None, 0
            for fact in self._candidates(role, shown):
                if not self._new(fact, also):
                    continue
                count = sum(violates(fact, item, self.profile) for _, item in shown) if shown else 1
                if count > best_count:
                    best, best_count = fact, count
            if best is not None:
                return best
        return None

    def _candidates(self, role: Role, shown: list[tuple[int, ItemView]]) -> list[Fact]:
        if role != "popularity":
            return self.static[role]
        p = self.profile
        if not shown:
            return []
        pops = [item.popularity for _, item in shown]
        if p.popularity < min(pops) - 0.02:
            return [Fact(role="popularity", field="popularity", op="sort", value="obscure")]
        if p.popularity > max(pops) + 0.02:
            return [Fact(role="popularity", field="popularity", op="sort", value="popular")]
        return []

    def _exclusion(self, shown: list[tuple[int, ItemView]]) -> Fact | None:
        p = self.profile
        if not p.kind_field:
            return None
        counts: dict[str, int] = {}
        for _, item in shown:
            for value in item.categorical.get(p.kind_field, []):
                if not p.has(p.kind_field, value):
                    counts[value] = counts.get(value, 0) + 1
        options = sorted((-n, v) for v, n in counts.items() if n >= 2)
        for _, value in options:
            fact = Fact(role="kind", field=p.kind_field, op="exclude", value=value)
            if self._new(fact):
                return fact
        return None

    def _command(self, shown: list[tuple[int, ItemView]], fallback: bool = False) -> Act | None:
        options = []
        excl = self._exclusion(shown)
        if excl is not None:
            options.append(Act(kind="command", command="no_more", facts=[excl]))
        like = self._like_but(shown)
        if like is not None:
            options.append(like)
        if options:
            return options[self.rng.randrange(len(options))]
        if fallback:
            return Act(kind="command", command="others")
        return None

    def _like_but(self, shown: list[tuple[int, ItemView]]) -> Act | None:
        """"Something like #n but newer/older": only for an item close to the target (same person,
        or two salient kinds in common) whose year is on the other side of the target's."""
        p = self.profile
        if p.year is None or not p.year_field:
            return None
        for i, item in shown:
            year = item.numeric.get(p.year_field)
            if year is None or math.isclose(year, p.year):
                continue
            same_person = p.people_field and set(p.people) & set(item.categorical.get(p.people_field, []))
            shared = set(p.kinds[:3]) & set(item.categorical.get(p.kind_field or "", []))
            if not (same_person or len(shared) >= 2):
                continue
            newer = p.year > year
            fact = Fact(role="year", field=p.year_field, op="gte" if newer else "lte",
                        value=year + 1 if newer else year - 1, style="newer" if newer else "older")
            return Act(kind="command", command="like_but_newer" if newer else "like_but_older", position=i,
                       facts=[fact])
        return None

    def _broken_stated(self, shown: list[tuple[int, ItemView]]) -> tuple[Fact, int] | None:
        for fact in self.stated:
            if fact.op == "sort" or fact.style in ("newer", "older"):
                continue
            for i, item in shown:
                if not fact.holds_for(item):
                    return fact, i
        return None

    def _new(self, fact: Fact, also: list[Fact] = ()) -> bool:
        said = self.stated + list(also)
        return fact.key not in {f.key for f in said} and not implied(fact, said)

    def _commit(self, act: Act) -> Act:
        for fact in act.facts:
            if fact.key not in {f.key for f in self.stated}:
                self.stated.append(fact)
        return act


def static_facts(p: TargetProfile) -> dict[str, list[Fact]]:
    """Every fact the profile supports, per role, most general first."""
    facts: dict[str, list[Fact]] = {r: [] for r in ("kind", "people", "year", "rating", "other", "popularity")}
    if p.kind_field:
        facts["kind"] = [Fact(role="kind", field=p.kind_field, op="include", value=v) for v in p.kinds[:3]]
    if p.people_field and p.people:
        facts["people"] = [Fact(role="people", field=p.people_field, op="include", value=p.people[0])]
    if p.year_field and p.year is not None:
        year = int(p.year)
        if year < 1000:
            facts["year"] = [Fact(role="year", field=p.year_field, op="lte", value=999.0, style="before")]
        else:
            lo = year - year % 10
            facts["year"] = [Fact(role="year", field=p.year_field, op="between", value=float(lo),
                                  upper=float(lo + 9), style="decade")]
            part = "early" if year % 10 <= 2 else "mid" if year % 10 <= 5 else "late"
            a, b = PART_RANGES[part]
            facts["year"].append(Fact(role="year", field=p.year_field, op="between", value=float(lo + a),
                                      upper=float(lo + b), style=part))
    if p.rating_field and p.rating is not None:
        band = math.floor(p.rating * 2) / 2
        if band >= 3.5:
            facts["rating"] = [Fact(role="rating", field=p.rating_field, op="gte", value=band)]
    for field, values in p.other.items():
        facts["other"] += [Fact(role="other", field=field, op="include", value=v) for v in values[:1]]
    return facts


def violates(fact: Fact, item: ItemView, profile: TargetProfile) -> bool:
    """Whether a shown item breaks ``fact`` (for a sort fact: sits on the wrong side of the target)."""
    if fact.op == "sort":
        if fact.value == "obscure":
            return item.popularity > profile.popularity + 0.02
        return item.popularity < profile.popularity - 0.02
    return not fact.holds_for(item)


def implied(fact: Fact, stated: list[Fact]) -> bool:
    """True when the stated facts already say at least as much as ``fact``."""
    mine = fact.constraints()
    if not mine:
        return False
    theirs = [c for f in stated for c in f.constraints()]
    for c in mine:
        if c.op in ("include", "exclude"):
            if not any(t.field == c.field and t.op == c.op and str(t.value).lower() == str(c.value).lower()
                       for t in theirs):
                return False
        elif c.op == "gte":
            if not any(t.field == c.field and t.op == "gte" and float(t.value) >= float(c.value) for t in theirs):
                return False
        elif not any(t.field == c.field and t.op == "lte" and float(t.value) <= float(c.value) for t in theirs):
            return False
    return True
