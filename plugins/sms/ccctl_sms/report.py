"""``ccctl sms status``: the outbox counted by state, delivery status and kind."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ccctl.db.models import Tenant
from ccctl_sms.models import SmsMessage


def status_report(session: Session, tenant: Tenant) -> list[dict[str, Any]]:
    rows = session.execute(
        select(SmsMessage.state, SmsMessage.delivery_status, SmsMessage.kind, func.count(SmsMessage.id),
               func.sum(SmsMessage.segments), func.min(SmsMessage.send_at), func.max(SmsMessage.send_at))
        .where(SmsMessage.tenant_id == tenant.id)
        .group_by(SmsMessage.state, SmsMessage.delivery_status, SmsMessage.kind)
        .order_by(SmsMessage.state, SmsMessage.delivery_status, SmsMessage.kind))
    return [{"state": state, "status": status, "kind": kind, "messages": count, "segments": int(segments or 0),
             "oldest": oldest, "newest": newest}
            for state, status, kind, count, segments, oldest, newest in rows]
