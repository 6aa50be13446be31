"""Hostile requests for every ``/v1`` route and every MCP tool, generated deterministically.

``fuzz_cases(target, seed)`` returns a shuffled list of ``Case`` (1,000 to 1,500 of them): wrong
types, NaN/Infinity/1e400, huge and negative numbers, booleans for numbers, lone surrogates,
control characters, very long strings, deep nesting, many keys, unknown fields, bad ids in
paths and bodies, bad JSON, wrong content types, missing bodies, bad Host headers and bad or
absent bearer tokens. Bodies are raw bytes, so that what no JSON encoder would write (NaN, a
lone surrogate, invalid UTF-8) is sent as is.

A case that targets one of the target's sessions says so (``session``), and says whether an
accepted request adds a turn to it (``adds_turn``: "http" when the status is 200, "mcp" when the
tool result is not an error), so that the test can check afterwards that the session holds
exactly the turns that were acknowledged. ``expect`` is the status a case must get when the
guard in front of the routes has to answer it (421, 401, 413).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

MCP_ACCEPT = "application/json, text/event-stream"


@dataclass
class Target:
    """What the fuzz aims at: real sessions (id, owner), an item id, the server's bearer token."""

    sessions: list[tuple[str, str]]
    item_id: str
    token: str | None = None

    @property
    def users(self) -> list[str]:
        return sorted({u for _, u in self.sessions})


@dataclass
class Case:
    kind: str  # "route:what", e.g. "messages:field:k" or "transport:bad-host"
    method: str
    path: str  # percent-encoded already where it has to be
    headers: dict[str, str | bytes] = field(default_factory=dict)
    body: bytes | None = None
    chunks: list[bytes] | None = None  # sent chunked (no Content-Length) instead of ``body``
    session: str | None = None
    adds_turn: str | None = None  # "http" | "mcp"
    mcp_tool: str | None = None
    expect: int | None = None
    stream: bool = False  # read the status and headers only (GET /mcp opens an event stream that stays open)

    def content(self) -> bytes | Iterator[bytes] | None:
        return iter(self.chunks) if self.chunks is not None else self.body


def _j(value) -> str:
    return json.dumps(value)


def _obj(fields: dict[str, str]) -> str:
    """A JSON object from raw JSON values (which may be NaN, '"\\ud800"', ...)."""
    return "{" + ", ".join(f"{_j(k)}: {v}" for k, v in fields.items()) + "}"


# --- hostile JSON values (raw JSON text) ------------------------------------------------------------
NUMBERS = ["0", "-1", "-0", "1.5", "-2147483649", "2147483648", "9223372036854775808", "-9223372036854775809",
           "99999999999999999999999999999999", "1e308", "1e400", "-1e400", "1e-400", "NaN", "Infinity",
           "-Infinity", "1" * 5000, "true", "false", "null", '"5"', '"1e3"', '"NaN"', "5.0000000000000001",
           "0.1e1", "-1e400"]
STRINGS = ['""', '" "', '"\\u0000"', '"\\ud800"', '"\\udfff"', '"a\\udc00b"', '"\\ud83d"', '"\\u0007\\u001b[31mred"',
           '"\\r\\n\\t\\b\\f"', _j("\u202eevil\u202c"), _j("\u200b\u200c\ufeff"), _j("x" * 5000), _j("é" * 20000),
           _j("🐉" * 3000), _j("a" * 100_000), _j("../../../etc/passwd"), _j("<script>alert(1)</script>"),
           _j("'; DROP TABLE sessions; --"), _j("%s%s%n%x"), _j("{{7*7}}${7*7}"), _j("日本語の本"),
           _j("\\x00\\xff"), _j("null"), _j("\U0010ffff"), _j("a\nb\rc"), _j(" " * 3000)]
SHAPES = ["[]", "{}", "[null]", "[1, 2, 3]", '{"a": 1}', '[""]', '["\\ud800"]', "[[[[]]]]",
          "[" * 60 + "]" * 60, '{"a": ' * 30 + "1" + "}" * 30, "[" + ", ".join(["1"] * 1500) + "]",
          _j({f"k{i}": i for i in range(1500)}), _j({f"k{i}": i for i in range(900)}),
          "[" + ", ".join(['"x"'] * 600) + "]", _j([{"field": "year", "op": "gte", "value": 1}] * 60)]
HOSTILE = NUMBERS + STRINGS + SHAPES

# ids in paths (already percent-encoded) and in bodies
BAD_PATH_IDS = ["..%2F..%2Fetc%2Fpasswd", "%2E%2E", "%2E", "a" * 101, "a" * 5000, "%00", "%00abc", "%C3%A9t%C3%A9",
                "%F0%9F%90%89", "-h", "a%20b", "a%0Ab", "%FF", "%ED%A0%80", "a%2Fb", "zz0000000000", "DROP%20TABLE",
                "a%27--", "%27%20OR%201%3D1", "a:b", "a.b", "%E2%80%AE", "%5Cu0000", "1" * 100, "..", "~root"]
BAD_BODY_IDS = ['""', _j("../x"), _j("a" * 101), _j("a" * 300), '"\\u0000"', '"\\ud800"', _j("é"), _j("-h"), "1",
                "null", "true", "[]", "{}", _j("no-such-item"), _j("1" * 250), _j(" 1 ")]
BAD_USERS: list[bytes] = [b"", b"a" * 201, b"../x", b"\xff\xfe", "café".encode(), b"a b", b"a\tb", b"<script>",
                          b"a,b", b"' OR 1=1", b"\xed\xa0\x80", b"a" * 5000, b"-", b"@", b"root;rm"]
BAD_HOSTS: list[bytes] = [b"evil.example", b"evil.example:80", b"127.0.0.1.evil.example", b"localhost.evil",
                          b"localhost.", b"0.0.0.0", b"192.168.1.1", b"[::2]", b"a" * 500, b"\xff", b"evil.example:7860",
                          b"LOCALHOST.example", b"127.0.0.2", b"xn--80ak6aa92e.com", b"localhost:80@evil.example"]
BAD_JSON: list[bytes] = [b"{", b"}", b'{"text": }', b'{"text": "a",}', b"{'text': 'a'}", b'{"text": "a"}{"x": 1}',
                         b'\xef\xbb\xbf{"text": "a"}', b"\x00" * 16, b"\xff\xfe{\x00}\x00", b"[" * 100_000,
                         b"{" * 50_000, b"nul", b"tru", b"1" * 5000, b'{"text": "\xed\xa0\x80"}', b'{"text": "\xff"}',
                         b'"unterminated', b'{"text": "a"', b"NaN", b"-Infinity", b'{"a":1e400}', b"\t\n ", b"//x\n{}",
                         b'{"text": "a" /* c */}', b"<xml/>", b'{"text": "a", "text": "b"}']
CONTENT_TYPES: list[tuple[str, bytes]] = [
    ("text/plain", b'{"text": "a mystery"}'), ("application/x-www-form-urlencoded", b"text=a+mystery&k=3"),
    ("multipart/form-data; boundary=xyz", b'--xyz\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi\r\n--xyz--'),
    ("application/json; charset=utf-16", '{"text": "a mystery"}'.encode("utf-16")),
    ("application/xml", b"<text>a mystery</text>"), ("application/jsonp", b'{"text": "a mystery"}'),
    ("application/vnd.api+json", b'{"text": "a mystery"}'), ("*/*", b'{"text": "a mystery"}'),
    ("application/octet-stream", b"\x00\x01\x02\xff"), ("application/json", b""), ("image/png", b"\x89PNG\r\n"),
    ("application/json; charset=latin-1", '{"text": "caf\u00e9"}'.encode("latin-1")),
]
BAD_QUERY_VALUES = ["NaN", "Infinity", "-Infinity", "1e400", "-1", "0", "true", "99999999999999999999999", "1.5", "",
                    "%00", "%FF", "%ED%A0%80", "a" * 3000, "%20", "%E2%80%AE", "1%00", "%5B%5D", "0x10", "1_000"]


def _bad_tokens(token: str) -> list[str | bytes]:
    return ["", "Bearer", "Bearer wrong", f"Bearer {token}x", f"Bearer {token[:-1]}", "Basic dXNlcjpwYXNz",
            f"Token {token}", f"{token}", "Bearer " + "a" * 8000, b"Bearer \xff\xfe", f"Bearer  x{token}",
            "Bearer null", "Bearer undefined", f"Bearer {token.upper()}x"]


class _Gen:
    def __init__(self, target: Target, rng: random.Random):
        self.t, self.rng = target, rng
        self.cases: list[Case] = []

    # --- helpers --------------------------------------------------------------------------------
    def headers(self, user: str | None = None, body: bool = False) -> dict[str, str | bytes]:
        h: dict[str, str | bytes] = {}
        if self.t.token:
            h["Authorization"] = f"Bearer {self.t.token}"
        if user is not None:
            h["X-User-Id"] = user
        if body:
            h["Content-Type"] = "application/json"
        return h

    def pick(self, values: list, n: int) -> list:
        return self.rng.sample(values, min(n, len(values)))

    def session(self) -> tuple[str, str]:
        return self.rng.choice(self.t.sessions)

    def add(self, kind: str, method: str, path: str, body: str | bytes | None = None, user: str | None = None,
            headers: dict | None = None, **kw) -> None:
        if isinstance(body, str):
            body = body.encode("utf-8", "surrogatepass")
        h = self.headers(user, body is not None)
        h.update(headers or {})
        self.cases.append(Case(kind, method, path, h, body, **kw))

    def body_fuzz(self, name: str, method: str, path: str, template: dict[str, str], per_field: int,
                  user: str | None = None, **kw) -> None:
        """Each field given hostile values, each field dropped, unknown fields, the whole body hostile."""
        for key in template:
            for value in self.pick(HOSTILE, per_field):
                self.add(f"{name}:field:{key}", method, path, _obj({**template, key: value}), user, **kw)
            self.add(f"{name}:missing:{key}", method, path, _obj({k: v for k, v in template.items() if k != key}),
                     user, **kw)
        for extra in ({"evil": "1"}, {"__proto__": '{"admin": true}'}, {"": '""'}, {"x" * 300: "null"},
                      {"text\u0000": '"a"'}):
            self.add(f"{name}:unknown-field", method, path, _obj({**template, **extra}), user, **kw)
        for value in self.pick(HOSTILE, max(4, per_field // 2)):
            self.add(f"{name}:whole-body", method, path, value, user, **kw)

    def constraint_fuzz(self, n: int) -> list[str]:
        """Hostile constraints (raw JSON) for the routes and tools that take them."""
        good = {"field": _j("year"), "op": _j("gte"), "value": "1990"}
        out = []
        fields = [_j("nope"), _j("__class__"), _j("year" * 50), _j("genres.0"), _j("title"), _j("rating"), '""',
                  _j("x" * 101)] + self.pick(HOSTILE, 6)
        ops = [_j("eq"), _j("GTE"), _j("include "), '""', _j("$where"), "1", "null"] + self.pick(HOSTILE, 4)
        values = ["1e308", "-1e308", "1e400", "NaN", "Infinity", "true", _j("abc"), _j("1990"), '""', '" "',
                  _j("x" * 201), "[]", "{}", "99999999999999999999999", "-99999999999999999999999", "null"]
        for f in fields:
            out.append(_obj({**good, "field": f}))
        for o in ops:
            out.append(_obj({**good, "op": o}))
        for v in values:
            out.append(_obj({**good, "value": v}))
            out.append(_obj({"field": _j("genres"), "op": _j("include"), "value": v}))
        out += [_obj({**good, "source": _j("x" * 600)}), _obj({**good, "extra": "1"}), "{}", "null", '"year>=1990"',
                _obj({"field": _j("year"), "op": _j("lte"), "value": "-1e308"})]
        self.rng.shuffle(out)
        return out[:n]

    # --- the routes -----------------------------------------------------------------------------
    def sessions_routes(self) -> None:
        sid, user = self.session()
        other = next((u for u in self.t.users if u != user), "intruder")
        # POST /v1/sessions
        self.body_fuzz("create", "POST", "/v1/sessions", {"user_id": _j(user)}, 14, user)
        for bad in BAD_USERS:
            self.add("create:bad-user-header", "POST", "/v1/sessions", None, None, {"X-User-Id": bad})
        self.add("create:user-mismatch", "POST", "/v1/sessions", _obj({"user_id": _j(other)}), user)
        # GET /v1/sessions
        for value in BAD_QUERY_VALUES:
            self.add("list:limit", "GET", f"/v1/sessions?limit={value}", None, user)
            self.add("list:user_id", "GET", f"/v1/sessions?user_id={value}", None, None)
        self.add("list:repeated", "GET", "/v1/sessions?limit=1&limit=2&user_id=a&user_id=b", None, user)
        # session ids in paths
        for sub in ("", "/state", "/messages", "/feedback"):
            method = {"": "GET", "/state": "GET", "/messages": "POST", "/feedback": "POST"}[sub]
            body = {"/messages": _obj({"text": _j("a mystery")}),
                    "/feedback": _obj({"item_id": _j(self.t.item_id), "kind": _j("like")})}.get(sub)
            for bad in self.pick(BAD_PATH_IDS, 12):
                self.add(f"session-id{sub or ':get'}", method, f"/v1/sessions/{bad}{sub}", body, user)
            self.add(f"session-id{sub or ':get'}:empty", method, f"/v1/sessions/{sub}", body, user)
            # another user's real session: 404, and nothing may change in it
            self.add(f"session-id{sub or ':get'}:foreign", method, f"/v1/sessions/{sid}{sub}", body, other)
            for bad in self.pick(BAD_USERS, 3):
                self.add(f"session-id{sub or ':get'}:bad-user", method, f"/v1/sessions/{sid}{sub}", body, None,
                         {"X-User-Id": bad})
        self.add("session-id:patch-empty", "PATCH", "/v1/sessions//state", "{}", user)

        # POST /v1/sessions/{id}/messages
        for i in range(2):
            sid, user = self.t.sessions[i % len(self.t.sessions)]
            kw = {"session": sid, "adds_turn": "http"}
            self.body_fuzz("messages", "POST", f"/v1/sessions/{sid}/messages",
                           {"text": _j("a mystery with a detective"), "k": "3", "history": _j([self.t.item_id])},
                           16, user, **kw)
            for value in self.pick(HOSTILE, 10):
                self.add("messages:history-item", "POST", f"/v1/sessions/{sid}/messages",
                         _obj({"text": _j("more like that"), "history": f"[{value}]"}), user, **kw)
            for value in ("0", "51", "-5", "true", "false", "1.0", "2.5", '"3"', "1e400", "NaN", "50", "1"):
                self.add("messages:k", "POST", f"/v1/sessions/{sid}/messages",
                         _obj({"text": _j("a fantasy book"), "k": value}), user, **kw)
            self.add("messages:history-many", "POST", f"/v1/sessions/{sid}/messages",
                     _obj({"text": _j("something else"), "history": _j([str(n) for n in range(501)])}), user, **kw)
            self.add("messages:history-unknown", "POST", f"/v1/sessions/{sid}/messages",
                     _obj({"text": _j("something else"), "history": _j(["no-such", "../x", "é" * 50])}), user, **kw)
            for text in ("a" * 4000, "a" * 4001, "\u0000" * 100, "   ", "\u202e\u202d", "book " * 800, "ᚠ" * 3999):
                self.add("messages:text", "POST", f"/v1/sessions/{sid}/messages", _obj({"text": _j(text)}), user, **kw)
            # the same route streaming the turn as server-sent events
            sse = {"Accept": "text/event-stream"}
            for text in ("a fantasy book", "\u0000" * 50, "a" * 4001, "   ", "ᚠ" * 3999):
                self.add("messages:sse-text", "POST", f"/v1/sessions/{sid}/messages", _obj({"text": _j(text)}), user,
                         sse, **kw)
            for value in self.pick(HOSTILE, 8):
                self.add("messages:sse-field", "POST", f"/v1/sessions/{sid}/messages",
                         _obj({"text": _j("more please"), "k": value}), user, sse, **kw)
            for accept in ("text/event-stream;q=0", "text/event-stream, application/json", "TEXT/EVENT-STREAM",
                           "text/event-stream" * 200):
                self.add("messages:sse-accept", "POST", f"/v1/sessions/{sid}/messages",
                         _obj({"text": _j("something popular")}), user, {"Accept": accept}, **kw)

        # GET / PATCH /v1/sessions/{id}/state
        for i in range(2):
            sid, user = self.t.sessions[(i + 1) % len(self.t.sessions)]
            path = f"/v1/sessions/{sid}/state"
            self.add("state:get", "GET", path, None, user)
            template = {"remove": _j(["genres:fantasy"]), "add": _j([{"field": "year", "op": "gte", "value": 1990}]),
                        "restore": "[]", "forget": "[]"}
            self.body_fuzz("patch", "PATCH", path, template, 10, user, session=sid)
            for c in self.constraint_fuzz(18):
                self.add("patch:constraint", "PATCH", path, _obj({"add": f"[{c}]"}), user, session=sid)
            for key in ("remove", "restore", "forget"):
                for value in self.pick(HOSTILE, 5) + [_j(["x" * 10000]), _j(["k"] * 101), _j(["../x", "\u0000"])]:
                    self.add(f"patch:{key}-item", "PATCH", path, _obj({key: f"[{value}]" if value[0] != "[" else value}),
                             user, session=sid)
            self.add("patch:many-constraints", "PATCH", path,
                     _obj({"add": _j([{"field": "year", "op": "gte", "value": 1900 + n} for n in range(51)])}), user,
                     session=sid)

        # POST /v1/sessions/{id}/feedback
        for i in range(2):
            sid, user = self.t.sessions[(i + 2) % len(self.t.sessions)]
            path = f"/v1/sessions/{sid}/feedback"
            self.body_fuzz("feedback", "POST", path, {"item_id": _j(self.t.item_id), "kind": _j("like")}, 10, user,
                           session=sid)
            for bad in BAD_BODY_IDS:
                self.add("feedback:item_id", "POST", path, _obj({"item_id": bad, "kind": _j("dislike")}), user,
                         session=sid)
            for kind in ("LIKE", "love", "", "like ", "accept\u0000", "more-like-this", "1", "null"):
                self.add("feedback:kind", "POST", path, _obj({"item_id": _j(self.t.item_id), "kind": _j(kind)}), user,
                         session=sid)

    def items_routes(self) -> None:
        user = self.t.users[0]
        for value in BAD_QUERY_VALUES:
            self.add("search:query", "GET", f"/v1/items/search?query={value}", None, user)
            self.add("search:k", "GET", f"/v1/items/search?query=dragons&k={value}", None, user)
        for query in ("a" * 2000, "a" * 2001, quote("日本語の本"), quote("\u0007\u001b[31m"), "%2E%2E%2F", "x&k=3&k=4"):
            self.add("search:query-edge", "GET", f"/v1/items/search?query={query}", None, user)
        self.add("search:missing", "GET", "/v1/items/search", None, user)
        for bad in BAD_PATH_IDS + ["1", "0", "-1", "10001", "1e3", "%20", "x" * 200, "x" * 201]:
            self.add("items:id", "GET", f"/v1/items/{bad}", None, user)
        self.add("items:empty", "GET", "/v1/items/", None, user)
        self.add("items:post", "POST", "/v1/items/search", "{}", user)

    def memory_routes(self) -> None:
        user = self.t.users[-1]
        self.add("memory:list", "GET", "/v1/memory", None, user)
        for key in BAD_PATH_IDS + ["genres%3Afantasy", "item%3A1", "ab", "a" * 301, "x/y/z", "%2F%2F", "item:",
                                   ":::", "genres:" + "é" * 100]:
            self.add("memory:forget-one", "DELETE", f"/v1/memory/{key}", None, user)
        for bad in self.pick(BAD_USERS, 5):
            self.add("memory:bad-user", "GET", "/v1/memory", None, None, {"X-User-Id": bad})
        self.add("memory:forget-all-with-body", "DELETE", "/v1/memory", "[1, 2]", user)
        self.add("memory:post", "POST", "/v1/memory", "{}", user)

    def chat_routes(self) -> None:
        sid, user = self.session()
        path = "/v1/chat/completions"
        msg = _j([{"role": "user", "content": "a horror book"}])
        template = {"model": _j("recpilot"), "messages": msg, "stream": "false"}
        self.body_fuzz("chat", "POST", path, template, 12, user)
        # continuing one of the sessions: a 200 adds exactly one turn to it
        self.body_fuzz("chat-session", "POST", path, {**template, "session_id": _j(sid)}, 5, user,
                       session=sid, adds_turn="http")
        for value in self.pick(HOSTILE, 14) + ['"system"', '"tool"', '"robot"', '""']:
            self.add("chat:role", "POST", path, _obj({"messages": f'[{_obj({"role": value, "content": _j("hi")})}]'}), user)
            self.add("chat:content", "POST", path, _obj({"messages": f'[{_obj({"role": _j("user"), "content": value})}]'}),
                     user)
        parts = [_j([{"type": "text", "text": "a fantasy book"}]), _j([{"type": "image_url", "image_url": {"url": "x"}}]),
                 _j([{"type": "text"}]), _j([{"type": "text", "text": 5}]), _j([{"text": "no type"}]), '[{"type": null}]',
                 _j([{"type": "text", "text": "a" * 5000}]), "[1]", '[""]', '[[]]']
        for p in parts:
            self.add("chat:content-parts", "POST", path,
                     _obj({"messages": f'[{_obj({"role": _j("user"), "content": p})}]'}), user)
        many = _j([{"role": "user", "content": f"a book {n}"} for n in range(201)])
        self.add("chat:too-many-messages", "POST", path, _obj({"messages": many}), user)
        self.add("chat:replay", "POST", path,
                 _obj({"messages": _j([{"role": "user", "content": t} for t in ("fantasy", "after 1990", "more", "x")])}),
                 user)
        self.add("chat:stream", "POST", path, _obj({**template, "stream": "true"}), user)
        for value in ('"../x"', _j("a" * 101), '"\\u0000"', "1", _j("zz0000000000"), "[]"):
            self.add("chat:session_id", "POST", path, _obj({**template, "session_id": value}), user)
        for value in BAD_BODY_IDS[:8]:
            self.add("chat:user", "POST", path, _obj({**template, "user": value}), user)
        self.add("chat:user-mismatch", "POST", path, _obj({**template, "user": _j("someone-else")}), user)
        self.add("chat:foreign-session", "POST", path, _obj({**template, "session_id": _j(sid)}),
                 next((u for u in self.t.users if u != user), "intruder"), session=sid, adds_turn="http")

    def health(self) -> None:
        for path in ("/healthz", "/healthz?x=%00", "/healthz/../v1/sessions"):
            self.add("healthz", "GET", path)
        self.add("healthz:post", "POST", "/healthz", "{}")

    # --- MCP ------------------------------------------------------------------------------------
    def rpc(self, kind: str, envelope: str | bytes, headers: dict | None = None, **kw) -> None:
        h = {"Accept": MCP_ACCEPT}
        h.update(headers or {})
        self.add(kind, "POST", "/mcp", envelope, None, h, **kw)

    def call(self, tool: str, arguments: str, kind: str, **kw) -> None:
        envelope = _obj({"jsonrpc": _j("2.0"), "id": str(len(self.cases) + 1), "method": _j("tools/call"),
                         "params": _obj({"name": _j(tool), "arguments": arguments})})
        self.rpc(kind, envelope, mcp_tool=tool, **kw)

    def mcp(self) -> None:
        sid, user = self.session()
        tools: dict[str, tuple[dict[str, str], dict]] = {
            "recommend": ({"message": _j("a cosy mystery"), "user_id": _j(user), "session_id": _j(sid), "k": "3",
                           "history": _j([self.t.item_id])}, {"session": sid, "adds_turn": "mcp"}),
            "search_items": ({"query": _j("dragons"), "constraints": _j([{"field": "year", "op": "gte", "value": 1990}]),
                              "limit": "10", "mode": _j("replace")}, {}),
            "filter_items": ({"constraints": _j([{"field": "genres", "op": "include", "value": "horror"}]),
                              "exclude_ids": _j(["1"]), "include_ids": "null", "scope": _j("catalog"), "limit": "5"},
                             {}),
            "item_details": ({"item_id": _j(self.t.item_id)}, {}),
            "similar_items": ({"item_id": _j(self.t.item_id), "limit": "5", "mode": _j("merge")}, {}),
            "get_preferences": ({"session_id": _j(sid), "user_id": _j(user)}, {"session": sid}),
            "update_preferences": ({"session_id": _j(sid), "user_id": _j(user), "remove": _j(["genres:fantasy"]),
                                    "add": _j([{"field": "year", "op": "lte", "value": 2020}])}, {"session": sid}),
        }
        for tool, (template, kw) in tools.items():
            per_field = 6
            for key in template:
                for value in self.pick(HOSTILE, per_field):
                    self.call(tool, _obj({**template, key: value}), f"mcp:{tool}:field:{key}", **kw)
                self.call(tool, _obj({k: v for k, v in template.items() if k != key}), f"mcp:{tool}:missing:{key}", **kw)
            for value in ("true", "false", "1.0", "0", "-1", '"3"', "1e400", "NaN"):
                numeric = next((k for k in ("k", "limit") if k in template), None)
                if numeric:
                    self.call(tool, _obj({**template, numeric: value}), f"mcp:{tool}:number:{numeric}", **kw)
            self.call(tool, _obj({**template, "evil": "1"}), f"mcp:{tool}:unknown-field", **kw)
            for value in self.pick(HOSTILE, 6):
                self.call(tool, value, f"mcp:{tool}:arguments", **kw)
            if "session_id" in template:
                for bad in BAD_BODY_IDS[:10]:
                    self.call(tool, _obj({**template, "session_id": bad}), f"mcp:{tool}:session_id", **kw)
                other = next((u for u in self.t.users if u != user), "intruder")
                self.call(tool, _obj({**template, "user_id": _j(other)}), f"mcp:{tool}:foreign", **kw)
            if "constraints" in template or "add" in template:
                key = "constraints" if "constraints" in template else "add"
                for c in self.constraint_fuzz(12):
                    self.call(tool, _obj({**template, key: f"[{c}]"}), f"mcp:{tool}:constraint", **kw)
            if "item_id" in template:
                for bad in BAD_BODY_IDS:
                    self.call(tool, _obj({**template, "item_id": bad}), f"mcp:{tool}:item_id")
        self.call("no_such_tool", "{}", "mcp:unknown-tool")
        self.call("", "{}", "mcp:empty-tool-name")
        self.call("recommend" * 100, "{}", "mcp:long-tool-name")
        # the JSON-RPC envelope itself
        envelopes = [
            b'{"jsonrpc": "1.0", "id": 1, "method": "tools/list"}', b'{"jsonrpc": "2.0", "method": "tools/list"}',
            b'{"jsonrpc": "2.0", "id": {"a": 1}, "method": "tools/list"}', b'{"jsonrpc": "2.0", "id": 1}',
            b'{"jsonrpc": "2.0", "id": 1, "method": "no/such"}', b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": [1]}',
            b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"arguments": {}}}',
            b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": 1}}',
            b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": null}', b"[]",
            b'[{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}]',
            b'{"jsonrpc": "2.0", "id": 1e400, "method": "tools/list"}', b'{"jsonrpc": "2.0", "id": NaN, "method": "tools/list"}',
            b'{"jsonrpc": "2.0", "id": 99999999999999999999999999, "method": "tools/list"}',
            b'{"jsonrpc": "2.0", "id": true, "method": "tools/list"}', b'{"jsonrpc": "2.0", "id": null, "method": "tools/list"}',
            b'{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "\\ud800"}}',
            b'{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "1900-01-01", '
            b'"capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}}',
            b'{"jsonrpc": "2.0", "id": 1, "method": "resources/read", "params": {"uri": "file:///etc/passwd"}}',
            b'{"jsonrpc": "2.0", "id": 1, "method": "prompts/get", "params": {"name": "x"}}',
            b'{"jsonrpc": "2.0", "method": "notifications/initialized"}', b'{"jsonrpc": "2.0", "id": 1, "result": {}}',
            b'{"jsonrpc": "2.0", "id": 1, "error": {"code": 1, "message": "x"}}',
            b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"cursor": "\\u0000"}}',
            b'{"jsonrpc": "2.0", "id": "' + b"a" * 10000 + b'", "method": "tools/list"}',
        ]
        for envelope in envelopes:
            self.rpc("mcp:envelope", envelope)
        for body in self.pick(BAD_JSON, 12):
            self.rpc("mcp:bad-json", body)
        tools_list = b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}'
        for accept in ("", "text/html", "application/json", "text/event-stream", "*/*"):
            self.add("mcp:accept", "POST", "/mcp", tools_list, None, {"Accept": accept} if accept else {})
        for ctype, _ in CONTENT_TYPES[:6]:
            self.rpc("mcp:content-type", tools_list, {"Content-Type": ctype})
        for method in ("GET", "DELETE", "PUT", "PATCH"):
            self.add(f"mcp:{method}", method, "/mcp", None, None, {"Accept": MCP_ACCEPT}, stream=method == "GET")
        self.rpc("mcp:session-header", tools_list, {"Mcp-Session-Id": "../../x", "Mcp-Protocol-Version": b"\xff"})

    # --- transport: JSON, content types, bodies, Host, tokens, sizes ----------------------------------
    def _post_targets(self) -> list[tuple[str, str, str, str | None, str | None]]:
        """(method, path, user, session, adds_turn) of the routes that take a body."""
        sid, user = self.session()
        return [("POST", f"/v1/sessions/{sid}/messages", user, sid, "http"), ("PATCH", f"/v1/sessions/{sid}/state", user,
                sid, None), ("POST", f"/v1/sessions/{sid}/feedback", user, sid, None), ("POST", "/v1/sessions", user,
                None, None), ("POST", "/v1/chat/completions", user, None, None), ("POST", "/mcp", user, None, None)]

    def transport(self) -> None:
        for body in BAD_JSON:
            for method, path, user, sid, turn in self.pick(self._post_targets(), 2):
                self.add("transport:bad-json", method, path, body, user, {"Accept": MCP_ACCEPT}, session=sid,
                         adds_turn=turn)
        for ctype, body in CONTENT_TYPES:
            for method, path, user, sid, turn in self.pick(self._post_targets(), 2):
                self.add("transport:content-type", method, path, body, user,
                         {"Content-Type": ctype, "Accept": MCP_ACCEPT}, session=sid, adds_turn=turn)
        for method, path, user, sid, turn in self._post_targets():
            self.add("transport:no-body", method, path, None, user, {"Accept": MCP_ACCEPT}, session=sid, adds_turn=turn)
            self.add("transport:no-body-json-type", method, path, None, user,
                     {"Content-Type": "application/json", "Accept": MCP_ACCEPT}, session=sid, adds_turn=turn)
            big = _obj({"text": _j("a" * 300_000)})
            self.add("transport:too-large", method, path, big, user, {"Accept": MCP_ACCEPT}, expect=413)
            chunked = Case("transport:too-large-chunked", method, path, {**self.headers(user, True), "Accept": MCP_ACCEPT},
                           chunks=[b'{"text": "' + b"a" * 100_000] * 3 + [b'"}'], expect=413)
            self.cases.append(chunked)
            self.add("transport:under-limit", method, path, _obj({"text": _j("a" * 250_000)}), user,
                     {"Accept": MCP_ACCEPT}, session=sid, adds_turn=turn)
        routes = [("GET", "/v1/sessions", None), ("GET", "/v1/items/1", None), ("GET", "/v1/memory", None),
                  ("POST", "/v1/sessions", "{}"), ("POST", "/mcp", '{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}'),
                  ("GET", "/v1/items/search?query=x", None), ("DELETE", "/v1/memory", None)]
        user = self.t.users[0]
        for host in BAD_HOSTS:
            method, path, body = self.rng.choice(routes)
            self.add("transport:bad-host", method, path, body, user, {"Host": host, "Accept": MCP_ACCEPT}, expect=421)
        for host in (b"localhost", b"127.0.0.1", b"[::1]", b"LOCALHOST", b"localhost:1"):  # loopback names: fine
            self.add("transport:loopback-host", "GET", "/v1/sessions", None, user, {"Host": host})
        if self.t.token:
            for token in _bad_tokens(self.t.token):
                method, path, body = self.rng.choice(routes)
                headers = {"Authorization": token, "Accept": MCP_ACCEPT}
                self.add("transport:bad-token", method, path, body, user, headers, expect=401)
            for method, path, body in routes:
                case_headers = {"Accept": MCP_ACCEPT}
                self.add("transport:no-token", method, path, body, user, case_headers, expect=401)
                self.cases[-1].headers.pop("Authorization", None)
        for method in ("PUT", "DELETE", "OPTIONS", "HEAD", "TRACE", "PATCH"):
            self.add("transport:method", method, "/v1/sessions", None, user)
        self.add("transport:unknown-route", "GET", "/v1/../../etc/passwd", None, user)
        self.add("transport:unknown-route", "GET", "/v1/%2E%2E/%2E%2E/etc/passwd", None, user)
        self.add("transport:unknown-route", "POST", "/v1/admin", "{}", user)
        self.add("transport:long-path", "GET", "/v1/" + "a/" * 2000, None, user)
        self.add("transport:long-query", "GET", "/v1/sessions?" + "a=1&" * 2000, None, user)
        self.add("transport:many-headers", "GET", "/v1/sessions", None, user, {f"X-H{i}": "v" for i in range(90)})


def fuzz_cases(target: Target, seed: int = 11) -> list[Case]:
    """The hostile requests for ``target``, in a seeded shuffled order (1,000 to 1,500 of them)."""
    gen = _Gen(target, random.Random(seed))
    gen.sessions_routes()
    gen.items_routes()
    gen.memory_routes()
    gen.chat_routes()
    gen.health()
    gen.mcp()
    gen.transport()
    cases = gen.cases
    random.Random(seed + 1).shuffle(cases)
    return cases


if __name__ == "__main__":  # how many, of which kinds
    from collections import Counter

    demo = Target([("s1", "alice"), ("s2", "bob"), ("s3", "alice")], "1", "tok")
    all_cases = fuzz_cases(demo)
    print(len(all_cases))
    print(Counter(c.kind.split(":")[0] for c in all_cases).most_common())
