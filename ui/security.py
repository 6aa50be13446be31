"""Who may call the server and how much they may send.

- Loopback by default: ``recpilot serve`` refuses a non-loopback host unless
  ``RECPILOT_API_TOKEN`` is set.
- With a token set, ``/v1/*`` and ``/mcp`` require ``Authorization: Bearer TOKEN`` (and the
  web page a login whose password is the token). The token is either one shared secret
  (the caller names the user with ``X-User-Id``) or ``user:token`` pairs separated by commas
  (the token names the user; an ``X-User-Id`` naming someone else is refused).
- Request bodies larger than ``server.max_body_bytes`` get 413 before they are read in full;
  JSON bodies are checked off the event loop (``ui/limits.py``) and refused with 422.
- Every path (the API, MCP and the page) answers only Host names the server expects (421
  otherwise): on loopback, loopback names, so a web page cannot reach a local server by DNS
  rebinding.
- Per-user and per-address rate limits: 429 with Retry-After.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import math

import anyio
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recpilot.errors import ConfigError, UserError
from recpilot.ids import check_user
from recpilot.settings import Settings
from recpilot.ui.limits import BadJson, RateLimiter, check_json

PROTECTED = ("/v1/", "/mcp")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def check_bind(host: str, settings: Settings) -> None:
    if not is_loopback(host) and not Tokens.from_settings(settings).required:
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
        if settings.api_token is None:
            return cls()
        raw = settings.api_token.get_secret_value().strip()
        if not raw:
            # an empty token must not quietly mean "no authentication"
            raise ConfigError("RECPILOT_API_TOKEN is set but empty: give it a token, or unset it to run "
                              "without authentication on loopback")
        if ":" not in raw:
            return cls(shared=raw)
        per_user: dict[str, str] = {}
        for pair in raw.split(","):
            user, sep, token = pair.strip().partition(":")
            if not sep or not user or not token:
                raise ConfigError("RECPILOT_API_TOKEN must be one token, or user:token pairs separated by commas")
            try:
                check_user(user)
            except UserError as exc:
                raise ConfigError(f"RECPILOT_API_TOKEN: {exc}") from None
            if per_user.get(token, user) != user:
                raise ConfigError("RECPILOT_API_TOKEN gives one token to two users; each user needs their own")
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


def allowed_hosts(bind: str, settings: Settings) -> frozenset[str] | None:
    """Host names ``/v1`` and ``/mcp`` answer; None: any (beyond loopback, where the token guards)."""
    extra = {h.lower() for h in settings.server.allowed_hosts}
    if is_loopback(bind):
        return LOOPBACK_NAMES | extra
    return frozenset(extra | {bind.strip("[]").lower()} | LOOPBACK_NAMES) if extra else None


def host_name(header: str) -> str:
    """"example.org:8080" -> "example.org"; "[::1]:80" -> "::1". What follows the name must be a
    port: "localhost:80@evil.example" or "[::1]evil" comes back whole (and matches no name)."""
    header = header.strip().lower()
    if header.startswith("["):
        name, closed, rest = header[1:].partition("]")
        return name if closed and (rest == "" or (rest[0] == ":" and _port(rest[1:]))) else header
    if header.count(":") == 1:
        name, port = header.split(":")
        return name if _port(port) else header
    return header


def _port(text: str) -> bool:
    return text == "" or (text.isascii() and text.isdigit())


class Guard:
    """ASGI middleware in front of every route: Host, rate limits, bearer token, body size and shape."""

    def __init__(self, app: ASGIApp, tokens: Tokens, max_body: int, hosts: frozenset[str] | None = None,
                 rate_per_user: int = 0, rate_per_ip: int = 0):
        self.app, self.tokens, self.max_body, self.hosts = app, tokens, max_body, hosts
        self.per_user, self.per_ip = RateLimiter(rate_per_user), RateLimiter(rate_per_ip)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        protected = scope["path"].startswith(PROTECTED)
        # every path, the page's too: on loopback a rebinding page must reach none of them
        if self.hosts is not None and host_name(headers.get("host", "")) not in self.hosts:
            await _reply(send, 421, "this server does not answer for that Host name")
            return
        if protected:
            client = (scope.get("client") or ("unknown", 0))[0]
            if await _limited(send, self.per_ip.take(f"ip:{client}"), "this address"):
                return
        if self.tokens.required and protected:
            scheme, _, token = headers.get("authorization", "").partition(" ")
            ok, user = self.tokens.check(token.strip()) if scheme.lower() == "bearer" else (False, None)
            if not ok:
                await _reply(send, 401, "missing or invalid bearer token (Authorization: Bearer TOKEN)",
                             {"www-authenticate": "Bearer"})
                return
            scope.setdefault("state", {})["auth_user"] = user
        if protected:
            who = scope.get("state", {}).get("auth_user") or headers.get("x-user-id", "")[:200]
            if who and await _limited(send, self.per_user.take(f"user:{who}"), "this user"):
                return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            await _reply(send, 413, self._too_large())
            return
        if protected and scope["method"] in ("POST", "PUT", "PATCH") and _json_or_unlabelled(headers):
            await self._checked_json(scope, receive, send)
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

    async def _checked_json(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Reads the whole (bounded) body, checks it in a worker thread, then hands it on."""
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_body:
                await _reply(send, 413, self._too_large())
                return
            if not message.get("more_body", False):
                break
        if body:
            try:
                await anyio.to_thread.run_sync(check_json, body)
            except BadJson as exc:
                await _reply(send, 422, [{"type": "json_invalid", "loc": ["body"], "msg": str(exc)}])
                return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _too_large(self) -> str:
        return f"request body too large: the limit is {self.max_body} bytes"


def _json_or_unlabelled(headers: dict[str, str]) -> bool:
    kind = headers.get("content-type", "")
    return not kind or "json" in kind


async def _limited(send: Send, wait: float, who: str) -> bool:
    if wait <= 0:
        return False
    seconds = max(1, math.ceil(wait))
    await _reply(send, 429, f"too many requests from {who}; retry in {seconds} s", {"retry-after": str(seconds)})
    return True


async def _reply(send: Send, status: int, detail: str | list, extra: dict[str, str] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
