"""Putting messages in the outbox (idempotently), opt-outs, and recording delivery statuses."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ccctl.contacts import normalize_phone
from ccctl.db.models import Tenant, utcnow
from ccctl.db.upsert import insert_many_or_skip, insert_or_skip
from ccctl.errors import InputError
from ccctl_sms.config import SmsConfig, sms_config
from ccctl_sms.models import BLOCKED, PENDING, SENDING, SENT, SmsMessage, SmsOptOut
from ccctl_sms.segments import count_segments
from ccctl_sms.templates import find_template, render

KINDS = ("transactional", "marketing")
# Provider statuses in the order a message goes through them; a late callback never goes back.
STATUS_RANK = {"accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 5,
               "partially_delivered": 5, "undelivered": 5, "failed": 5, "canceled": 5, "read": 6}
FINAL_STATUSES = ("delivered", "partially_delivered", "undelivered", "failed", "canceled", "read")
MAX_BODY = 1600  # characters: Twilio refuses a longer Body (error 21617)


def compose(tenant: Tenant, config: SmsConfig, *, template: str | None = None, body: str | None = None,
            data: dict[str, Any] | None = None, locale: str | None = None, kind: str = "transactional") -> tuple[str, str | None]:
    """(text, locale used) from a template and its data, or a literal body; marketing gets its STOP footer."""
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}, not '{kind}'")
    if not isinstance(data or {}, dict):
        raise InputError("data must be a JSON object")
    if (template is None) == (body is None):
        raise InputError("give a template or a body (one of them)")
    used = None
    if template is not None:
        used, text = find_template(config.templates, template, locale, tenant.config.get("locale") or "fr_FR")
        body = render(text, data or {}, what=f"template '{template}' ({used})")
    body = (body or "").strip()
    if not body:
        raise InputError("the message is empty")
    if kind == "marketing" and config.marketing_footer and "STOP" not in body.upper():
        body = f"{body}\n{config.marketing_footer}"
    if len(body) > MAX_BODY:
        raise InputError(f"the message is {len(body):,} characters; Twilio accepts at most {MAX_BODY:,} "
                         "(shorten the text or the template data)")
    return body, used


def default_key(to: str, body: str, send_at: datetime | None, kind: str) -> str:
    """A key for a row that brings none: the same message to the same number at the same time is one."""
    canon = json.dumps([to, body, send_at.isoformat() if send_at else None, kind], ensure_ascii=False)
    return "auto-" + hashlib.sha256(canon.encode()).hexdigest()[:40]


@dataclass
class Draft:
    """A message checked and rendered, ready to store."""

    number: str
    body: str
    key: str
    kind: str
    send_at: datetime
    template: str | None = None
    locale: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    customer_id: int | None = None


def prepare(tenant: Tenant, config: SmsConfig, to: str, *, template: str | None = None, body: str | None = None,
            data: dict[str, Any] | None = None, kind: str = "transactional", idempotency_key: str | None = None,
            send_at: datetime | None = None, locale: str | None = None, customer_id: int | None = None) -> Draft:
    """Check and render one message (no database): normalised number, text, key (default: derived)."""
    number = normalize_phone(str(to), tenant.default_region)
    text, used = compose(tenant, config, template=template, body=body, data=data, locale=locale, kind=kind)
    if send_at is not None and send_at.tzinfo is None:
        raise InputError(f"send_at '{send_at.isoformat()}' needs a time zone (e.g. +01:00 or Z)")
    key = str(idempotency_key) if idempotency_key else default_key(number, text, send_at, kind)
    if len(key) > 200:
        raise InputError("the idempotency key is longer than 200 characters")
    return Draft(number, text, key, kind, send_at or utcnow(), template, used, data or {}, customer_id)


def enqueue(session: Session, tenant: Tenant, to: str, *, config: SmsConfig | None = None,
            idempotency_key: str | None = None, **fields) -> tuple[SmsMessage, bool]:
    """Add one message to the outbox: (row, created). The same key returns the existing row;
    without a key every call is a new message."""
    draft = prepare(tenant, config or sms_config(tenant), to, idempotency_key=idempotency_key or str(uuid.uuid4()),
                    **fields)
    return store(session, tenant, [draft])[0]


def store(session: Session, tenant: Tenant, drafts: list[Draft]) -> list[tuple[SmsMessage, bool]]:
    """Store drafts in bulk: (row, created) each; known keys (in the table, earlier in ``drafts``, or
    stored by another process between our look-up and our INSERT) are not added."""
    from ccctl.db.models import ContactPoint

    numbers = list({d.number for d in drafts})
    existing: dict[str, SmsMessage] = {}
    owners: dict[str, int] = {}
    opted: set[str] = set()
    for chunk in _chunks(list({d.key for d in drafts})):
        existing.update(_by_keys(session, tenant, chunk))
    for chunk in _chunks(numbers):
        owners.update(session.execute(select(ContactPoint.value, ContactPoint.customer_id).where(
            ContactPoint.tenant_id == tenant.id, ContactPoint.kind == "phone", ContactPoint.value.in_(chunk))).all())
        opted.update(session.scalars(select(SmsOptOut.number).where(
            SmsOptOut.tenant_id == tenant.id, SmsOptOut.number.in_(chunk))))
    new: dict[str, dict[str, Any]] = {}
    for draft in drafts:
        if draft.key in existing or draft.key in new:
            continue
        seg = count_segments(draft.body)
        new[draft.key] = dict(tenant_id=tenant.id, customer_id=draft.customer_id or owners.get(draft.number),
                              idempotency_key=draft.key, to_number=draft.number, kind=draft.kind,
                              template=draft.template, locale=draft.locale, data=draft.data, body=draft.body,
                              encoding=seg.encoding, segments=seg.segments, send_at=draft.send_at,
                              next_attempt_at=draft.send_at, state=PENDING, attempts=0, error=None)
        if draft.number in opted:
            new[draft.key].update(state=BLOCKED, error="the number opted out (STOP)")
    made = {row.idempotency_key: row for row in insert_many_or_skip(
        session, SmsMessage, list(new.values()), conflict=("tenant_id", "idempotency_key"))}
    raced = [key for key in new if key not in made]  # another process stored these keys meanwhile
    for chunk in _chunks(raced):
        existing.update(_by_keys(session, tenant, chunk))
    results: list[tuple[SmsMessage, bool]] = []
    for draft in drafts:
        row = made.pop(draft.key, None)   # created: the first draft with the key; later ones find it
        if row is not None:
            existing[draft.key] = row
            results.append((row, True))
        elif draft.key in existing:
            results.append((existing[draft.key], False))
        else:
            raise RuntimeError(f"SMS key {draft.key!r} of {tenant.slug} was neither stored nor found")
    return results


def _chunks(values: list, size: int = 500):
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _by_keys(session: Session, tenant: Tenant, keys: list[str]) -> dict[str, SmsMessage]:
    return {row.idempotency_key: row for row in session.scalars(select(SmsMessage).where(
        SmsMessage.tenant_id == tenant.id, SmsMessage.idempotency_key.in_(keys)))}


def get_message(session: Session, tenant: Tenant, message_id: int) -> SmsMessage:
    from ccctl.errors import CcctlError

    row = session.scalar(select(SmsMessage).where(SmsMessage.id == message_id, SmsMessage.tenant_id == tenant.id))
    if row is None:
        raise CcctlError(f"no SMS {message_id} for tenant {tenant.slug}")
    return row


# -- opt-outs ----------------------------------------------------------------------------------
def opt_out(session: Session, tenant: Tenant, number: str, source: str, detail: str = "") -> bool:
    """Block ``number`` for this tenant and its pending messages; True when it was not yet blocked."""
    from sqlalchemy import update

    added = insert_or_skip(session, SmsOptOut, dict(tenant_id=tenant.id, number=number, source=source,
                                                    detail=detail[:200]),
                           conflict=("tenant_id", "number"), returning=SmsOptOut.id)
    if added is None:  # blocked already (maybe a moment ago, by a concurrent STOP)
        return False
    session.execute(update(SmsMessage).where(
        SmsMessage.tenant_id == tenant.id, SmsMessage.to_number == number, SmsMessage.state == PENDING,
    ).values(state=BLOCKED, error=f"the number opted out ({source})"))
    return True


def opt_in(session: Session, tenant: Tenant, number: str) -> bool:
    """START: allow ``number`` again (messages blocked meanwhile stay blocked); True if it was blocked."""
    return session.execute(delete(SmsOptOut).where(SmsOptOut.tenant_id == tenant.id,
                                                   SmsOptOut.number == number)).rowcount > 0


# -- delivery statuses -------------------------------------------------------------------------
def record_status(session: Session, tenant: Tenant, sid: str, status: str, error_code: int | None = None,
                  error: str | None = None, outbox_id: int | None = None, attempt_id: str | None = None,
                  ctx=None) -> SmsMessage | None:
    """Apply a provider status (webhook or poll). A callback that beats our own bookkeeping, for a row
    still ``sending`` under the same attempt, is proof the message was accepted: it becomes ``sent``."""
    row = session.scalar(select(SmsMessage).where(SmsMessage.tenant_id == tenant.id, SmsMessage.provider_sid == sid))
    if row is None and outbox_id is not None and attempt_id:
        row = session.scalar(select(SmsMessage).where(
            SmsMessage.tenant_id == tenant.id, SmsMessage.id == outbox_id, SmsMessage.attempt_id == attempt_id,
            SmsMessage.state == SENDING).with_for_update())
        if row is not None:
            row.state, row.provider_sid, row.sent_at, row.reconcile_since = SENT, sid, utcnow(), None
    if row is None:
        return None
    old = STATUS_RANK.get(row.delivery_status or "", -1)
    if STATUS_RANK.get(status, -1) > old or row.delivery_status is None:
        row.delivery_status, row.status_at = status, utcnow()
        if error_code:
            row.error_code, row.error = error_code, error or f"provider error {error_code}"
        if ctx is not None and status in ("delivered", "undelivered", "failed"):  # ``ccctl_channel_event``
            ctx.hook("ccctl_channel_event")(name="sms.delivered" if status == "delivered" else "sms.failed", ctx=ctx,
                                            data={"sms": row.id, "customer": row.customer_id, "status": status,
                                                  "error_code": row.error_code, "template": row.template})
    if error_code == 21610:
        opt_out(session, tenant, row.to_number, "provider", "Twilio 21610")
    return row


def message_row(row: SmsMessage) -> dict[str, Any]:
    return {"id": row.id, "to": row.to_number, "kind": row.kind, "template": row.template, "state": row.state,
            "status": row.delivery_status, "segments": row.segments, "encoding": row.encoding,
            "send_at": row.send_at, "attempts": row.attempts, "sid": row.provider_sid, "error": row.error,
            "key": row.idempotency_key, "body": row.body}
