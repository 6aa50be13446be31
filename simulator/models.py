"""Typed records of the simulator: what a simulated user knows, says, and what a run writes.

Everything written to ``dialogues.jsonl``, ``summary.json``, ``config.json`` and ``runs.jsonl``
is one of these models, so a file can always be read back and validated.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from recpilot.preferences import Constraint
from recpilot.settings import LLMSettings

Role = Literal["kind", "people", "year", "rating", "popularity", "other"]
FactOp = Literal["include", "exclude", "gte", "lte", "between", "sort"]
ActKind = Literal["open", "answer", "reject", "command", "restate", "accept"]


class Fact(BaseModel):
    """One thing the simulated user can say about the item they want, true of the target."""

    model_config = {"extra": "forbid"}

    role: Role
    field: str
    op: FactOp
    value: str | float
    upper: float | None = Field(None, description="upper bound of a 'between' range")
    style: str = Field("", description="how to phrase it: decade, part, after, before, ...")

    @property
    def key(self) -> str:
        return f"{self.field}:{self.op}:{self.value}:{self.upper}"

    def constraints(self) -> list[Constraint]:
        """The hard constraints this fact amounts to (a sort preference is none)."""
        if self.op == "sort":
            return []
        if self.op == "between":
            return [Constraint(field=self.field, op="gte", value=float(self.value)),
                    Constraint(field=self.field, op="lte", value=float(self.upper))]
        return [Constraint(field=self.field, op=self.op, value=self.value)]

    def holds_for(self, item: ItemView) -> bool:
        return all(_satisfied(c, item) for c in self.constraints())


class ItemView(BaseModel):
    """What a user sees of a recommended item on its card (never used for the target itself)."""

    id: str
    title: str
    categorical: dict[str, list[str]] = Field(default_factory=dict)
    numeric: dict[str, float] = Field(default_factory=dict)
    popularity: float = 0.0
    known: bool = True


class TargetProfile(BaseModel):
    """The hidden target as the simulated user knows it: attributes only, never title or id."""

    model_config = {"extra": "forbid"}

    noun: str = Field("item", description="what the catalog holds, in the user's words: book, movie, item")
    kind_field: str | None = None
    kinds: list[str] = Field(default_factory=list, description="salient values of the kind field first")
    all_kinds: list[str] = Field(default_factory=list)
    people_field: str | None = None
    people: list[str] = Field(default_factory=list)
    year_field: str | None = None
    year: float | None = None
    rating_field: str | None = None
    rating: float | None = None
    popularity: float = Field(0.0, description="0..1, the catalog's normalised popularity")
    other: dict[str, list[str]] = Field(default_factory=dict, description="distinctive values of other fields")
    summary: str = Field("", description="a paraphrase of the item without its title")

    def values(self) -> list[str]:
        """Every attribute value the user may name."""
        return [*self.all_kinds, *self.people, *(v for vs in self.other.values() for v in vs)]

    def has(self, field: str, value: str) -> bool:
        value = value.lower()
        if field == self.kind_field:
            return value in {v.lower() for v in self.all_kinds}
        if field == self.people_field:
            return value in {v.lower() for v in self.people}
        return value in {v.lower() for v in self.other.get(field, [])}


class Persona(BaseModel):
    model_config = {"extra": "forbid"}

    name: str
    style: Literal["terse", "plain", "chatty"]
    opening: Literal["kind", "kind+year", "people", "kind+rating", "liked"]
    reveal_order: list[Role]
    command_rate: float = Field(0.2, ge=0, le=1)
    positional_rate: float = Field(0.5, ge=0, le=1)
    liked_titles: list[str] = Field(default_factory=list, description="other items the user loved (history mode)")
    description: str = ""


class Act(BaseModel):
    """A dialogue act chosen by the policy; a simulator then puts it into words."""

    kind: ActKind
    facts: list[Fact] = Field(default_factory=list, description="facts stated for the first time")
    restated: list[Fact] = Field(default_factory=list, description="facts said before and repeated")
    position: int | None = Field(None, description="1-based position of the item referred to")
    reason: Fact | None = Field(None, description="the fact the referred item breaks")
    command: Literal["no_more", "like_but_newer", "like_but_older", "others", "liked"] | None = None
    liked_title: str | None = None


class ReplyView(BaseModel):
    """The agent's reply as the simulated user sees it."""

    text: str = ""
    question: str | None = None
    items: list[ItemView] = Field(default_factory=list)


class LLMUse(BaseModel):
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    fallbacks: int = Field(0, description="turns where the LLM's text was unusable and a template was used")


class SimUtterance(BaseModel):
    text: str
    act: Act
    llm: LLMUse = Field(default_factory=LLMUse)


# --- what the agent under test returns ---------------------------------------------------------
class ToolCallRecord(BaseModel):
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    candidates: int = 0
    duration_ms: float = 0.0
    error: str | None = None


class AgentReply(BaseModel):
    item_ids: list[str] = Field(default_factory=list)
    titles: list[str] = Field(default_factory=list)
    text: str = ""
    question: str | None = None
    state: dict[str, Any] | None = Field(None, description="the agent's preference state, if it keeps one")
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    llm_calls: int = 0
    parser_llm_calls: int = Field(0, description="of llm_calls, those the parser made")
    used_distilled: bool = Field(False, description="the distilled parser read the message (no parser LLM call)")
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0


# --- what a run writes ---------------------------------------------------------------------------
class DialogueSpec(BaseModel):
    id: str
    index: int
    seed: str


class TurnLog(BaseModel):
    turn: int
    user: str
    act: Act
    reply: AgentReply
    stated: list[Fact] = Field(default_factory=list, description="every fact the user has stated so far")
    sim_llm: LLMUse = Field(default_factory=LLMUse)


class DialogueRecord(BaseModel):
    id: str
    seed: str
    simulator: str
    agent: str
    target_id: str
    target_title: str = Field(description="for reports only; the simulator never sees it")
    profile: TargetProfile
    persona: Persona
    turns: list[TurnLog] = Field(default_factory=list)
    closing: str | None = Field(None, description="the user's last words (an accept), not sent to the agent")
    outcome: Literal["success", "failure", "leaked", "error"]
    success_turn: int | None = None
    leaked: bool = False
    leak: str | None = Field(None, description="what was leaked and where")
    error: str | None = None
    wall_ms: float = 0.0
    worker: str = ""
    finished_at: float = 0.0


class RunConfig(BaseModel):
    """What defines a run; a resumed run must match it (the dialogue count may grow)."""

    model_config = {"extra": "forbid"}

    simulator: Literal["rule", "llm"] = "rule"
    agent: Literal["recpilot", "popularity", "retrieval", "llm-only"] = "recpilot"
    dialogues: int = Field(20, ge=1)
    max_turns: int = Field(5, ge=1, le=50)
    k: int = Field(5, ge=1, le=50)
    seed: int = 0
    targets: Literal["catalog", "popular", "history", "heldout"] = "catalog"
    catalog: str = "demo"
    agent_llm: str = Field("none", description="the agent's LLM backend and model, for the record")
    sim_llm: LLMSettings | None = None
    chatter: float = Field(0.0, ge=0.0, le=1.0, description="share of user messages with a sentence of "
                           "context that changes nothing (held-out phrasebook phrases)")
    # recorded from the settings by ``runner.run_simulation`` (what is given here is replaced);
    # the defaults describe runs made before these were recorded
    ranker: str = Field("none", description="the trained ranker RecPilot blends in (its model name), or 'none'")
    learned_parser: bool = Field(False, description="RecPilot may use the distilled parser (settings.learned.parser)")
    split_seed: int | None = Field(None, description="heldout targets: the seed of the ratings split (the "
                                   "active ranker's, else 0)")

    def identity(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"dialogues"})


class RunInfo(BaseModel):
    started: float
    finished: float
    new_dialogues: int
    workers: int
    pool: Literal["inline", "process", "ray"]
    startup_s: float = 0.0
    interrupted: bool = False


class Summary(BaseModel):
    agent: str
    agent_llm: str = ""
    simulator: str = ""
    targets: str = ""
    ranker: str = "none"
    learned_parser: bool = False
    chatter: float = 0.0
    k: int
    max_turns: int
    dialogues: int
    scored_dialogues: int
    leaked_dialogues: int
    error_dialogues: int
    success_rate: float | None
    success_by_turn: list[float]
    avg_turns: float | None
    turns_distribution: list[int] = Field(default_factory=list, description="dialogues succeeding at turn 1..T, then failures")
    recall_at_k: float | None = Field(None, description="one-turn Recall@k: the first turn's list vs the target")
    ndcg_at_k: float | None = None
    violation_rate: float | None = Field(None, description="recommended items breaking a hard constraint of the "
                                         "agent's state at that turn (the user's stated facts for stateless agents)")
    stated_violation_rate: float | None = Field(None, description="recommended items breaking a fact the user had stated")
    hallucination_rate: float | None
    leak_rate: float
    llm_calls_per_turn: float | None
    parser_llm_calls_per_turn: float | None = None
    distilled_share: float | None = Field(None, description="share of turns the distilled parser read")
    tokens_per_turn: float | None
    sim_llm_calls_per_turn: float | None = None
    latency_ms_p50: float | None
    latency_ms_p95: float | None
    dialogues_per_min: float | None
    wall_s: float | None = None
    workers: int | None = None
    pool: str | None = None


def _satisfied(c: Constraint, item: ItemView) -> bool:
    if c.op in ("include", "exclude"):
        hit = str(c.value).lower() in {v.lower() for v in item.categorical.get(c.field, [])}
        return hit if c.op == "include" else not hit
    number = item.numeric.get(c.field)
    if number is None:
        return False
    return number >= float(c.value) if c.op == "gte" else number <= float(c.value)
