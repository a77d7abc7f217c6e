"""MIME parsing beside the database writer: forked worker processes read and parse chunks of
messages while the ingesting process stores the chunks parsed before, in input order.

Worker ``w`` of ``W`` reads the sources (its own file handles) and parses every ``W``-th
chunk, parsing ahead of the writer; it sends back each chunk's ``(source, raw)`` pairs (the
raw bytes are kept if a message is quarantined) with a ``ParsedMail`` or ``Unparseable``
for each. The writer takes chunk ``n`` from worker ``n % W``, so it sees exactly what
in-process parsing gives it, in the same order. A worker that dies costs only speed: the
writer reads and parses the rest itself. Workers hold no database connection (they are
forked before it is opened) and leave when the writer closes their pipe, or dies.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Iterable, Iterator

from ccctl_email.mime import ParsedMail, Unparseable, parse

Batch = list[tuple[str, bytes]]  # (source label, raw bytes)
CHUNK = 500  # messages parsed, looked up and stored together...
CHUNK_BYTES = 32 << 20  # ...unless they weigh more than this (big attachments)
AHEAD = 4  # chunks a worker may parse before the writer takes them (memory: a few chunks per worker)


def parse_batch(raws: list[bytes]) -> list[ParsedMail | Unparseable]:
    out: list[ParsedMail | Unparseable] = []
    for raw in raws:
        try:
            out.append(parse(raw))
        except Unparseable as exc:
            out.append(exc)
        except Exception as exc:  # noqa: BLE001 - parse() guards itself; this is the last line
            out.append(Unparseable(f"parser error: {type(exc).__name__}"))
    return out


def batches(messages: Iterable[tuple[str, bytes]], size: int, max_bytes: int = CHUNK_BYTES) -> Iterator[Batch]:
    """Chunks of ``size`` messages, or fewer when they hold more than ``max_bytes``."""
    batch: Batch = []
    weight = 0
    for message in messages:
        batch.append(message)
        weight += len(message[1])
        if len(batch) >= size or weight >= max_bytes:
            yield batch
            batch, weight = [], 0
    if batch:
        yield batch


def in_process(chunks: Iterable[Batch]) -> Iterator[tuple[Batch, list[ParsedMail | Unparseable]]]:
    for batch in chunks:
        yield batch, parse_batch([raw for _source, raw in batch])


def default_processes(messages: int, chunk: int) -> int:
    """One parsing process when there is a spare CPU and more than a couple of chunks to parse."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 1 if cpus >= 2 and messages >= 2 * chunk and _fork() is not None else 0


def _fork():
    # fork: the worker shares the already imported code; "spawn" would re-run `python -m ccctl`.
    try:
        return multiprocessing.get_context("fork")
    except ValueError:
        return None


def _serve(conn, others, messages, size: int, index: int, count: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the writer, which then closes the pipe
    for other in others:
        other.close()  # every pipe end but its own: each side sees EOF when the other goes
    if index:
        from ccctl_email import sources

        sources.WARN = False  # every worker reads every source: worker 0 alone reports unreadable files
    ready: queue.Queue = queue.Queue(maxsize=AHEAD)

    def send() -> None:
        while True:
            entry = ready.get()
            try:
                conn.send(entry)
            except Exception:  # noqa: BLE001 - the writer left (or the entry will not pickle): so do we
                os._exit(0)
            if entry is None or isinstance(entry, BaseException):
                return

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        for n, batch in enumerate(batches(messages, size)):
            if n % count == index:
                ready.put((batch, parse_batch([raw for _source, raw in batch])))
        ready.put(None)
    except Exception as exc:  # noqa: BLE001 - reading a source failed: the writer raises it
        ready.put(RuntimeError(f"{type(exc).__name__}: {exc}"))
    sender.join()


class ParsePool:
    """Iterate it for ``(chunk, parsed)`` in order: parsed by ``processes`` workers, or here when 0."""

    def __init__(self, messages: Iterable[tuple[str, bytes]], size: int, processes: int) -> None:
        self.messages, self.size, self.processes = messages, size, processes
        self.workers: list = []
        self.conns: list = []

    def __enter__(self) -> ParsePool:
        context = _fork() if self.processes else None
        pipes = [context.Pipe() for _ in range(self.processes)] if context else []
        for index, (ours, theirs) in enumerate(pipes):
            others = [end for pipe in pipes for end in pipe if end is not theirs]
            worker = context.Process(target=_serve, name="ccctl-email-parse", daemon=True, args=(
                theirs, others, self.messages, self.size, index, len(pipes)))
            worker.start()
            theirs.close()
            self.workers.append(worker)
            self.conns.append(ours)
        return self

    def __exit__(self, *exc) -> None:
        for conn in self.conns:
            conn.close()
        for worker in self.workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
                worker.join()

    def __iter__(self) -> Iterator[tuple[Batch, list[ParsedMail | Unparseable]]]:
        if not self.conns:
            yield from in_process(batches(self.messages, self.size))
            return
        for n in itertools.count():
            try:
                entry = self.conns[n % len(self.conns)].recv()
            except Exception:  # noqa: BLE001 - a worker died: the writer reads and parses the rest
                yield from in_process(itertools.islice(batches(self.messages, self.size), n, None))
                return
            if entry is None:
                return
            if isinstance(entry, BaseException):
                raise entry
            yield entry
