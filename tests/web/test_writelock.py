"""The SQLite writers' queue: one writer at a time across threads and processes, never waiting on itself."""

from __future__ import annotations

import multiprocessing
import threading

from ccctl.db.engine import make_engine
from ccctl.web.writelock import sqlite_writer


def test_threads_take_turns(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    inside, most = [0], [0]
    guard = threading.Lock()

    def writer():
        for _ in range(50):
            with sqlite_writer(engine):
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                with guard:
                    inside[0] -= 1

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1


def _hold_then_report(path: str, holding, release, out) -> None:
    engine = make_engine(f"sqlite:///{path}")
    with sqlite_writer(engine):
        holding.set()
        release.wait(30)
    out.put("released")


def test_another_process_waits_for_the_turn(tmp_path):
    path = str(tmp_path / "w.db")
    ctx = multiprocessing.get_context("spawn")
    holding, release, out = ctx.Event(), ctx.Event(), ctx.Queue()
    other = ctx.Process(target=_hold_then_report, args=(path, holding, release, out))
    other.start()
    try:
        assert holding.wait(30)
        order = []

        def wait_for_turn():
            with sqlite_writer(make_engine(f"sqlite:///{path}")):
                order.append("got it")

        waiter = threading.Thread(target=wait_for_turn)
        waiter.start()
        waiter.join(0.5)
        assert order == []  # still the other process's turn
        release.set()
        waiter.join(30)
        assert order == ["got it"] and out.get(timeout=30) == "released"
    finally:
        release.set()
        other.join(30)


def test_nested_scope_in_one_thread_does_not_wait_for_itself(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with sqlite_writer(engine):
        with sqlite_writer(engine):
            pass
    with sqlite_writer(engine):  # and the turn was given back
        pass


def test_other_databases_are_not_queued():
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with sqlite_writer(engine), sqlite_writer(engine):
        pass
