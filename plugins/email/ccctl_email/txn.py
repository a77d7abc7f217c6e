"""Short write transactions for the email plugin's cron work (fetch, outbox)."""

from __future__ import annotations


def write_transaction(session) -> None:
    """Begin ``session``'s next transaction as a writer: on SQLite ``BEGIN IMMEDIATE`` waits (busy
    timeout) for the write lock up front, where a reader upgrading to a writer after another
    process wrote fails at once with ``database is locked``. Does nothing on PostgreSQL, or when
    the session is already in a transaction."""
    if not session.in_transaction():
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
