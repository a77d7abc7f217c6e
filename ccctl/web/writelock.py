"""One writer at a time on SQLite, handed over without sleeping.

SQLite lets one transaction write at a time; a waiter polls with sleeps of 1 to 100 ms (its busy
handler), so threads and uvicorn workers that pile up on the lock sit idle long after it is free.
Queueing writers here (a thread lock, then ``flock`` on a file next to the database, which wakes
the next process as soon as it is released) keeps throughput with several workers. Other
processes (cron jobs) need not take it: SQLite's own locking still guards the data.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator

from sqlalchemy import Engine

_locks: dict[str, tuple[threading.Lock, int]] = {}
_guard = threading.Lock()
_held = threading.local()  # paths whose turn this thread holds: a nested scope must not wait for itself


@contextlib.contextmanager
def sqlite_writer(engine: Engine) -> Iterator[None]:
    """Hold the write turn for ``engine``'s SQLite file (does nothing for other databases)."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    path = os.path.abspath(path)
    held = _held.__dict__.setdefault("paths", set())
    if path in held:
        yield
        return
    thread_lock, fd = _lock_for(path)
    with thread_lock:
        fcntl.flock(fd, fcntl.LOCK_EX)
        held.add(path)
        try:
            yield
        finally:
            held.discard(path)
            fcntl.flock(fd, fcntl.LOCK_UN)


def _lock_for(path: str) -> tuple[threading.Lock, int]:
    with _guard:
        if path not in _locks:
            fd = os.open(path + ".writers", os.O_RDWR | os.O_CREAT, 0o600)
            _locks[path] = (threading.Lock(), fd)
        return _locks[path]
