"""MIME parsing beside the database writer: chunks of raw messages parsed in forked worker
processes while the ingesting process stores the chunks parsed before, in input order.

A worker only parses (no database, no settings): it gets a chunk of raw messages, sends
back ``ParsedMail`` or ``Unparseable`` for each. Results are taken chunk after chunk in the
order sent, so the ingester sees exactly what in-process parsing gives it. A worker that
dies (or cannot be started) costs nothing but speed: its chunks are parsed in-process.
Workers leave when the ingesting process closes their pipe, or dies: they never outlive it.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Iterable, Iterator

from ccctl_email.mime import ParsedMail, Unparseable, parse

Batch = list[tuple[str, bytes]]  # (source label, raw bytes)


def parse_batch(raws: list[bytes]) -> list[ParsedMail | Unparseable]:
    out: list[ParsedMail | Unparseable] = []
    for raw in raws:
        try:
            out.append(parse(raw))
        except Unparseable as exc:
            out.append(exc)
    return out


def in_process(batches: Iterable[Batch]) -> Iterator[tuple[Batch, list[ParsedMail | Unparseable]]]:
    for batch in batches:
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


def _serve(conn, others) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the ingesting process, which then closes the pipe
    for other in others:
        other.close()  # so that the ingesting process's end is the only one left: EOF when it goes
    while True:
        try:
            raws = conn.recv()
            conn.send(parse_batch(raws))
        except (EOFError, OSError):
            return


class ParsePool:
    """``processes`` forked parsers; call it on batches to get ``(batch, parsed)`` in order."""

    def __init__(self, processes: int, ahead: int = 2) -> None:
        self.processes, self.ahead = processes, ahead
        self.workers: list = []
        self.conns: list = []

    def __enter__(self) -> ParsePool:
        context = _fork()
        pipes = [context.Pipe() for _ in range(self.processes)] if context else []
        for ours, theirs in pipes:
            worker = context.Process(target=_serve, args=(theirs, [p for p, _t in pipes]), daemon=True,
                                     name="ccctl-email-parse")
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

    def __call__(self, batches: Iterable[Batch]) -> Iterator[tuple[Batch, list[ParsedMail | Unparseable]]]:
        if not self.conns:
            yield from in_process(batches)
            return
        # A thread sends: were this thread to block sending a chunk while a worker blocks
        # sending back the one before (both pipes full), neither would ever go on.
        order: queue.Queue = queue.Queue(maxsize=self.ahead * len(self.conns))
        stop = threading.Event()
        feeder = threading.Thread(target=self._feed, args=(iter(batches), order, stop), daemon=True)
        feeder.start()
        try:
            while True:
                entry = order.get()
                if entry is None:
                    return
                if isinstance(entry, BaseException):
                    raise entry  # reading a source failed
                batch, conn = entry
                yield batch, self._receive(conn, batch)
        finally:
            stop.set()  # the consumer stopped early (an error): the feeder leaves at its next step

    def _feed(self, batches: Iterator[Batch], order: queue.Queue, stop: threading.Event) -> None:
        def put(entry) -> bool:
            while not stop.is_set():
                try:
                    order.put(entry, timeout=0.1)  # blocks while enough chunks are in flight
                    return True
                except queue.Full:
                    continue
            return False

        try:
            for n, batch in enumerate(batches):
                conn = self.conns[n % len(self.conns)]
                if not put((batch, conn)):
                    return
                try:
                    conn.send([raw for _source, raw in batch])
                except OSError:
                    pass  # a dead worker (or the pool closing): _receive parses its chunks here
        except BaseException as exc:  # noqa: BLE001 - handed to the consuming thread
            put(exc)
            return
        put(None)

    def _receive(self, conn, batch: Batch) -> list[ParsedMail | Unparseable]:
        try:
            parsed = conn.recv()
            if len(parsed) == len(batch):
                return parsed
        except Exception:  # noqa: BLE001 - a worker that died or garbled: parse here
            pass
        return parse_batch([raw for _source, raw in batch])
