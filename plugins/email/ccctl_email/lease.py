"""One `email fetch` run per mailbox at a time: a lease on the mailbox's ``email_imap_state`` row.

A run takes the lease in a short write transaction once logged in, renews it with every
chunk it commits (in the same transaction as the chunk's messages and position) and gives it
back when it ends. A second run finding the lease held skips that mailbox (the first one is
reading it); a run killed without giving it back holds it for :data:`LEASE` at most, then the
next run takes over. A run whose lease was taken over meanwhile stops before committing its
chunk (:class:`LeaseLost`): Message-IDs are unique, so nothing is stored twice either way.

Every function here opens and commits its own transaction: none is left open for the IMAP
calls around them.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from ccctl.db.models import utcnow
from ccctl.db.upsert import insert_or_skip
from ccctl.errors import CcctlError
from ccctl_email.models import ImapState
from ccctl_email.txn import write_transaction

LEASE = timedelta(minutes=15)  # renewed with every chunk of FETCH_CHUNK messages


class MailboxBusy(Exception):
    """Another run holds the mailbox's lease (not a fault: that run is reading it)."""


class LeaseLost(CcctlError):
    """This run's lease expired and another run took the mailbox over: stop, commit nothing more."""


@dataclass
class Lease:
    state_id: int
    holder: str
    uidvalidity: int   # as stored when the lease was taken (0: never read)
    last_uid: int


def new_holder() -> str:
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(session, tenant_id: int, account: str, holder: str, now: datetime | None = None) -> Lease:
    """Take the lease on ``account`` (creating its state row), committed; :class:`MailboxBusy` if held."""
    now = now or utcnow()
    session.commit()  # end whatever the caller had open: the next BEGIN is ours
    write_transaction(session)
    try:
        insert_or_skip(session, ImapState, dict(tenant_id=tenant_id, account=account, uidvalidity=0, last_uid=0),
                       conflict=("tenant_id", "account"), returning=ImapState.id)
        mine = ImapState.tenant_id == tenant_id, ImapState.account == account
        for _attempt in range(3):
            taken = session.execute(update(ImapState).where(
                *mine, or_(ImapState.lease_holder.is_(None), ImapState.lease_until < now,
                           ImapState.lease_holder == holder))
                .values(lease_holder=holder, lease_until=now + LEASE)
                .returning(ImapState.id, ImapState.uidvalidity, ImapState.last_uid)).first()
            if taken is not None:
                break
            other, until = session.execute(select(ImapState.lease_holder, ImapState.lease_until).where(*mine)).one()
            if other is not None and until is not None:
                session.rollback()
                raise MailboxBusy(f"another email fetch run ({other}) is reading this mailbox "
                                  f"(its lease runs until {until:%Y-%m-%d %H:%M:%S} UTC)")
            # PostgreSQL (read committed): the holder gave the lease back between the two statements
        else:
            session.rollback()
            raise MailboxBusy("other email fetch runs keep taking this mailbox's lease")
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return Lease(taken.id, holder, taken.uidvalidity, taken.last_uid)


def advance(session, lease: Lease, uidvalidity: int, last_uid: int, now: datetime | None = None) -> None:
    """Inside the caller's open (write) transaction: store the position and renew the lease;
    :class:`LeaseLost` when another run holds it now (the caller rolls back)."""
    now = now or utcnow()
    done = session.execute(update(ImapState).where(
        ImapState.id == lease.state_id, ImapState.lease_holder == lease.holder)
        .values(uidvalidity=uidvalidity, last_uid=last_uid, lease_until=now + LEASE)
        .returning(ImapState.id)).first()
    if done is None:
        raise LeaseLost(f"this run's fetch lease ran out ({LEASE} without progress) and another run "
                        "took the mailbox over: stopped, nothing lost (the other run reads on)")


def release(session, lease: Lease) -> None:
    """Give the lease back (its own short transaction; harmless if it was lost). Should the
    database refuse now, the lease runs out by itself: a warning, never an error hiding the
    run's own outcome."""
    from sqlalchemy.exc import SQLAlchemyError

    session.rollback()
    try:
        write_transaction(session)
        session.execute(update(ImapState).where(ImapState.id == lease.state_id, ImapState.lease_holder == lease.holder)
                        .values(lease_holder=None, lease_until=None))
        session.commit()
    except SQLAlchemyError as exc:
        import click

        session.rollback()
        click.echo(f"warning: could not give back the fetch lease of {lease.holder} "
                   f"({type(exc).__name__}); it runs out within {LEASE}", err=True)
