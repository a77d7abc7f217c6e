"""Call figures: per queue and day/hour, offered, answered, abandoned, ASA, service level; billed minutes.

Definitions (docs/voice.md): a call is *offered* to a queue when it had a work item there
(queued, or put straight through to the case owner); voicemails are not offered. *ASA*
(average speed of answer) is the mean wait of answered calls; *service level* is the share of
offered calls answered within the threshold (80/20: 80 % within 20 s). Buckets are the
tenant's local days or hours of the call's start.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccctl.db.models import Tenant
from ccctl.reports.period import Period, bucket_label, bucket_start
from ccctl_voice.models import VoiceCall

COLUMNS = ["period", "queue", "offered", "answered", "abandoned", "callback", "asa_s", "service_level_pct",
           "avg_abandon_wait_s", "talk_minutes"]


KPI_COLUMNS = {"offered": "calls_offered", "answered": "calls_answered", "abandoned": "calls_abandoned",
               "asa_s": "calls_asa_s", "service_level_pct": "calls_sl_pct"}


def kpi_columns(session: Session, tenant: Tenant, period: Period, by: str, threshold: int = 20) -> dict | None:
    """The call columns of ``report kpi`` per period and in total: every queue together
    (``calls_offered``...), then each queue's (``q_<queue>_calls_offered``...)."""
    calls = _offered(session, tenant, period)
    if not calls:
        return None
    groups: dict[tuple[str, str | None], list] = defaultdict(list)  # (period label, queue or None: all)
    for call in calls:
        label = bucket_label(bucket_start(call.started_at, period.zone, by), by, period.zone)
        for key in ((label, None), (label, call.queue), ("total", None), ("total", call.queue)):
            groups[key].append(call)
    rows: dict[str, dict] = defaultdict(dict)
    for (label, queue), group in groups.items():
        prefix = f"q_{queue}_" if queue is not None else ""
        rows[label].update({prefix + KPI_COLUMNS[k]: v for k, v in _row("", "", group, threshold).items()
                            if k in KPI_COLUMNS})
    queues = sorted({call.queue for call in calls})
    return {"columns": [*KPI_COLUMNS.values(), *(f"q_{q}_{name}" for q in queues for name in KPI_COLUMNS.values())],
            "rows": dict(rows)}


def _offered(session: Session, tenant: Tenant, period: Period) -> list:
    return session.execute(select(
        VoiceCall.started_at, VoiceCall.queue, VoiceCall.outcome, VoiceCall.wait_seconds, VoiceCall.talk_seconds)
        .where(VoiceCall.tenant_id == tenant.id, VoiceCall.started_at >= period.start,
               VoiceCall.started_at < period.end, VoiceCall.queue.is_not(None),
               VoiceCall.outcome.is_distinct_from("voicemail"))).all()


def call_rows(session: Session, tenant: Tenant, period: Period, by: str, threshold: int) -> list[dict]:
    calls = _offered(session, tenant, period)
    groups: dict[tuple[datetime, str], list] = defaultdict(list)
    for call in calls:
        groups[bucket_start(call.started_at, period.zone, by), call.queue].append(call)
    rows = [_row(bucket_label(start, by, period.zone), queue, group, threshold)
            for (start, queue), group in sorted(groups.items())]
    if calls:
        rows.append(_row("total", "*", calls, threshold))
    return rows


def _row(label: str, queue: str, calls: list, threshold: int) -> dict:
    answered = [c for c in calls if c.outcome == "answered"]
    abandoned = [c for c in calls if c.outcome == "abandoned"]
    waits = [c.wait_seconds or 0 for c in answered]
    quick = sum(1 for w in waits if w <= threshold)
    return {
        "period": label, "queue": queue, "offered": len(calls), "answered": len(answered),
        "abandoned": len(abandoned), "callback": sum(1 for c in calls if c.outcome == "callback"),
        "asa_s": round(sum(waits) / len(waits), 1) if waits else None,
        "service_level_pct": round(100 * quick / len(calls), 1),
        "avg_abandon_wait_s": round(sum(c.wait_seconds or 0 for c in abandoned) / len(abandoned), 1)
        if abandoned else None,
        "talk_minutes": round(sum(c.talk_seconds or 0 for c in answered) / 60, 1),
    }


def usage_lines(session: Session, tenant: Tenant, start: datetime, end: datetime) -> list[dict]:
    """Inbound call minutes (unit ``voice_minute``, priced in ``billing.extra``), per started minute of
    Twilio's call duration, for calls that ended in ``[start, end)``."""
    durations = session.scalars(select(VoiceCall.duration_seconds).where(
        VoiceCall.tenant_id == tenant.id, VoiceCall.ended_at >= start, VoiceCall.ended_at < end,
        VoiceCall.duration_seconds > 0)).all()
    if not durations:
        return []
    minutes = sum(math.ceil(d / 60) for d in durations)
    return [{"unit": "voice_minute", "quantity": minutes,
             "description": f"{len(durations)} inbound call(s), {minutes} started minute(s)"}]

