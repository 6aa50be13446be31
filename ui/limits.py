"""How much one caller may ask for, and what a JSON body may look like, before any route sees it.

- ``RateLimiter``: a token bucket per key (a user, a client address). A worker process keeps
  its own buckets, so with N workers behind a balancer a caller gets up to N times the rate;
  set the limits with that in mind, or enforce them at the balancer.
- ``check_json``: a body is parsed once, off the event loop, and refused (422, without echoing
  it) when it is not JSON, holds NaN or Infinity, a lone surrogate, or is nested or wide
  beyond what any route takes. The routes' own validation then runs on something small.
"""

from __future__ import annotations

import json
import math
import threading
import time

#: the most keys one object and items one array may have (the largest list a route takes is 500)
MAX_WIDTH = 1000
MAX_DEPTH = 20


class RateLimiter:
    """``per_minute`` requests a minute per key, in bursts of up to that many."""

    def __init__(self, per_minute: int, max_keys: int = 100_000):
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when the request may go ahead; else the seconds until it may."""
        if self.capacity <= 0:
            return 0.0
        now = time.monotonic()
        with self._lock:
            tokens, since = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - since) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            if len(self._buckets) > self.max_keys:  # forget the idle; a full bucket is the default anyway
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 60}
        return wait


class BadJson(ValueError):
    pass


def _no_constant(name: str):
    raise BadJson(f"{name} is not a JSON number")


def check_json(body: bytes) -> None:
    """Raises ``BadJson`` (a short reason, never the input) for a body no route should get."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadJson("the body is not UTF-8") from None
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except BadJson:
        raise
    except (ValueError, RecursionError):
        raise BadJson("the body is not valid JSON") from None
    _walk(value, 0)


def _walk(value, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise BadJson(f"the body is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        if len(value) > MAX_WIDTH:
            raise BadJson(f"an object in the body has more than {MAX_WIDTH} keys")
        for key, item in value.items():
            _text(key)
            _walk(item, depth + 1)
    elif isinstance(value, list):
        if len(value) > MAX_WIDTH:
            raise BadJson(f"a list in the body has more than {MAX_WIDTH} items")
        for item in value:
            _walk(item, depth + 1)
    elif isinstance(value, str):
        _text(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise BadJson("numbers in the body must be finite (1e400 is not)")


def _text(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadJson("the body holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text") from None
