"""One simulated dialogue: target, persona and user from the seed, then turns until the target
is recommended (success), the turns run out (failure), or the user leaks the target.
"""

from __future__ import annotations

import os
import random
import time
import traceback
from collections.abc import Callable

from recpilot.catalog import Catalog
from recpilot.simulator.agents import DialogueAgent, DialogueSoFar
from recpilot.simulator.leak import LeakDetector, spoken_title
from recpilot.simulator.models import (
    DialogueRecord,
    DialogueSpec,
    Persona,
    ReplyView,
    RunConfig,
    TargetProfile,
    TurnLog,
)
from recpilot.simulator.personas import make_persona
from recpilot.simulator.target import build_profile, item_view, sample_target
from recpilot.simulator.users import UserSimulator

UserFactory = Callable[[TargetProfile, Persona, str], UserSimulator]


def dialogue_seed(run_seed: int, index: int) -> str:
    """Each dialogue's seed depends only on the run seed and its index, so a resumed or
    larger run replays the same dialogues."""
    return f"{run_seed}:{index}"


def run_dialogue(spec: DialogueSpec, catalog: Catalog, agent: DialogueAgent, make_user: UserFactory,
                 config: RunConfig) -> DialogueRecord:
    t0 = time.perf_counter()
    target = sample_target(catalog, random.Random(f"{spec.seed}:target"), config.targets, config.split_seed or 0)
    profile = build_profile(catalog, target.item)
    liked = [spoken_title(catalog.items[r].title) for r in target.liked_rows]
    persona = make_persona(random.Random(f"{spec.seed}:persona"), profile, liked)
    user = make_user(profile, persona, spec.seed)
    detector = LeakDetector(target.item.title, target.item.id, allowed=profile.values())
    record = DialogueRecord(id=spec.id, seed=spec.seed, simulator=user.kind, agent=agent.name,
                            target_id=target.item.id, target_title=target.item.title, profile=profile,
                            persona=persona, outcome="failure", worker=str(os.getpid()))
    dialogue = DialogueSoFar(id=spec.id, history=[catalog.items[r].id for r in target.history_rows])
    try:
        utterance = user.open()
        shown = 0
        for turn in range(1, config.max_turns + 1):
            leak = detector.check(utterance.text, shown)
            if leak is not None:
                record.outcome, record.leaked, record.closing = "leaked", True, utterance.text
                record.leak = f"turn {turn}: {leak}"
                break
            dialogue.user.append(utterance.text)
            reply = agent.respond(dialogue, config.k)
            dialogue.replies.append(reply)
            record.turns.append(TurnLog(turn=turn, user=utterance.text, act=utterance.act, reply=reply,
                                        stated=user.stated, sim_llm=utterance.llm))
            ids = reply.item_ids[: config.k]
            shown = len(ids)
            view = ReplyView(text=reply.text, question=reply.question, items=[item_view(catalog, i) for i in ids])
            if target.item.id in ids:
                record.outcome, record.success_turn = "success", turn
                closing = user.react(view, ids.index(target.item.id) + 1)
                record.closing = closing.text
                leak = detector.check(closing.text, shown)
                if leak is not None:
                    record.outcome, record.leaked, record.leak = "leaked", True, f"closing: {leak}"
                break
            if turn < config.max_turns:
                utterance = user.react(view, None)
    except Exception as exc:  # one broken dialogue is recorded, not fatal to a 200-dialogue run
        record.outcome = "error"
        record.error = f"{type(exc).__name__}: {exc}\n{''.join(traceback.format_exc(limit=6))[-2000:]}"
    record.wall_ms = round((time.perf_counter() - t0) * 1000, 1)
    record.finished_at = time.time()
    return record
