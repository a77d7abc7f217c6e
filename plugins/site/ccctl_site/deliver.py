"""Delivering the webhook outbox: claim due rows (short transaction), POST each one outside any
transaction with a timeout, then record the results (short transaction).

At least once: a row is ``delivered`` only after a 2xx; a deliverer killed mid-way leaves rows
``sending`` that the next run takes again once ``STALE`` old, with the same event id (receivers
dedupe on ``X-Ccctl-Event-Id``). 5xx, 408, 429, time-outs and refused connections are retried
with doubling back-off; other 4xx fail the row at once (``ccctl webhooks retry`` sends it again).
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from ccctl.context import App
from ccctl.db.models import Tenant, utcnow
from ccctl_site.models import DELIVERED, FAILED, PENDING, SENDING, WebhookAttempt, WebhookEvent

STALE = timedelta(minutes=5)
FIRST_BACKOFF, MAX_BACKOFF = 30.0, 6 * 3600.0
MAX_ATTEMPTS = 15  # about four days of doubling back-off before a row is failed for good
CHUNK = 50
RETRYABLE_4XX = (408, 425, 429)


@dataclass
class Outcome:
    row_id: int
    status: int | None
    error: str | None
    ms: int


@dataclass
class Report:
    tenant: str
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def row(self) -> dict:
        return {"tenant": self.tenant, "delivered": self.delivered, "retrying": self.retrying,
                "failed": self.failed}


def deliver_tenant(app: App, tenant: Tenant, limit: int = 10_000) -> Report:
    """Deliver ``tenant``'s due events (at most ``limit``); what happened to them."""
    from ccctl.config.secrets import resolve_secret
    from ccctl_site.config import site_config

    report = Report(tenant.slug)
    hooks = {h.name: h for h in site_config(tenant).webhooks}
    keys = {name: resolve_secret(h.secret, f"plugins.site.webhooks[{name}].secret") for name, h in hooks.items()}
    started = utcnow()  # what falls due after this (a retry scheduled by this run) waits for the next run
    while limit > 0:
        rows = claim(app, tenant, min(CHUNK, limit), started)
        if not rows:
            break
        limit -= len(rows)
        outcomes = [post(row, hooks.get(row.webhook), keys.get(row.webhook)) for row in rows]
        record(app, tenant, outcomes, report, {name: h.retry_backoff for name, h in hooks.items()})
    return report


def claim(app: App, tenant: Tenant, size: int, due: datetime) -> list[WebhookEvent]:
    """Mark up to ``size`` rows due at ``due`` ``sending`` and return them (detached), oldest first."""
    now = utcnow()
    with app.transaction(sqlite_begin="IMMEDIATE") as session:
        query = (select(WebhookEvent)
                 .where(WebhookEvent.tenant_id == tenant.id,
                        or_((WebhookEvent.state == PENDING) & (WebhookEvent.next_attempt_at <= due),
                            (WebhookEvent.state == SENDING) & (WebhookEvent.claimed_at < now - STALE)))
                 .order_by(WebhookEvent.id).limit(size))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)  # two deliverers never take the same row
        rows = list(session.scalars(query))
        for row in rows:
            row.state, row.claimed_at = SENDING, now
    return rows


def post(row: WebhookEvent, hook, key: str | None) -> Outcome:
    """One HTTP attempt (no database work here: this may wait ``hook.timeout`` seconds)."""
    from ccctl_site.signing import HEADER, sign

    if hook is None:
        return Outcome(row.id, None, f"webhook '{row.webhook}' is no longer configured", 0)
    body = json.dumps(row.payload, separators=(",", ":"), sort_keys=True).encode()
    request = urllib.request.Request(hook.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "ccctl-webhooks/1",
        HEADER: sign(key or "", body), "X-Ccctl-Event-Id": row.event_id, "X-Ccctl-Event-Type": row.event_type})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=hook.timeout) as response:
            status, error = response.status, None
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        status, error = None, f"{type(reason).__name__}: {reason}"[:300]
    return Outcome(row.id, status, error, int((time.monotonic() - started) * 1000))


def record(app: App, tenant: Tenant, outcomes: list[Outcome], report: Report, backoff: dict[str, float]) -> None:
    now = utcnow()
    with app.transaction(sqlite_begin="IMMEDIATE") as session:
        rows = {r.id: r for r in session.scalars(select(WebhookEvent).where(
            WebhookEvent.id.in_([o.row_id for o in outcomes]), WebhookEvent.tenant_id == tenant.id))}
        for outcome in outcomes:
            row = rows[outcome.row_id]
            session.add(WebhookAttempt(tenant_id=tenant.id, outbox_id=row.id, attempted_at=now,
                                       status=outcome.status, error=outcome.error, duration_ms=outcome.ms))
            row.attempts += 1
            row.last_status, row.last_error, row.claimed_at = outcome.status, outcome.error, None
            if outcome.status is not None and 200 <= outcome.status < 300:
                row.state, row.delivered_at = DELIVERED, now
                report.delivered += 1
            elif _retryable(outcome) and row.attempts < MAX_ATTEMPTS:
                row.state = PENDING
                first = backoff.get(row.webhook, FIRST_BACKOFF)
                row.next_attempt_at = now + timedelta(seconds=min(first * 2 ** (row.attempts - 1), MAX_BACKOFF))
                report.retrying += 1
                report.errors.append(f"event {row.event_id} to {row.webhook} (retried later): {outcome.error}")
            else:
                row.state = FAILED
                report.failed += 1
                report.errors.append(f"event {row.event_id} to {row.webhook}: {outcome.error}")


def _retryable(outcome: Outcome) -> bool:
    if outcome.status is None:
        return not (outcome.error or "").startswith("webhook '")  # network trouble, not a removed URL
    return outcome.status >= 500 or outcome.status in RETRYABLE_4XX
