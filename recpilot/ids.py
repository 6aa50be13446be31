"""What a user id and a session id may look like, at every door (HTTP, MCP, LangChain, CLI).

Ids end up in URLs, log lines, lock keys and database rows: letters, digits and a few
separators, bounded in length. A session id starts with a letter or digit, so "../x" or "-h"
is never one.
"""

from __future__ import annotations

import re

from recpilot.errors import UserError

#: the user of a caller who names none
DEFAULT_USER = "default"
USER_PATTERN = r"^[A-Za-z0-9_.@-]{1,200}$"
SESSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$"
USER_RULE = "1 to 200 letters, digits or . _ - @"
SESSION_RULE = "1 to 100 letters, digits or . _ - :, starting with a letter or digit"


def check_user(value: str) -> str:
    if not re.fullmatch(USER_PATTERN, value or ""):
        raise UserError(f"invalid user id {value[:40]!r}: use {USER_RULE}")
    return value


def check_session(value: str) -> str:
    if not re.fullmatch(SESSION_PATTERN, value or ""):
        raise UserError(f"invalid session id {value[:40]!r}: use {SESSION_RULE}")
    return value
