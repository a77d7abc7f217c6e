"""Group commit: the writes of concurrent requests share one transaction.

Each write costs a fixed dozen statements of ORM work, done while holding the database's one
write turn on SQLite; the bulk helpers make a batch of N cost little more than one. So a
request queues its job and waits for the process's turn: whoever gets it takes every job
queued meanwhile (its own included) and stores them together with ``store_many(ctx, jobs)``,
one transaction per batch. A job that arrives while a batch is being written goes in the next.

Should a batch fail, each of its jobs is redone in a transaction of its own, so one bad
request never loses (or blames) the others.

On a busy machine requests reach the queue a few at a time, and a batch of one pays the whole
fixed cost (site events: about five times the CPU per event of a batch of eight). So a request
may say it is coming (:meth:`GroupWriter.arriving`, while it is checked and parsed) and the
next batch waits for it, at most ``LINGER`` seconds: PostgreSQL's ``commit_delay`` with
``commit_siblings``, in the web layer.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ccctl.context import App, TenantContext
from ccctl.web.writelock import sqlite_writer

MAX_BATCH = 64  # bounds one transaction's time while the write turn is held
LINGER = 0.002  # at most this long, a batch waits for the requests announced as arriving


@dataclass
class Job:
    tenant: Any  # the TenantInfo (its detached row joins the batch's session)
    data: Any
    done: bool = False
    result: Any = None
    error: BaseException | None = None


@dataclass
class GroupWriter:
    """Batches ``store_many(ctx, [data, ...]) -> [result, ...]`` calls of one kind per process."""

    app: App
    store_many: Callable[[TenantContext, list[Any]], list[Any]]
    _queue: list[Job] = field(default_factory=list)
    _queue_lock: threading.Condition = field(default_factory=threading.Condition)  # guards _queue, _arriving
    _turn: threading.Lock = field(default_factory=threading.Lock)
    _arriving: int = 0

    @contextlib.contextmanager
    def arriving(self) -> Iterator[None]:
        """Around what a request does before :meth:`run` (checks, parsing): a batch about to be
        written waits for it (at most ``LINGER``) rather than leave it to a transaction of its own."""
        with self._queue_lock:
            self._arriving += 1
        try:
            yield
        finally:
            with self._queue_lock:
                self._arriving -= 1
                self._queue_lock.notify_all()

    def run(self, tenant, data) -> Any:
        """Store ``data`` for ``tenant`` (possibly with other requests' jobs); its result, or its error."""
        job = Job(tenant, data)
        with self._queue_lock:
            self._queue.append(job)
            self._queue_lock.notify_all()
        with self._turn:
            while not job.done:  # else an earlier turn's holder took it along; over MAX_BATCH, batches in order
                self._linger()
                # The batch is taken once the database's write turn is ours (SQLite: another worker
                # may be writing), so that it holds every job that queued during that wait.
                with sqlite_writer(self.app.engine):
                    with self._queue_lock:
                        batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                    self._write(batch)
        if job.error is not None:
            raise job.error
        return job.result

    def _linger(self) -> None:
        """Wait, at most ``LINGER``, while announced requests are still on their way to the queue."""
        deadline = time.monotonic() + LINGER
        with self._queue_lock:
            while self._arriving and len(self._queue) < MAX_BATCH:
                left = deadline - time.monotonic()
                if left <= 0 or not self._queue_lock.wait(left):
                    break

    def _write(self, batch: list[Job]) -> None:
        try:
            self._store(batch)
        except Exception:
            for job in batch:  # redo alone: only the faulty job fails
                try:
                    self._store([job])
                except Exception as exc:  # handed to the request that sent it
                    job.error = exc
        for job in batch:
            job.done = True

    def _store(self, jobs: list[Job]) -> None:
        by_tenant: dict[int, list[Job]] = {}
        for job in jobs:
            by_tenant.setdefault(job.tenant.id, []).append(job)
        with sqlite_writer(self.app.engine), self.app.transaction(sqlite_begin="IMMEDIATE") as session:
            results = []
            for group in by_tenant.values():
                ctx = self.app.context(session, session.merge(group[0].tenant.row, load=False))
                results.append((group, self.store_many(ctx, [job.data for job in group])))
        for group, values in results:  # only once committed
            for job, value in zip(group, values, strict=True):
                job.result = value
