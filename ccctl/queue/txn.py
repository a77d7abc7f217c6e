"""Write transactions that take their lock up front, so two claimers never read the same free item."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import Engine
from sqlalchemy.orm import Session


@contextlib.contextmanager
def immediate_session(engine: Engine) -> Iterator[Session]:
    """A session in one transaction, committed on success: ``BEGIN IMMEDIATE`` on SQLite (the
    write lock is taken before the first read); on PostgreSQL rows are locked by the queries."""
    conn = engine.connect()
    if engine.dialect.name == "sqlite":
        conn = conn.execution_options(sqlite_begin="IMMEDIATE")
    try:
        with Session(bind=conn, expire_on_commit=False) as session, session.begin():
            yield session
    finally:
        conn.close()
