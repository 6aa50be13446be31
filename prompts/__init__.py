"""Prompt templates live here as YAML files; ``render`` fills them strictly.

A template file has ``name``, ``description``, an optional ``system`` template, optional
few-shot ``examples`` (user/assistant pairs) and a ``user`` template. Rendering uses Jinja2 with ``StrictUndefined``: a missing variable is an error,
never an empty string in a prompt.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from recpilot.llm.base import Message


@cache
def _env():
    # jinja2 and yaml load on the first prompt: a turn without an LLM renders none
    from jinja2 import Environment, StrictUndefined

    return Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


@cache
def load(name: str) -> dict:
    import yaml

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
    if "system" in data:
        out.append(Message(role="system", content=_fill(data["system"], variables)))
    for example in data.get("examples", []):  # few-shot turns, for small models
        out.append(Message(role="user", content=_fill(example["user"], variables)))
        out.append(Message(role="assistant", content=_fill(example["assistant"], variables)))
    out.append(Message(role="user", content=_fill(data["user"], variables)))
    return out


def _fill(template: str, variables: dict) -> str:
    return _env().from_string(template).render(**variables).strip()
