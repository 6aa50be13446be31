"""Replaying ReDial dialogues through RecPilot and the baselines (the decisions are stated in
``redial.py``'s docstring; the counting in ``redial_metrics.py``)."""

from __future__ import annotations

import json
import re
import time
import weakref
from collections.abc import Callable
from pathlib import Path

from recpilot.agent.loop import collect
from recpilot.memory.sessions import TurnRecord
from recpilot.preferences import PreferenceState
from recpilot.simulator.agents import DialogueSoFar
from recpilot.simulator.models import AgentReply
from recpilot.simulator.redial import RedialDialogue, render
from recpilot.simulator.redial_metrics import (
    ParserCounts,
    RecPoint,
    recommendation_scores,
    score_preferences,
)

K = 50
#: what a seeker who has said nothing yet is taken to ask: when the recommender speaks first,
#: RecPilot's prediction is its answer to this (the list a new user is shown), as the baselines
#: predict from nothing there too
OPENING = "What would you suggest?"


def build_baselines(catalog, conversations_of: dict | None = None) -> list:
    """The harness's own baselines (``simulator/baselines.py``), so they are the same everywhere:
    popularity (most mentioned ReDial movies) and retrieval (the seeker's text so far, embedded
    and searched with the ``search_items`` tool), and on a catalog with genres and ratings (the
    movies catalog) the blend of genre words, item-item CF from the seeker's movies and
    popularity, and with ``conversations_of`` that blend plus the conversations model RecPilot
    is given for each dialogue. All skip what the human recommender named already, as RecPilot does."""
    from recpilot.simulator.baselines import (
        BlendAgent,
        ConversationBlendAgent,
        PopularityAgent,
        RetrievalAgent,
    )

    extra = [BlendAgent(catalog)] if BlendAgent.applies(catalog) else []
    if extra and conversations_of:
        extra.append(ConversationBlendAgent(catalog, conversations_of))
    return [PopularityAgent(catalog), RetrievalAgent(catalog), *extra]


#: what the ablation runs take away from RecPilot (``evaluate(ablations=True)``)
ABLATIONS = {
    "without_parser_preferences": "the parser's genres, decades, moods, people and free words are dropped "
                                  "(named movies and their stance stay)",
    "without_ranker": "no trained ranker: neither its candidates nor its scores",
    "without_popularity": "popularity weighs nothing in the ranking",
    "without_conversations": "no conversations model (items named together in the other folds' dialogues)",
}


class _MentionsOnly:
    """The parser, minus everything it reads besides named items and their stance."""

    def __init__(self, parser):
        self.parser = parser

    def __getattr__(self, name):
        return getattr(self.parser, name)

    def parse(self, utterance, ctx):
        result = self.parser.parse(utterance, ctx)
        up = result.update
        for values in (up.likes, up.dislikes, up.add_constraints, up.keywords):
            values.clear()
        return result


def build_agent(settings, catalog, sessions_db: Path, ablation: str | None = None, conversations=None):
    """RecPilot on the catalog (``redial`` or ``movies``), without long-term memory (every
    dialogue is a new user), with the distilled parser when one is trained for it (``recpilot
    --catalog redial train parser``) and switched on, and the trained ranker when the catalog
    has one (the movies catalog: it folds the seeker's liked movies in as their history).
    ``conversations``: the conversations model to blend in (fitted without the dialogues this
    agent replays); HOME's own is never used here, as it may have been fitted on them."""
    from recpilot.agent.agent import RecPilot
    from recpilot.agent.distilled import load_distilled
    from recpilot.llm.base import build_chat_model
    from recpilot.memory.sessions import SessionStore
    from recpilot.tools.rankers.scorer import load_scorer

    # ReDial scores only liked and disliked, so its stance rule reads an item liked unless disliked
    learned = settings.learned.model_copy(update={"stance_rule": "redial", "conversations": False})
    agent_settings = settings.model_copy(update={"catalog": catalog.name, "learned": learned})
    from recpilot.tools.rank import PreferenceScorer

    scorer = None if ablation == "without_ranker" else load_scorer(agent_settings, catalog)
    if ablation == "without_popularity":
        base = PreferenceScorer(popularity=0.0)
        scorer = load_scorer(agent_settings, catalog, base=base) if scorer is not None else base
    if conversations is not None and ablation != "without_conversations":
        from recpilot.tools.rankers.conversations import ConversationScorer

        scorer = ConversationScorer(scorer if scorer is not None else PreferenceScorer(), conversations, catalog)
    agent = RecPilot(agent_settings, catalog, build_chat_model(settings.llm), SessionStore(sessions_db), None,
                     scorer=scorer, distilled=load_distilled(agent_settings, catalog))
    if ablation == "without_parser_preferences":
        agent.parser = _MentionsOnly(agent.parser)
    return agent


def replay(agent, dialogue: RedialDialogue, baselines: list, run_id: str = "") -> dict:
    """One dialogue: the parser's reading, and every system's predictions at each point."""
    catalog, store = agent.catalog, agent.store
    user_id = f"redial-{dialogue.id}{run_id}"
    session_id: str | None = None
    latest = opening_items(agent)
    from_opening = 0  # points scored on the opening list: no seeker turn had brought items yet
    own = False
    before: list[str] = []
    anchored: set[str] = set()  # anchors of any turn: a new request sets them aside, they were liked
    points: dict[str, list[RecPoint]] = {"recpilot": [], **{b.name: [] for b in baselines}}
    so_far = DialogueSoFar(id=dialogue.id)  # what the baselines see: seeker text, recommender's movies
    agent_turns, agent_ms = 0, 0.0
    replied = False
    for msg in dialogue.messages:
        text = render(msg.text, dialogue, catalog)
        if msg.sender == "seeker" and text:
            t0 = time.perf_counter()
            trace = collect(agent.turn(text, session_id, user_id, K))
            reply = trace.result
            anchored |= {r.id for r in reply.state.anchors}
            agent_ms += (time.perf_counter() - t0) * 1000
            agent_turns += 1
            session_id = reply.session_id
            if reply.items:
                latest = [i.id for i in reply.items]
                own = True
            _record_recommender(store, session_id, None, [], append=False)  # its own items were never shown
            replied = False
            so_far.user.append(text)
            so_far.named += [m for m in msg.mentions if catalog.has(m)]
        elif msg.sender == "recommender":
            if msg.mentions:
                targets = list(dict.fromkeys(msg.mentions))
                points["recpilot"].append(RecPoint(targets=targets, predictions=latest[:K], mentioned_before=list(before)))
                from_opening += not own
                for b in baselines:
                    preds = b.respond(so_far, K + len(set(before))).item_ids
                    points[b.name].append(RecPoint(targets=targets, predictions=preds, mentioned_before=list(before)))
            so_far.replies.append(AgentReply(item_ids=[m for m in msg.mentions if catalog.has(m)], text=text))
            if session_id is None:
                session_id = store.create(user_id, catalog.name).id
            _record_recommender(store, session_id, text, [m for m in msg.mentions if catalog.has(m)], append=replied)
            replied = True
        before += msg.mentions
    state = agent.session(session_id).state if session_id else PreferenceState()
    disliked = {r.id for r in state.rejected_items}
    liked = ({r.id for r in state.liked_items + state.anchors} | anchored) - disliked
    seen_only = {r.id for r in state.read_items} - liked - disliked
    return {"id": dialogue.id, "liked": sorted(liked), "disliked": sorted(disliked), "seen_only": sorted(seen_only),
            "points": {k: [p.model_dump() for p in v] for k, v in points.items()},
            "agent_turns": agent_turns, "agent_ms": round(agent_ms, 1), "from_opening": from_opening}


#: by agent, weakly: an ablation's agent replaces the last one, and may be given its address
_openings: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def opening_items(agent) -> list[str]:
    """RecPilot's answer to ``OPENING`` in a session of its own (one per agent: with no state and
    no memory it is the same for every dialogue)."""
    if agent not in _openings:
        reply = agent.ask(OPENING, None, "redial-opening", K)
        _openings[agent] = [i.id for i in reply.items]
    return list(_openings[agent])


def _record_recommender(store, session_id: str, text: str | None, items: list[str], append: bool) -> None:
    """Writes the human recommender's turn into the session: its text as the reply to the
    seeker's last turn and the movies it named as that turn's shown items (``append``: after
    what the recommender already said in reply to that turn). ``text`` None: only clear the
    agent's own items from the last turn."""
    session = store.get(session_id)
    amend = bool(session.turns)
    if not session.turns:
        session.turns.append(TurnRecord(user="", reply=""))
    last = session.turns[-1]
    if text is None:
        last.items = []
    elif append:
        last.reply = f"{last.reply} {text}".strip()
        last.items = list(dict.fromkeys(last.items + items))
    else:
        last.reply, last.items = text, list(dict.fromkeys(items))
    store.save(session, amend_last_turn=amend)


def same_movie_map(catalog, dialogue: RedialDialogue, predicted: set[str]) -> dict[str, str]:
    """Predicted id -> the labelled id with the same title, for predictions not labelled themselves."""
    by_title: dict[str, list[str]] = {}
    for movie_id in dialogue.labels:
        name = catalog.get(movie_id).title if catalog.has(movie_id) else dialogue.titles.get(movie_id, "")
        by_title.setdefault(_norm(name), []).append(movie_id)
    out = {}
    for item_id in predicted - set(dialogue.labels):
        if catalog.has(item_id):
            same = by_title.get(_norm(catalog.get(item_id).title), [])
            if len(same) == 1:
                out[item_id] = same[0]
    return out


def _norm(title: str) -> str:
    from recpilot.simulator.redial import split_title

    return " ".join(re.findall(r"[a-z0-9]+", split_title(title)[0].lower()))


def evaluate(settings, catalog, dialogues: list[RedialDialogue], out: Path, *, with_baselines: bool = True,
             progress: Callable[[int, int], None] | None = None, stance_of: dict[str, Path] | None = None,
             ablations: bool = False, conversations_of: dict[str, object] | None = None) -> dict:
    """``stance_of``: dialogue id -> the stance weights that read it (cross-validation: a model
    that never saw the dialogue); None: the configured model reads every dialogue.
    ``conversations_of``: dialogue id -> the conversations model blended in for it (fitted on
    other dialogues: ``conversation_models``); None: none.
    ``ablations``: also replay every dialogue through each of ``ABLATIONS`` (RecPilot only)."""
    run_id = f"-{int(time.time())}"
    agents: dict[tuple, object] = {}

    def agent_for(dialogue_id: str, ablation: str | None = None):
        path = (stance_of or {}).get(dialogue_id)
        model = (conversations_of or {}).get(dialogue_id)
        key = (path, id(model), ablation)
        if key not in agents:
            learned = settings.learned.model_copy(update={"stance_model": path}) if path else settings.learned
            db = out / (f"sessions-{ablation}.db" if ablation else "sessions.db")
            agents[key] = build_agent(settings.model_copy(update={"learned": learned}), catalog, db,
                                      ablation=ablation, conversations=model)
        return agents[key]

    baselines = build_baselines(catalog, conversations_of) if with_baselines else []
    counts, seen_counts = ParserCounts(), ParserCounts()
    points: dict[str, list[RecPoint]] = {}
    turns, ms = 0, 0.0
    labelled = in_seeker_text = from_opening = 0
    with (out / "dialogues.jsonl").open("w") as fh:
        for i, dialogue in enumerate(dialogues, start=1):
            record = replay(agent_for(dialogue.id), dialogue, baselines, run_id)
            liked, disliked = set(record["liked"]), set(record["disliked"])
            same = same_movie_map(catalog, dialogue, liked | disliked | set(record["seen_only"]))
            counts.add(score_preferences(dialogue.labels, dialogue.mentioned, liked, disliked, same))
            seen_counts.add(score_preferences(dialogue.labels, dialogue.mentioned, liked,
                                              disliked | set(record["seen_only"]), same))
            seeker_mentions = {m for msg in dialogue.messages if msg.sender == "seeker" for m in msg.mentions}
            gold = [m for m, v in dialogue.labels.items() if v in (0, 1)]
            labelled += len(gold)
            in_seeker_text += sum(m in seeker_mentions for m in gold)
            for name, pts in record["points"].items():
                points.setdefault(name, []).extend(RecPoint(**p) for p in pts)
            turns += record["agent_turns"]
            from_opening += record["from_opening"]
            ms += record["agent_ms"]
            record["points"] = {k: [{**p, "predictions": p["predictions"][:10]} for p in v]
                                for k, v in record["points"].items()}
            record["labels"] = dialogue.labels
            fh.write(json.dumps(record) + "\n")
            if progress:
                progress(i, len(dialogues))
    parser = counts.scores()
    parser.update({
        "labelled_movies": labelled, "labelled_in_seeker_text": in_seeker_text,
        "labels_from_respondent_form": sum(d.label_source == "respondent" for d in dialogues),
        "seen_counted_as_disliked": {k: v for k, v in seen_counts.scores().items()},
    })
    summary = {
        "dialogues": len(dialogues),
        "catalog": {"name": catalog.name, "items": len(catalog)},
        "parser": parser,
        "recommendation": {**recommendation_scores(points.get("recpilot", []), catalog.has),
                           "turns_on_opening_list": from_opening},
        "baselines": {b.name: {"recommendation": recommendation_scores(points.get(b.name, []), catalog.has)}
                      for b in baselines},
        "timing": {"agent_turns": turns, "ms_per_agent_turn": round(ms / turns, 1) if turns else 0.0},
    }
    if ablations:
        summary["ablations"] = {}
        for name, what in ABLATIONS.items():
            pts: list[RecPoint] = []
            for i, dialogue in enumerate(dialogues, start=1):
                agent = agent_for(dialogue.id, name)
                pts += [RecPoint(**p) for p in replay(agent, dialogue, [], run_id)["points"]["recpilot"]]
                if progress:
                    progress(i, len(dialogues))
            summary["ablations"][name] = {"what": what, "recommendation": recommendation_scores(pts, catalog.has)}
    return summary


def conversation_models(catalog, dialogues: list[RedialDialogue], k: int) -> dict[str, object]:
    """Dialogue id -> a conversations model fitted on the dialogues outside its fold (``k`` folds
    by a hash of the id), so no dialogue is scored with what its own mentions taught; None for a
    fold whose other dialogues never name two catalog movies together."""
    from recpilot.errors import UserError
    from recpilot.simulator.redial_cv import hash_fold
    from recpilot.tools.rankers.conversations import fit_conversations

    fold = {d.id: hash_fold(d.id, k) for d in dialogues}
    models = {}
    for f in range(k):
        try:
            models[f] = fit_conversations(catalog, [list(d.mentioned) for d in dialogues if fold[d.id] != f])
        except UserError:
            models[f] = None
    return {d.id: models[fold[d.id]] for d in dialogues}
