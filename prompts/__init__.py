"""Prompt templates live here as YAML files; ``render`` fills them strictly.

A template file has ``name``, ``description`` and one entry per chat role (``system``,
``user``). Rendering uses Jinja2 with ``StrictUndefined``: a missing variable is an error,
never an empty string in a prompt.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml
from jinja2 import Environment, StrictUndefined

from recpilot.llm.base import Message

_env = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    text = resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or "user" not in data:
        raise ValueError(f"prompt {name!r} must define at least a 'user' template")
    return data


def names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files(__package__).iterdir() if p.name.endswith(".yaml"))


def render(name: str, **variables) -> list[Message]:
    data = load(name)
    out = []
    for role in ("system", "user"):
        if role in data:
            out.append(Message(role=role, content=_env.from_string(data[role]).render(**variables).strip()))
    return out
