"""Claims on the outbox: two runs sending a tenant's mail at once never send one mail twice.

The same idea as the SMS outbox's claim: before the SMTP connection opens, a short write
transaction (``BEGIN IMMEDIATE`` on SQLite, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL) turns
the ``queued`` rows this run will send into ``sending`` with ``claimed_by`` (``host:pid:random``,
as the fetch lease's holder) and ``claimed_at``, and commits. A row is claimed by one run only;
each outcome is written only while the row is still this run's, and renews the claim on the
rest of the batch. A run killed mid-send leaves its rows ``sending``: once their claim is older
than :data:`ccctl_email.lease.LEASE` (15 min, far above the SMTP timeouts), the next run puts
them back to ``queued`` with a note, and sends them again. SMTP cannot tell whether a mail went
out, so a mail in flight when its run died may reach the customer twice; one is never lost.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from ccctl.db.models import utcnow
from ccctl_email.lease import LEASE
from ccctl_email.models import OutboundMail

SENDING = "sending"
RECOVERED = "recovered from"  # starts the note on a recovered row (kept once it is sent: maybe sent twice)


def claim(session, tenant_id: int, holder: str, only: list[int] | None = None) -> tuple[list[OutboundMail], int]:
    """Recover the tenant's stale claims, then claim its queued mails (``only`` these ids) for
    ``holder``; the caller commits. Returns the rows won, oldest first, and how many were recovered."""
    now = utcnow()
    recovered = recover(session, tenant_id, now)
    query = select(OutboundMail).where(OutboundMail.tenant_id == tenant_id, OutboundMail.status == "queued")
    if only is not None:
        query = query.where(OutboundMail.id.in_(only))
    rows = list(session.scalars(query.order_by(OutboundMail.id).with_for_update(skip_locked=True)
                                .execution_options(populate_existing=True)))
    for row in rows:
        row.status, row.claimed_by, row.claimed_at = SENDING, holder, now
    session.flush()
    return rows, recovered


def recover(session, tenant_id: int, now: datetime) -> int:
    """Rows left ``sending`` by a run that stopped (claim older than LEASE) go back to ``queued``."""
    rows = session.scalars(select(OutboundMail).where(
        OutboundMail.tenant_id == tenant_id, OutboundMail.status == SENDING, OutboundMail.claimed_at < now - LEASE)
        .with_for_update(skip_locked=True).execution_options(populate_existing=True)).all()
    for row in rows:
        # claimed_by is kept: a run still alive that sent it meanwhile can still record it as sent.
        row.status = "queued"
        row.error = (f"{RECOVERED} {row.claimed_by} (no outcome since {row.claimed_at:%Y-%m-%d %H:%M} UTC): "
                     "it may have been sent already")[:2000]
    return len(rows)


def finish(session, row: OutboundMail, holder: str, **values) -> bool:
    """Write ``row``'s outcome if it is still this run's (claimed by ``holder`` and not sent by
    another run), and renew the claim on the batch's other rows; False when it was taken over."""
    now = utcnow()
    mine = (OutboundMail.id == row.id, OutboundMail.claimed_by == holder,
            OutboundMail.status.in_((SENDING, "queued")))
    done = session.execute(update(OutboundMail).where(*mine).values(attempts=OutboundMail.attempts + 1, **values)
                           .execution_options(synchronize_session="fetch")).rowcount == 1
    session.execute(update(OutboundMail).where(OutboundMail.claimed_by == holder, OutboundMail.status == SENDING,
                                               OutboundMail.id != row.id).values(claimed_at=now)
                    .execution_options(synchronize_session=False))
    return done


def release(session, rows: list[OutboundMail], holder: str) -> None:
    """Give this run's unfinished claims back (``queued``): the connection broke, nothing was sent."""
    ids = [row.id for row in rows]
    if ids:
        session.execute(update(OutboundMail).where(OutboundMail.id.in_(ids), OutboundMail.claimed_by == holder,
                                                   OutboundMail.status == SENDING).values(status="queued")
                        .execution_options(synchronize_session="fetch"))
