"""The scripted-dialogue format: the YAML models and reading them from files.

A file holds one dialogue, or several as YAML documents separated by ``---``::

    name: negation excludes an author
    user: reader-a            # optional: dialogues naming the same user share long-term memory
    turns:
      - say: a fantasy novel from the 90s, nothing by Tolkien
        expect:
          intent: recommend
          has_constraint: [{field: authors, op: exclude, value: J.R.R. Tolkien}]
          every_item: [{field: year, op: gte, value: 1990}]
      - say: more like #2
        expect:
          anchors: [shown#2]        # the 2nd item of the latest turn that showed items

Every model forbids unknown keys, so a typo is an error, not a silently skipped check.
Item references are a catalog id, ``shown#N`` (the Nth item of the latest earlier turn that
showed items, as "#N" means to the agent) or ``turnT#N`` (the Nth item of turn T, from 1).

Kept apart from running so that a file can be checked (``recpilot dialogues check``) without
an agent, and so that the error messages ("did you mean ...?") live beside the models they read.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from recpilot.errors import UserError
from recpilot.preferences import Constraint, Intent, Preference

_REF = re.compile(r"^(?:shown|turn(?P<turn>\d+))#(?P<rank>\d+)$")
#: ``say: more like #2`` unquoted: YAML would silently drop "#2" as a comment
_UNQUOTED_HASH = re.compile(r"^\s*(?:-\s*)?say:\s*[^\s'\"|>].*\s#")


class DialogueFormatError(UserError):
    """A dialogue file that cannot be read or does not follow the format."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConstraintSpec(_Strict):
    """A hard constraint in the state; ``value`` left out matches any value."""

    field: str
    op: Literal["include", "exclude", "gte", "lte"]
    value: str | float | None = None

    def matches(self, c: Constraint) -> bool:
        if c.field != self.field or c.op != self.op:
            return False
        if self.value is None:
            return True
        if isinstance(self.value, str):
            return str(c.value).lower() == self.value.lower()
        return isinstance(c.value, int | float) and abs(float(c.value) - float(self.value)) < 1e-9

    def __str__(self) -> str:
        return f"{self.field} {self.op} {'(any value)' if self.value is None else self.value}"


class PrefSpec(_Strict):
    """A soft like or dislike; ``field`` left out matches any field, free text included."""

    value: str
    field: str | None = None

    def matches(self, p: Preference) -> bool:
        return p.value.lower() == self.value.lower() and (self.field is None or p.field == self.field)

    def __str__(self) -> str:
        return f"{self.field}={self.value}" if self.field else self.value


class ItemPredicate(_Strict):
    """What every recommended item must satisfy, read from the item's own catalog fields.

    ``include``/``exclude`` take one value or a list: the item has any of them / none of them
    (a family of genres that all fit, e.g. [children's, middle grade, young adult] for a 12-year-old).
    """

    field: str
    op: Literal["include", "exclude", "eq", "gte", "lte", "gt", "lt"]
    value: str | float | list[str]

    @model_validator(mode="after")
    def _list_needs_membership(self) -> ItemPredicate:
        if isinstance(self.value, list) and (self.op not in ("include", "exclude") or not self.value):
            raise ValueError("a list of values needs op include or exclude, and at least one value")
        return self

    def __str__(self) -> str:
        value = " | ".join(self.value) if isinstance(self.value, list) else self.value
        return f"{self.field} {self.op} {value}"


class SharePredicate(ItemPredicate):
    """What most recommended items must satisfy: at least ``share`` of them.

    For expectations a good human pick list meets without every item meeting them ("most are
    mysteries" for a cozy-mystery request: one adjacent pick is fine, five thrillers are not).
    """

    share: float = Field(0.6, gt=0.0, le=1.0)

    def __str__(self) -> str:
        return f"{super().__str__()} (at least {self.share:.0%})"


def _check_ref(value: str) -> str:
    if "#" in value and not _REF.match(value):
        raise ValueError(f"bad item reference {value!r}: use an id, shown#N or turnT#N")
    return value


class Expect(_Strict):
    """Expectations checked after one turn; every key is optional."""

    intent: Intent | list[Intent] | None = None
    question: bool | None = Field(None, description="a clarifying question is (true) or is not (false) asked")
    min_items: int | None = Field(None, ge=0)
    max_items: int | None = Field(None, ge=0)
    has_constraint: list[ConstraintSpec] = Field(default_factory=list)
    lacks_constraint: list[ConstraintSpec] = Field(default_factory=list)
    likes: list[PrefSpec] = Field(default_factory=list)
    lacks_like: list[PrefSpec] = Field(default_factory=list)
    dislikes: list[PrefSpec] = Field(default_factory=list)
    lacks_dislike: list[PrefSpec] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list, description="each is part of some keyword")
    lacks_keyword: list[str] = Field(default_factory=list, description="no keyword contains it")
    sort: str | None = None
    liked_items: list[str] = Field(default_factory=list)
    rejected_items: list[str] = Field(default_factory=list)
    anchors: list[str] = Field(default_factory=list)
    every_item: list[ItemPredicate] = Field(default_factory=list)
    most_items: list[SharePredicate] = Field(default_factory=list, description="at least `share` of the items hold")
    items_include: list[str] = Field(default_factory=list)
    items_exclude: list[str] = Field(default_factory=list)
    item_title_matches: list[str] = Field(default_factory=list, description="regex; some item's title matches")
    no_item_title_matches: list[str] = Field(
        default_factory=list, description="regex; no item's title matches (a request word must not pull titles up)")
    read_items: list[str] = Field(default_factory=list, description="in the state's already-read items")
    unmentioned: list[str] = Field(
        default_factory=list, description="in none of the state's item lists (a word that is also a title, not meant as one)")
    set_aside: bool | None = Field(None, description="an earlier request is (true) or is not (false) set aside")
    remembered: list[PrefSpec] = Field(default_factory=list, description="a like or dislike recalled from memory")
    lacks_remembered: list[PrefSpec] = Field(default_factory=list, description="no such like or dislike from memory")
    no_rejected_items: bool = Field(False, description="no item rejected or read earlier in the dialogue is shown")
    new_items: bool = Field(False, description="no item was shown in an earlier turn")
    details: bool | None = Field(None, description="item details are (true) or are not (false) given")
    details_of: str | None = None
    mentions_field: str | None = Field(None, description="the reply names this field's value of the item asked about")
    says: list[str] = Field(default_factory=list, description="regex matched against the message and question")
    says_not: list[str] = Field(default_factory=list, description="regex; neither the message nor the question matches")
    parse_notes: list[str] = Field(default_factory=list, description="regex matched against the parser's notes")
    no_warnings: bool = False

    @field_validator("liked_items", "rejected_items", "anchors", "items_include", "items_exclude", "read_items",
                     "unmentioned")
    @classmethod
    def _refs(cls, values: list[str]) -> list[str]:
        return [_check_ref(str(v)) for v in values]

    @field_validator("details_of")
    @classmethod
    def _ref(cls, value: str | None) -> str | None:
        return None if value is None else _check_ref(str(value))

    @field_validator("item_title_matches", "no_item_title_matches", "says", "says_not", "parse_notes")
    @classmethod
    def _regexes(cls, values: list[str]) -> list[str]:
        for v in values:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"bad regular expression {v!r}: {exc}") from None
        return values


class Turn(_Strict):
    say: str
    expect: Expect = Field(default_factory=Expect)


class Dialogue(_Strict):
    name: str
    description: str = ""
    user: str | None = Field(None, description="dialogues naming the same user share long-term memory")
    catalog: str | None = Field(None, description="the catalog it is written for; default: the active one")
    k: int | None = Field(None, ge=1, le=50, description="items per turn")
    turns: list[Turn] = Field(min_length=1)


class LoadedDialogue(BaseModel):
    dialogue: Dialogue
    source: str


# --- loading ----------------------------------------------------------------------------------
def dialogue_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, and the ``*.yaml``/``*.yml`` files directly in each folder named, sorted."""
    out: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        elif path.exists():
            out.append(path)
        else:
            raise DialogueFormatError(f"no such file or folder: {path}")
    return out


def load_dialogues(path: Path) -> list[LoadedDialogue]:
    """Every dialogue in one file; raises ``DialogueFormatError`` with the place and the reason."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise DialogueFormatError(f"{path}: cannot read: {exc}") from exc
    for lineno, line in enumerate(text.splitlines(), start=1):
        if _UNQUOTED_HASH.match(line):
            raise DialogueFormatError(
                f"{path}:{lineno}: quote this utterance: YAML reads ' #' as the start of a comment, "
                f"so the words from '#' on would be lost: {line.strip()}")
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise DialogueFormatError(f"{path}: invalid YAML: {exc}") from exc
    if not docs:
        raise DialogueFormatError(f"{path}: no dialogue in the file")
    out = []
    for i, doc in enumerate(docs, start=1):
        where = f"{path}" + (f" (dialogue {i})" if len(docs) > 1 else "")
        if not isinstance(doc, dict):
            raise DialogueFormatError(f"{where}: a dialogue is a mapping with 'name' and 'turns'")
        doc = {"name": path.stem if len(docs) == 1 else f"{path.stem} #{i}", **doc}
        try:
            dialogue = Dialogue.model_validate(doc)
        except ValidationError as exc:
            raise DialogueFormatError(f"{where}: " + "; ".join(_explain(e) for e in exc.errors()[:5])) from None
        out.append(LoadedDialogue(dialogue=dialogue, source=str(path)))
    return out


def _explain(error: dict) -> str:
    loc = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in error["loc"]).replace(".[", "[")
    if error["type"] == "extra_forbidden":
        key = str(error["loc"][-1])
        model = _model_at(error["loc"][:-1])
        hint = difflib.get_close_matches(key, list(model.model_fields), n=1) if model else []
        known = f"did you mean {hint[0]!r}?" if hint else f"known keys: {', '.join(model.model_fields)}" if model else ""
        return f"{loc}: unknown key {key!r}" + (f" ({known})" if known else "")
    return f"{loc}: {error['msg']}"


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model a validation error's location points into (for 'did you mean')."""
    model: Any = Dialogue
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return None
        model = _inner_model(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
