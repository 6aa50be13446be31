"""Every error RecPilot raises on purpose, in one place.

Three families, as in pydantic-ai: mistakes of whoever configures or calls RecPilot
(``UserError``), failures while an agent runs (``AgentRunError``), and signals that ask the
model to try again (``RetryRequest``). Errors do not log themselves; the edge decides.
"""

from __future__ import annotations


class RecPilotError(Exception):
    """Base of all RecPilot errors."""


# --- the caller's or the configuration's fault -------------------------------------------
class UserError(RecPilotError):
    """Bad input or configuration: the message says what to change."""


class ConfigError(UserError):
    pass


class CatalogNotFound(UserError):
    pass


class UnknownItem(UserError):
    def __init__(self, item_id: str):
        super().__init__(f"unknown item id: {item_id!r}")
        self.item_id = item_id


class SessionNotFound(UserError):
    def __init__(self, session_id: str):
        super().__init__(f"unknown session: {session_id!r}")
        self.session_id = session_id


class SessionBusy(UserError):
    """Another turn on the session held it longer than the wait allows."""

    def __init__(self, session_id: str):
        super().__init__(f"session {session_id!r} is busy with another turn; retry in a moment")
        self.session_id = session_id


class SessionConflict(UserError):
    """The session changed under a write that did not hold its lock; nothing was written."""

    def __init__(self, session_id: str):
        super().__init__(f"session {session_id!r} was changed by another request at the same time; "
                         "nothing was saved, please retry")
        self.session_id = session_id


class SessionUnreadable(UserError):
    """A stored session that no longer validates and cannot be repaired."""


class LimitExceeded(UserError):
    """A session, a request or a caller went over one of the server's bounds."""


class InvalidConstraint(UserError):
    """A constraint that does not fit the catalog (unknown field, a number that is not one)."""


class IngestError(UserError):
    """The catalog file cannot be ingested at all (not a single bad row)."""


class InvalidUtterance(UserError):
    pass


class ModelFileError(UserError):
    """A shipped or trained model's weights are missing, unreadable or do not fit its code."""


# --- failures during a run ----------------------------------------------------------------
class AgentRunError(RecPilotError):
    """Something failed while a turn ran; the turn falls back where it can."""


class LLMUnavailable(AgentRunError):
    """The LLM backend could not be reached, timed out, or failed to load."""


class LLMOutputError(AgentRunError):
    """The model answered, but not with what was asked (e.g. invalid JSON)."""


class ToolError(AgentRunError):
    pass


# --- signals back to the model -------------------------------------------------------------
class RetryRequest(RecPilotError):
    """Sent back to the model with the reason its last output was refused."""
