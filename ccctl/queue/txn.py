"""Write transactions that take their lock up front, so two claimers never read the same free item."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session


@contextlib.contextmanager
def immediate_session(bind: Engine | Connection) -> Iterator[Session]:
    """A session in one transaction, committed on success: ``BEGIN IMMEDIATE`` on SQLite (the
    write lock is taken before the first read); on PostgreSQL rows are locked by the queries.

    ``bind`` may be a connection a long-running client keeps (it stays open afterwards).
    """
    owned = isinstance(bind, Engine)
    conn = bind.connect() if owned else bind
    if conn.dialect.name == "sqlite":
        conn = conn.execution_options(sqlite_begin="IMMEDIATE")
    try:
        with Session(bind=conn, expire_on_commit=False) as session, session.begin():
            yield session
    finally:
        if owned:
            conn.close()


@contextlib.contextmanager
def step_connection(bind: Engine | Connection) -> Iterator[Connection]:
    """A connection for one queue step written as single statements, committed when the block ends.

    PostgreSQL: autocommit, each statement its own transaction, with no BEGIN and COMMIT
    round trips (the claim is one statement); SQLite: ``BEGIN IMMEDIATE``. ``bind`` may be a
    connection a client keeps for its steps; it is left in that mode.
    """
    owned = isinstance(bind, Engine)
    conn = bind.connect() if owned else bind
    if conn.dialect.name == "postgresql":
        autocommit(conn)
    elif conn.get_execution_options().get("sqlite_begin") != "IMMEDIATE":
        conn.execution_options(sqlite_begin="IMMEDIATE")
    try:
        if not conn.in_transaction():
            conn.begin()  # so that a Session on ``conn`` joins this transaction and leaves it to us
        yield conn
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        if owned:
            conn.close()


def autocommit(conn: Connection) -> Connection:
    """``conn`` switched to autocommit (PostgreSQL: each statement is its own transaction), once."""
    if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        conn.execution_options(isolation_level="AUTOCOMMIT")
    return conn


@contextlib.contextmanager
def write_transaction(conn: Connection) -> Iterator[Connection]:
    """``conn`` in one ordinary transaction, committed when the block ends: a step whose statements
    must commit with other writes (a plugin's outbox row). PostgreSQL: out of autocommit (it goes
    back there at the next :func:`step_connection`); SQLite: ``BEGIN IMMEDIATE``."""
    if conn.dialect.name == "postgresql" and conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        conn.execution_options(isolation_level=conn.default_isolation_level)
    elif conn.dialect.name == "sqlite" and conn.get_execution_options().get("sqlite_begin") != "IMMEDIATE":
        conn.execution_options(sqlite_begin="IMMEDIATE")
    try:
        if not conn.in_transaction():
            conn.begin()
        yield conn
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
