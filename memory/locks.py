"""One turn per session at a time, across threads, processes and hosts.

A turn reads the session, thinks, and writes it back; two turns on one session must not
interleave, or the second write loses the first. The lock has to hold wherever the writers are:

- SQLite (one machine): an exclusive ``flock`` on one of a fixed set of lock files beside the
  database, chosen by the session id's hash. The kernel frees it when the process dies, so a
  killed worker never leaves a session locked.
- PostgreSQL (any number of hosts): a session-level advisory lock on the session id's hash,
  held on its own connection for the turn; it goes when that connection does.

Waiting is bounded: after ``timeout`` seconds the caller gets ``SessionBusy``.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from recpilot.errors import SessionBusy

#: lock files for SQLite: two sessions share one with probability 1/STRIPES, which only
#: makes them wait for each other's (sub-second) turn
STRIPES = 1024
_POLL = 0.02


def _stripe(session_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(session_id.encode(), digest_size=4).digest(), "big") % STRIPES


class FileLocks:
    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._threads = [threading.Lock() for _ in range(STRIPES)]

    @contextmanager
    def hold(self, session_id: str, timeout: float = 60.0) -> Iterator[None]:
        import fcntl

        stripe = _stripe(session_id)
        deadline = time.monotonic() + timeout
        # threads of this process queue on a plain lock; only one of them polls the file
        if not self._threads[stripe].acquire(timeout=timeout):
            raise SessionBusy(session_id)
        try:
            fd = os.open(self.directory / f"{stripe:04d}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            raise SessionBusy(session_id) from None
                        time.sleep(_POLL)
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
        finally:
            self._threads[stripe].release()


#: PostgreSQL: how many locks one process holds (or waits for) at once. A holder keeps a pooled
#: connection for the whole turn, and the turn takes another for each read and write; if holders
#: could take every connection (the pool holds 20, memory/database.py), the turns inside them would
#: wait on the pool until it timed out. More callers wait here, holding no connection.
MAX_HOLDERS = 10


class AdvisoryLocks:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._slots = threading.BoundedSemaphore(MAX_HOLDERS)

    @contextmanager
    def hold(self, session_id: str, timeout: float = 60.0) -> Iterator[None]:
        key = int.from_bytes(hashlib.blake2b(session_id.encode(), digest_size=8).digest(), "big", signed=True)
        deadline = time.monotonic() + timeout
        if not self._slots.acquire(timeout=timeout):
            raise SessionBusy(session_id)
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                    if time.monotonic() > deadline:
                        raise SessionBusy(session_id)
                    time.sleep(_POLL)
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        finally:
            self._slots.release()
