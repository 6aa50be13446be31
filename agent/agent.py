"""``RecPilot``: the agent's dependencies in one object, and the calls every interface uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from recpilot.agent import english
from recpilot.agent.distilled import load_distilled
from recpilot.agent.loop import collect, run_turn
from recpilot.agent.parser import Parser
from recpilot.agent.stance import StanceModel, load_stance
from recpilot.agent.steps import Step, TurnResult
from recpilot.catalog import Catalog, item_noun
from recpilot.errors import LimitExceeded, UserError
from recpilot.ids import DEFAULT_USER
from recpilot.ingest import ensure_catalog
from recpilot.llm.base import ChatModel, build_chat_model
from recpilot.memory.longterm import LongTermMemory
from recpilot.memory.sessions import Feedback, Session, SessionStore
from recpilot.preferences import MAX_CONSTRAINTS, Constraint, ItemRef, PreferenceState, StateUpdate
from recpilot.settings import Settings
from recpilot.tools.rankers.scorer import load_scorer

FEEDBACK_KINDS = ("like", "dislike", "more_like_this", "accept")


class RecPilot:
    def __init__(self, settings: Settings, catalog: Catalog, llm: ChatModel | None, store: SessionStore,
                 memory: LongTermMemory | None, scorer=None, domain: str | None = None, distilled=None,
                 stance: StanceModel | None | str = "auto"):
        self.settings, self.catalog, self.llm, self.store, self.memory = settings, catalog, llm, store, memory
        self.scorer = scorer
        english.use_cache(settings.home / "cache")
        self.domain = domain or _domain(catalog)
        stance = load_stance(settings) if stance == "auto" else stance
        self.parser = Parser(catalog, llm, self.domain, distilled, stance, settings.learned.stance_rule)

    @classmethod
    def from_settings(cls, settings: Settings, *, llm: ChatModel | None | str = "auto",
                      notify: Callable[[str], None] | None = None) -> RecPilot:
        catalog = ensure_catalog(settings, notify)
        model = build_chat_model(settings.llm) if llm == "auto" else llm
        store = SessionStore(settings.store_target)
        return cls(settings, catalog, model, store, LongTermMemory(settings, store.engine),
                   scorer=load_scorer(settings, catalog), distilled=load_distilled(settings, catalog))

    # --- turns --------------------------------------------------------------------------------
    def turn(self, text: str, session_id: str | None = None, user_id: str = DEFAULT_USER,
             k: int | None = None, history: list[str] | None = None, action: str | None = None) -> Iterator[Step]:
        """One turn. ``history``: ids of items the user liked before (another system's record);
        added to the session's, unknown ids skipped with a warning. ``action``: what the user
        clicked, when a click and not a message started the turn (kept with the turn)."""
        if not session_id:
            session_id = self.store.create(user_id, self.catalog.name).id
        with self.store.lock(session_id):
            session = self._fit(self.store.get_or_create(session_id, user_id, self.catalog.name))
            yield from run_turn(self, session, text, k or self.settings.k, history, action)

    def ask(self, text: str, session_id: str | None = None, user_id: str = DEFAULT_USER,
            k: int | None = None, history: list[str] | None = None) -> TurnResult:
        return collect(self.turn(text, session_id, user_id, k, history)).result

    # --- state edits and feedback ----------------------------------------------------------------
    def session(self, session_id: str, user_id: str | None = None) -> Session:
        return self._fit(self.store.get(session_id, user_id))

    def _fit(self, session: Session) -> Session:
        """Drops stored constraints this catalog cannot apply (written before every door checked
        them), so one bad entry never breaks every later turn."""
        bad = [c for c in session.state.constraints if not self.catalog.valid(c)]
        if bad:
            session.state.constraints = [c for c in session.state.constraints if c not in bad]
            session.state.notes.append(f"dropped {len(bad)} constraint(s) this catalog cannot apply: "
                                       + "; ".join(c.describe()[:60] for c in bad[:3]))
        return session

    def edit_state(self, session_id: str, user_id: str | None = None, *, remove: list[str] = (),
                   add: list[Constraint] = (), restore: list[str] = (), forget: list[str] = ()) -> PreferenceState:
        """Removes chips by key, brings back set-aside requests, forgets remembered entries (from
        the session and from long-term memory), and adds hard constraints."""
        add = [self.catalog.checked(c) for c in add]  # InvalidConstraint before anything changes
        with self.store.lock(session_id):
            return self._edit_state(self.session(session_id, user_id), remove, add, restore, forget)

    def _edit_state(self, session: Session, remove, add, restore, forget) -> PreferenceState:
        state = session.state
        for key in restore:
            state = state.restore(key)
        for key in forget:
            self.forget(session.user_id, key)
        for key in [*remove, *forget]:
            state = state.remove(key)
        if add:
            kept = {c.key for c in state.constraints} - {c.key for c in add}
            if len(kept) + len(add) > MAX_CONSTRAINTS:
                raise LimitExceeded(f"a session holds at most {MAX_CONSTRAINTS} constraints; it has {len(kept)} "
                                    "and this would add more than fit: remove some first")
            state = state.apply(StateUpdate(intent=state.last_intent or "refine", add_constraints=list(add)))
        session.state = state
        self.store.save(session)
        return state

    # --- long-term memory ------------------------------------------------------------------------
    def memories(self, user_id: str) -> list:
        """What long-term memory holds about the user for this catalog (``MemoryEntry``s, newest first)."""
        return self.memory.recall(user_id, self.catalog.name, limit=500) if self.memory is not None else []

    def forget(self, user_id: str, key: str | None = None) -> int:
        """Forgets one remembered entry by key ("genres:fantasy", "item:42"), or everything the
        user's memory holds for this catalog; returns how many entries went."""
        if self.memory is None:
            return 0
        return self.memory.forget(user_id, self.catalog.name, key) if key else \
            self.memory.forget(user_id, self.catalog.name)

    def feedback(self, session_id: str, item_id: str, kind: str, user_id: str | None = None) -> PreferenceState:
        if kind not in FEEDBACK_KINDS:
            raise UserError(f"unknown feedback kind {kind!r}; use one of {', '.join(FEEDBACK_KINDS)}")
        ref = ItemRef(id=item_id, title=self.catalog.get(item_id).title)
        with self.store.lock(session_id):
            session = self.session(session_id, user_id)
            return self._feedback(session, ref, kind)

    def _feedback(self, session: Session, ref: ItemRef, kind: str) -> PreferenceState:
        item_id = ref.id
        update = {
            "like": StateUpdate(intent="refine", liked_items=[ref]),
            "dislike": StateUpdate(intent="reject", rejected_items=[ref]),
            "more_like_this": StateUpdate(intent="refine", liked_items=[ref], anchors=[ref]),
            "accept": StateUpdate(intent="accept", liked_items=[ref], accepted_item=ref),
        }[kind]
        session.state = session.state.apply(update)
        session.feedback.append(Feedback(item_id=item_id, kind=kind))
        self.store.save(session)
        if self.memory is not None:
            self.memory.remember(session.user_id, session.id, self.catalog.name, session.state)
        return session.state


def _domain(catalog: Catalog) -> str:
    noun = item_noun(catalog)
    return "catalog" if noun == "item" else f"{noun} catalog"
