"""Billable SMS segments for ``ccctl report billing`` (the ``ccctl_report_usage`` hook).

Billable: messages the provider **accepted** (outbox state ``sent``) in the period, by
``sent_at``, counted in segments, as the provider charges them. Left out: messages never
accepted (``failed``, ``cancelled``, ``blocked``, still ``pending``) and those the provider
reported afterwards as ``failed`` or ``canceled`` (it never sent them, so it charges nothing;
``undelivered`` ones were sent and are charged). A period in which the outbox accepted
nothing reports no line at all, so the history fallback of the report still counts
messages that came from elsewhere (imported history).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ccctl.db.models import Tenant
from ccctl_sms.models import SENT, SmsMessage

# Provider statuses of a message it took but then did not send: not charged.
UNCHARGED_STATUSES = ("failed", "canceled")


def billable_segments(session: Session, tenant: Tenant, start: datetime, end: datetime) -> int | None:
    """Segments billable in ``[start, end)``; None when the outbox accepted no message then."""
    charged = SmsMessage.delivery_status.is_(None) | SmsMessage.delivery_status.not_in(UNCHARGED_STATUSES)
    accepted, segments = session.execute(
        select(func.count(SmsMessage.id), func.sum(case((charged, SmsMessage.segments), else_=0)))
        .where(SmsMessage.tenant_id == tenant.id, SmsMessage.state == SENT,
               SmsMessage.sent_at >= start, SmsMessage.sent_at < end)).one()
    return int(segments or 0) if accepted else None


def usage_lines(session: Session, tenant: Tenant, start: datetime, end: datetime) -> list[dict]:
    segments = billable_segments(session, tenant, start, end)
    if segments is None:
        return []
    return [{"unit": "sms_segment", "quantity": segments, "description": "SMS segments accepted by the provider"}]
