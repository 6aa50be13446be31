"""Stance examples: human seekers' messages about movies (ReDial) and the simulator's
phrasings about named books.

From a ReDial dialogue, for each movie the seeker's form labels (liked 1 / disliked 0 /
did not say 2 -> liked / disliked / neutral):

* ``mention``: every seeker message that names it, read at the span of its (first) mention
  after ``@id`` is rendered as the title;
* ``reply``: the first seeker message after a recommender message that names it, when that
  message names no movie itself ("haven't seen it but it sounds good"): read whole.

A labelled movie that neither reaches is counted (``DialogueGold``) but has no example: the
dialogue-level score counts it as missed, as it would be for a parser.

Book examples come from the phrasebook's item sentences (``training.corpus.mention_messages``)
with demo catalog titles, weighted down so that human text dominates training; they are
never test examples.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from itertools import groupby
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from recpilot.agent.stance import Stance
from recpilot.simulator.redial import RedialDialogue, read_dialogues, render_mentions

LABELS: dict[int, Stance] = {1: "liked", 0: "disliked", 2: "neutral"}
BOOK_GROUP = "book:"


class StanceExample(BaseModel):
    text: str
    spans: list[tuple[int, int]] = Field(description="every mention in text, as char offsets")
    index: int | None = Field(description="the span read; None: the whole message (a reply)")
    label: Stance
    group: str = Field(description="dialogue id: a group never splits across folds")
    item: str
    turn: int = Field(0, description="message index in the dialogue (which reading is last)")
    source: Literal["mention", "reply", "book"]
    weight: float = 1.0

    @property
    def row(self) -> tuple[str, list[tuple[int, int]], int | None]:
        return self.text, self.spans, self.index


class DialogueGold(BaseModel):
    """What ReDial's parser score needs of a dialogue: the labels and every movie mentioned."""

    id: str
    labels: dict[str, int]
    mentioned: list[str]


def redial_examples(path: Path, limit: int | None = None) -> tuple[list[StanceExample], list[DialogueGold], list[str]]:
    """The examples and gold of every dialogue in ``path``, and the lines that could not be read."""
    dialogues, errors = read_dialogues(path, limit)
    examples = [e for d in dialogues for e in dialogue_examples(d)]
    gold = [DialogueGold(id=d.id, labels=d.labels, mentioned=sorted(d.mentioned)) for d in dialogues]
    return examples, gold, errors


def dialogue_examples(d: RedialDialogue) -> list[StanceExample]:
    rendered = [render_mentions(m.text, d) for m in d.messages]
    out: list[StanceExample] = []
    replied: set[tuple[int, str]] = set()
    for turn, (msg, (text, mentions)) in enumerate(zip(d.messages, rendered, strict=True)):
        spans = [(m.start, m.end) for m in mentions]
        if msg.sender == "seeker":
            first: dict[str, int] = {}
            for i, m in enumerate(mentions):
                first.setdefault(m.movie_id, i)
            out += [StanceExample(text=text, spans=spans, index=i, label=LABELS[d.labels[movie]], group=d.id,
                                  item=movie, turn=turn, source="mention")
                    for movie, i in first.items() if movie in d.labels]
            continue
        reply = next((k for k in range(turn + 1, len(d.messages)) if d.messages[k].sender == "seeker"), None)
        if reply is None or rendered[reply][1] or not rendered[reply][0]:
            continue  # no answer, or an answer that names movies (read at its own mentions)
        for m in mentions:
            if m.movie_id in d.labels and (reply, m.movie_id) not in replied:
                replied.add((reply, m.movie_id))
                out.append(StanceExample(text=rendered[reply][0], spans=[], index=None,
                                         label=LABELS[d.labels[m.movie_id]], group=d.id, item=m.movie_id,
                                         turn=reply, source="reply"))
    return out


def book_examples(n: int, seed: int = 0, part: str = "train", weight: float = 1.0) -> list[StanceExample]:
    """``n`` named-book examples from the phrasebook's ``part`` sentences, one group per message."""
    from recpilot.training.corpus import mention_messages

    out: list[StanceExample] = []
    # mention_messages gives the mentions of one message one after the other
    for k, (text, group) in enumerate(groupby(mention_messages(demo_titles(), n, seed, part, noun="book"),
                                              key=lambda e: e.text)):
        mentions = list(group)
        spans = [m.span for m in mentions if m.span]
        out += [StanceExample(text=text, spans=spans, index=i, label=m.label, group=f"{BOOK_GROUP}{part}:{k}",
                              item=m.item_id, source="book", weight=weight) for i, m in enumerate(mentions)]
    return out


def demo_titles() -> list[tuple[str, str]]:
    """(id, title as said) of the demo catalog's books with titles of two words or more, read
    from the shipped file (no ingest needed)."""
    from recpilot.ingest import DEMO_DIR
    from recpilot.simulator.leak import spoken_title

    with gzip.open(DEMO_DIR / "catalog.jsonl.gz", "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return [(str(r["id"]), t) for r in rows if len((t := spoken_title(str(r["title"]))).split()) >= 2]


def digest(examples: list[StanceExample]) -> str:
    """A short hash of the training data, stored with the weights."""
    h = hashlib.sha1()
    for e in examples:
        h.update(e.model_dump_json().encode())
    return h.hexdigest()[:16]


_POOLS = {"liked": "item_liked", "disliked": "item_disliked", "neutral": "item_neutral"}


def prototypes() -> dict[str, list[str]]:
    """Prototype sentences by stance, the item as "it": the phrasebook's training reactions
    plus the lexicon's (``agent.stance_lexicon.REACTIONS``)."""
    from recpilot.agent.stance_lexicon import REACTIONS
    from recpilot.simulator import phrasebook

    return {c: [t.format(x="it") for t in phrasebook.split_pool(pool, "train")] + REACTIONS[c]
            for c, pool in _POOLS.items()}
