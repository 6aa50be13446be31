"""Who may call the server and how much they may send.

- Loopback by default: ``recpilot serve`` refuses a non-loopback host unless
  ``RECPILOT_API_TOKEN`` is set.
- With a token set, ``/v1/*`` and ``/mcp`` require ``Authorization: Bearer TOKEN`` (and the
  web page a login whose password is the token). The token is either one shared secret
  (the caller names the user with ``X-User-Id``) or ``user:token`` pairs separated by commas
  (the token names the user; an ``X-User-Id`` naming someone else is refused).
- Request bodies larger than ``server.max_body_bytes`` get 413 before they are read in full.
"""

from __future__ import annotations

import hmac
import ipaddress
import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recpilot.errors import ConfigError
from recpilot.settings import Settings

PROTECTED = ("/v1/", "/mcp")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, settings: Settings) -> None:
    if not is_loopback(host) and settings.api_token is None:
        raise ConfigError(
            f"refusing to listen on {host}: beyond loopback the server needs an API token. "
            "Set RECPILOT_API_TOKEN (clients then send 'Authorization: Bearer TOKEN'), "
            "or listen on 127.0.0.1."
        )


class Tokens:
    """The configured bearer tokens: one shared secret, or a token per user."""

    def __init__(self, shared: str | None = None, per_user: dict[str, str] | None = None):
        self.shared = shared
        self.per_user = per_user or {}  # token -> user

    @classmethod
    def from_settings(cls, settings: Settings) -> Tokens:
        raw = settings.api_token.get_secret_value().strip() if settings.api_token else ""
        if not raw:
            return cls()
        if ":" not in raw:
            return cls(shared=raw)
        per_user = {}
        for pair in raw.split(","):
            user, sep, token = pair.strip().partition(":")
            if not sep or not user or not token:
                raise ConfigError("RECPILOT_API_TOKEN must be one token, or user:token pairs separated by commas")
            per_user[token] = user
        return cls(per_user=per_user)

    @property
    def required(self) -> bool:
        return bool(self.shared or self.per_user)

    def check(self, token: str) -> tuple[bool, str | None]:
        """(valid, the user the token belongs to; None for the shared token)."""
        if self.shared is not None and hmac.compare_digest(token.encode(), self.shared.encode()):
            return True, None
        for known, user in self.per_user.items():
            if hmac.compare_digest(token.encode(), known.encode()):
                return True, user
        return False, None

    def login(self, username: str, password: str) -> bool:
        """The web page's login: any name with the shared token, or a user with their own token."""
        ok, user = self.check(password)
        return ok and (user is None or user == username)


class Guard:
    """ASGI middleware: bearer token on the API and MCP paths, and the request body limit."""

    def __init__(self, app: ASGIApp, tokens: Tokens, max_body: int):
        self.app, self.tokens, self.max_body = app, tokens, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if self.tokens.required and scope["path"].startswith(PROTECTED):
            scheme, _, token = headers.get("authorization", "").partition(" ")
            ok, user = self.tokens.check(token.strip()) if scheme.lower() == "bearer" else (False, None)
            if not ok:
                await _reply(send, 401, "missing or invalid bearer token (Authorization: Bearer TOKEN)",
                             {"www-authenticate": "Bearer"})
                return
            scope.setdefault("state", {})["auth_user"] = user
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            await _reply(send, 413, self._too_large())
            return

        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise HTTPException(413, self._too_large())
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except HTTPException as exc:
            if exc.status_code != 413 or started:
                raise
            await _reply(send, 413, exc.detail)

    def _too_large(self) -> str:
        return f"request body too large: the limit is {self.max_body} bytes"


async def _reply(send: Send, status: int, detail: str, extra: dict[str, str] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
