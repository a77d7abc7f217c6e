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
