"""Seeded personas: how a simulated user talks and in which order they reveal what they know."""

from __future__ import annotations

import random

from recpilot.simulator.models import Persona, Role, TargetProfile

NAMES = ("Maya", "Leo", "Priya", "Sam", "Ines", "Tomas", "Aiko", "Jonah", "Zara", "Omar", "Nell", "Ravi",
         "Greta", "Kofi", "Lena", "Mateo")
STYLES = ("terse", "plain", "plain", "chatty")
# (opening, reveal order after it); every order ends with the roles not named earlier.
ARCHETYPES: tuple[tuple[str, tuple[Role, ...], str], ...] = (
    ("kind", ("year", "people", "rating", "kind", "other", "popularity"), "knows the genre and roughly when it came out"),
    ("kind+year", ("people", "kind", "rating", "other", "popularity"), "remembers the era first"),
    ("kind", ("people", "year", "kind", "rating", "other", "popularity"), "follows favourite creators"),
    ("kind+rating", ("year", "people", "kind", "other", "popularity"), "cares about good ratings"),
    ("people", ("year", "kind", "rating", "other", "popularity"), "asks for a creator straight away"),
    ("kind", ("kind", "year", "people", "popularity", "rating", "other"), "narrows the genre before anything else"),
)


def make_persona(rng: random.Random, profile: TargetProfile, liked_titles: list[str] | None = None) -> Persona:
    opening, order, trait = ARCHETYPES[rng.randrange(len(ARCHETYPES))]
    if liked_titles and rng.random() < 0.5:
        opening = "liked"
    if opening == "kind+rating" and (profile.rating is None or profile.rating < 3.5):
        opening = "kind"
    if opening == "people" and not profile.people:
        opening = "kind"
    if opening.startswith("kind") and not profile.kinds:
        opening = "people" if profile.people else "kind"
    name = NAMES[rng.randrange(len(NAMES))]
    style = STYLES[rng.randrange(len(STYLES))]
    order = list(order) + [r for r in ("kind", "year", "people", "rating", "other", "popularity") if r not in order]
    persona = Persona(
        name=name, style=style, opening=opening, reveal_order=order,
        command_rate=round(rng.uniform(0.1, 0.35), 2), positional_rate=round(rng.uniform(0.3, 0.8), 2),
        liked_titles=list(liked_titles or []),
    )
    persona.description = describe(persona, trait)
    return persona


def describe(persona: Persona, trait: str) -> str:
    voice = {"terse": "writes very short messages", "plain": "writes short, plain messages",
             "chatty": "is friendly and a little chatty"}[persona.style]
    text = f"{persona.name}, someone who {voice} and {trait}."
    if persona.liked_titles:
        text += " Loved before: " + "; ".join(persona.liked_titles) + "."
    return text
