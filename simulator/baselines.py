"""Baselines run through the same harness as RecPilot.

- popularity: the most popular items, ignoring the conversation, never repeating one shown;
- retrieval: the whole user side of the dialogue embedded as one query, top-k from the vector
  store through the ``search_items`` tool (no parser, no planner, no constraints);
- blend: genre words in the user's text, item-item collaborative filtering from the items the
  user named, and popularity, blended (``BlendAgent``; catalogs with genres and ratings only);
  and the same plus the conversations model RecPilot is given (``ConversationBlendAgent``);
- llm-only: the LLM names items from its own knowledge; names are mapped to the catalog by
  fuzzy title match (rapidfuzz) and unmatched names are kept as ids outside the catalog, so
  they count as hallucinations.
"""

from __future__ import annotations

import re
import time

import numpy as np
from rapidfuzz import fuzz, process

from recpilot.catalog import Catalog, item_noun, minmax
from recpilot.errors import LLMUnavailable
from recpilot.llm.base import ChatModel
from recpilot.prompts import render
from recpilot.simulator.agents import DialogueAgent, DialogueSoFar
from recpilot.simulator.leak import normalize, title_variants
from recpilot.simulator.models import AgentReply, ToolCallRecord

UNMATCHED = "unmatched:"
MATCH_CUTOFF = 85.0


class PopularityAgent(DialogueAgent):
    name = "popularity"

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.order = np.argsort(-catalog.popularity, kind="stable")

    def respond(self, dialogue: DialogueSoFar, k: int) -> AgentReply:
        t0 = time.perf_counter()
        shown, ids = dialogue.shown, []
        for row in self.order:
            item = self.catalog.items[int(row)]
            if item.id not in shown:
                ids.append(item.id)
                if len(ids) == k:
                    break
        return _reply(self.catalog, ids, "The most popular picks.", t0)


class RetrievalAgent(DialogueAgent):
    name = "retrieval"

    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    def respond(self, dialogue: DialogueSoFar, k: int) -> AgentReply:
        from recpilot.tools import TOOLS
        from recpilot.tools.context import ToolContext

        t0 = time.perf_counter()
        query = " ".join(dialogue.user)[-2000:] or "-"
        shown = dialogue.shown
        ctx = ToolContext(catalog=self.catalog)
        s0 = time.perf_counter()
        TOOLS["search_items"](ctx, {"query": query, "limit": min(2000, k + len(shown) + 5)})
        call = ToolCallRecord(tool="search_items", args={"query": query, "limit": k + len(shown) + 5},
                              candidates=len(ctx.bus), duration_ms=round((time.perf_counter() - s0) * 1000, 1))
        ids = [self.catalog.items[r].id for r in ctx.bus.rows.tolist() if self.catalog.items[r].id not in shown][:k]
        reply = _reply(self.catalog, ids, "Closest to what you said.", t0)
        reply.tool_calls = [call]
        return reply


class BlendAgent(DialogueAgent):
    """A strong simple baseline: ``0.5 × cf + 0.3 × genre + 0.2 × popularity``, each part
    min-max scaled over the catalog (fixed weights, chosen before looking at any score).

    - genre: how many of the genres named in the user's text so far an item has. A genre is
      named by its own name ("comedy", "sci-fi") or by a synonym the catalog's schema gives for
      it ("funny", "scary", "rom com"); the titles of items named in the dialogue are taken out
      of the text first ("Scary Movie" names no genre).
    - cf: item-item collaborative filtering, the cosine between items over who rated them at
      least ``POSITIVE`` in the catalog's interactions, summed over the items the user named.
    - popularity: the catalog's popularity (for ReDial, the leak-free mentions).

    Never suggests an item named in the dialogue, by the user or by the other side.
    """

    name = "blend"
    WEIGHTS = {"cf": 0.5, "genre": 0.3, "popularity": 0.2}
    FIELD = "genres"
    POSITIVE = 4.0

    @classmethod
    def applies(cls, catalog: Catalog) -> bool:
        inter = catalog.interactions
        return bool(catalog.categorical.get(cls.FIELD)) and inter is not None and inter.count > 0

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        inter = catalog.interactions
        liked = np.isnan(inter.ratings) | (inter.ratings >= self.POSITIVE)
        self.liked = np.zeros((len(inter.user_ids), len(catalog)), dtype=np.float32)  # users x items, 0/1
        self.liked[inter.users[liked], inter.items[liked]] = 1.0
        self.norms = np.sqrt(self.liked.sum(axis=0))
        self.norms[self.norms == 0] = 1.0
        genres = catalog.categorical[self.FIELD]
        self.rows = genres
        phrases = {value: value for value in genres}
        phrases.update({alias.lower(): canonical.lower() for alias, canonical
                        in catalog.schema.synonyms.get(self.FIELD, {}).items() if canonical.lower() in genres})
        self.phrases = {_words(p): value for p, value in phrases.items() if _words(p)}
        self.popularity = minmax(catalog.popularity)

    def genres_named(self, text: str, named: set[str]) -> set[str]:
        words = f" {_words(text)} "
        for item_id in named:
            if self.catalog.has(item_id):
                words = words.replace(f" {_words(self.catalog.get(item_id).title)} ", " ")
        return {value for phrase, value in self.phrases.items() if f" {phrase} " in words}

    def scores(self, text: str, named: list[str], mentioned: set[str]) -> np.ndarray:
        genre = np.zeros(len(self.catalog))
        for value in self.genres_named(text, mentioned):
            genre[self.rows[value]] += 1.0
        cf = np.zeros(len(self.catalog))
        seeds = self.catalog.rows(list(dict.fromkeys(named)))
        if len(seeds):
            co = self.liked[:, seeds].T @ self.liked  # (seeds, items): users who liked both
            cf = (co / self.norms[seeds, None] / self.norms[None, :]).sum(axis=0)
        w = self.WEIGHTS
        return w["cf"] * minmax(cf) + w["genre"] * minmax(genre) + w["popularity"] * self.popularity

    def respond(self, dialogue: DialogueSoFar, k: int) -> AgentReply:
        t0 = time.perf_counter()
        mentioned = dialogue.shown | set(dialogue.named)
        score = self.scores(" ".join(dialogue.user), dialogue.named, mentioned) + self.extra(dialogue)
        score[self.catalog.rows(sorted(mentioned))] = -np.inf
        order = np.argsort(-score, kind="stable")[:k]
        ids = [self.catalog.items[int(r)].id for r in order if np.isfinite(score[r])]
        return _reply(self.catalog, ids, "Fits the genres you named and what you mentioned.", t0)

    def extra(self, dialogue: DialogueSoFar) -> np.ndarray | float:
        """What a variant adds to the blend for this dialogue (nothing here)."""
        return 0.0


class ConversationBlendAgent(BlendAgent):
    """The blend plus the films named together with the user's in other dialogues: the same
    conversations model RecPilot is given for the dialogue (``models``: dialogue id -> model,
    fitted on the other folds), summed over the items the user named, min-max scaled and weighted
    like the blend's collaborative part (0.5, not tuned). RecPilot's margin over this one is what
    it adds beyond the data."""

    name = "blend+conversations"
    WEIGHT = 0.5

    def __init__(self, catalog: Catalog, models: dict):
        super().__init__(catalog)
        self.models = models

    def extra(self, dialogue: DialogueSoFar) -> np.ndarray | float:
        from recpilot.tools.rankers.data import UserItems

        model = self.models.get(dialogue.id)
        seeds = self.catalog.rows(list(dict.fromkeys(dialogue.named)))
        if model is None or not len(seeds):
            return 0.0
        return self.WEIGHT * minmax(model.score(UserItems.from_lists([seeds], len(self.catalog)))[0].astype(float))


def _words(text: str) -> str:
    """Lower-case words, hyphens as spaces: "Sci-Fi" and "sci fi" are the same phrase."""
    return " ".join(re.findall(r"[a-z0-9']+", text.lower().replace("-", " ")))


class LLMOnlyAgent(DialogueAgent):
    name = "llm-only"

    def __init__(self, catalog: Catalog, llm: ChatModel):
        self.catalog, self.llm = catalog, llm
        self.llm_name = llm.name
        self.noun = item_noun(catalog)
        self.keys: list[str] = []
        self.rows: list[int] = []
        best: dict[str, int] = {}
        for row, item in enumerate(catalog.items):
            for key in title_variants(item.title)[:2]:
                if key not in best or catalog.popularity[row] > catalog.popularity[best[key]]:
                    best[key] = row
        self.keys, self.rows = list(best), list(best.values())

    def respond(self, dialogue: DialogueSoFar, k: int) -> AgentReply:
        t0 = time.perf_counter()
        shown_titles = [t for r in dialogue.replies for t in r.titles]
        messages = render("sim_baseline_llm", noun=self.noun, k=k, dialogue=" / ".join(dialogue.user)[-1500:],
                          shown="; ".join(shown_titles[-15:]) or "(none)")
        try:
            response = self.llm.complete(messages, max_tokens=12 * k, temperature=0.0)
        except LLMUnavailable as exc:
            reply = _reply(self.catalog, [], f"(the LLM failed: {exc})", t0)
            return reply
        ids = []
        shown = dialogue.shown
        for name in parse_names(response.text)[: 2 * k]:
            item_id = self.match(name)
            if item_id not in shown and item_id not in ids:
                ids.append(item_id)
            if len(ids) == k:
                break
        reply = _reply(self.catalog, ids, response.text.strip()[:500], t0)
        reply.llm_calls, reply.prompt_tokens, reply.completion_tokens = 1, response.prompt_tokens, response.completion_tokens
        return reply

    def match(self, name: str) -> str:
        """The catalog id whose title matches ``name`` closely enough, else an unmatched id."""
        key = normalize(re.split(r"\s+by\s+", name)[0])
        if key.startswith(("the ", "a ", "an ")):
            key = key.split(" ", 1)[1]
        hit = process.extractOne(key, self.keys, scorer=fuzz.ratio, score_cutoff=MATCH_CUTOFF) if key else None
        if hit is None:
            return UNMATCHED + name[:80]
        return self.catalog.items[self.rows[hit[2]]].id


def parse_names(text: str) -> list[str]:
    """One name per line, without numbering, bullets or quotes."""
    names = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:\d+[.)]|[-*•])\s*", "", line).strip().strip("\"“”*'").strip()
        if 2 <= len(line) <= 150:
            names.append(line)
    return names


def _reply(catalog: Catalog, ids: list[str], text: str, t0: float) -> AgentReply:
    titles = [catalog.get(i).title if catalog.has(i) else i for i in ids]
    return AgentReply(item_ids=ids, titles=titles, text=text, latency_ms=round((time.perf_counter() - t0) * 1000, 1))
