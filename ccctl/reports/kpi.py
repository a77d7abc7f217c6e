"""Contact-centre KPIs for one tenant, per day or hour (buckets in the tenant's time zone).

Definitions (also in docs/reports.md):

* volumes: work items created in the bucket, per channel and per queue;
* SLA attainment: of the bucket's items whose fate is known, the share closed at or
  before ``due_at`` (an open item past due counts as missed, one not yet due is left out);
* first response: minutes from creation to the first outbound interaction on the item
  or its claim by an agent, whichever came first; the median over the bucket's items.
  Machines do not respond: acknowledgements (``payload.kind`` ``ack``) and self-help
  answers are left out;
* backlog: items open at the bucket's end (created before, not closed by then), with
  the median and oldest age in hours;
* first-contact resolution: of the bucket's items closed as ``resolved`` with a known
  customer, the share after which that customer opened no other item within 7 days;
* call-back reach rate: of the bucket's closed ``callback`` items, the share with
  outcome ``reached``;
* deflection: self-help contacts ÷ (self-help contacts + work items), where self-help contacts
  are the ``selfhelp`` interactions plus the events plugins report through
  ``ccctl_list_self_service_events`` (FAQ views that never reached the history);
* plugins' own columns (``ccctl_kpi_columns``), e.g. the voice plugin's calls offered, answered,
  abandoned, ASA and service level, all queues together and per queue (``q_<queue>_calls_...``).
"""

from __future__ import annotations

import bisect
import heapq
import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ccctl.db.models import Interaction, Tenant, WorkItem, utcnow
from ccctl.reports.period import Period, bucket_label, bucket_start, buckets

RESOLVED = "resolved"
REACHED = "reached"
REPEAT_WINDOW = timedelta(days=7)
SELFHELP = "selfhelp"
AUTOMATIC_KINDS = ("ack", "auto-reply", "auto")
QUEUE_STEPS = "queue"  # the channel under which the queue records item steps (claimed, closed...)

# What a table shows by default: it fits 120 columns (`--wide` shows everything).
TABLE_COLUMNS = ["period", "items", "sla_pct", "first_response_median_min", "backlog", "fcr_pct", "deflection_pct"]
BASE_COLUMNS = [
    "period", "items", "sla_pct", "sla_met", "sla_missed", "first_response_median_min", "backlog",
    "backlog_median_age_h", "backlog_oldest_h", "fcr_pct", "callback_reach_pct", "selfhelp",
    "deflection_pct",
]


@dataclass
class ItemFacts:
    id: int
    channel: str
    queue: str
    customer_id: int | None
    created_at: datetime
    due_at: datetime | None
    claimed_at: datetime | None
    closed_at: datetime | None
    outcome: str | None
    first_out: datetime | None = None


def kpi_rows(session: Session, tenant: Tenant, period: Period, by: str = "day",
             now: datetime | None = None, ctx=None) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per bucket plus a ``total`` row; and the column order (volume columns last).

    With ``ctx``, the tenant's plugins add their self-service events (``ccctl_list_self_service_events``).
    """
    now = now or utcnow()
    backlog = _open_during(session, tenant, period)
    items = _with_first_responses(session, tenant, period,
                                  [i for i in backlog if i.created_at >= period.start])
    repeats = _later_items_by_customer(session, tenant, period, items)
    selfhelp = _selfhelp_times(session, tenant, period)
    if ctx is not None:
        selfhelp += self_service_events(ctx, period)
    # Buckets that have not begun have no figures: their backlog would be invented.
    starts = [start for start in buckets(period, by) if start <= now] or buckets(period, by)[:1]
    cohort: dict[datetime, list[ItemFacts]] = defaultdict(list)
    for item in items:
        cohort[bucket_start(item.created_at, period.zone, by)].append(item)
    helped: Counter[datetime] = Counter(bucket_start(t, period.zone, by) for t in selfhelp)
    channels = sorted({i.channel for i in items})
    queues = sorted({i.queue for i in items})
    ends = [min(end, now) for end in [*starts[1:], period.end]]
    rows = []
    for start, open_at_end in zip(starts, _backlog_series(backlog, ends)):
        row = {"period": bucket_label(start, by, period.zone)}
        row.update(_measures(cohort.get(start, []), helped[start], repeats, now))
        row.update(open_at_end)
        row.update(_volumes(cohort.get(start, []), channels, queues))
        rows.append(row)
    total = {"period": "total"}
    total.update(_measures(items, len(selfhelp), repeats, now))
    total.update(_backlog_series(backlog, [min(period.end, max(now, period.start))])[0])
    total.update(_volumes(items, channels, queues))
    rows.append(total)
    columns = BASE_COLUMNS + [f"ch_{c}" for c in channels] + [f"q_{q}" for q in queues]
    if ctx is not None:
        columns[len(BASE_COLUMNS):len(BASE_COLUMNS)] = plugin_columns(ctx, period, by, rows)
    return rows, columns


def plugin_columns(ctx, period: Period, by: str, rows: list[dict[str, Any]]) -> list[str]:
    """Add the columns the tenant's plugins report per period label (``total`` included); their names."""
    added: list[str] = []
    for answer in ctx.hook("ccctl_kpi_columns")(period=period, by=by, ctx=ctx):
        if not answer:
            continue
        names = [n for n in answer["columns"] if n not in added and n not in rows[0]]
        added += names
        for row in rows:
            values = answer["rows"].get(row["period"], {})
            row.update({n: values.get(n) for n in names})
    return added


def _measures(items: list[ItemFacts], selfhelp: int, repeats: dict[int, list[datetime]],
              now: datetime) -> dict[str, Any]:
    met = sum(1 for i in items if i.due_at and i.closed_at and i.closed_at <= i.due_at)
    missed = sum(1 for i in items if i.due_at and (
        (i.closed_at and i.closed_at > i.due_at) or (not i.closed_at and i.due_at < now)))
    waits = [(first - i.created_at).total_seconds() / 60 for i in items
             if (first := _first_response(i)) is not None]
    resolved = [i for i in items if i.closed_at and i.outcome == RESOLVED and i.customer_id is not None]
    first_time = [i for i in resolved if not any(
        i.closed_at < later <= i.closed_at + REPEAT_WINDOW for later in repeats.get(i.customer_id, ()))]
    callbacks = [i for i in items if i.channel == "callback" and i.closed_at]
    reached = [i for i in callbacks if i.outcome == REACHED]
    return {
        "items": len(items),
        "sla_met": met,
        "sla_missed": missed,
        "sla_pct": _pct(met, met + missed),
        "first_response_median_min": round(statistics.median(waits), 1) if waits else None,
        "fcr_pct": _pct(len(first_time), len(resolved)),
        "callback_reach_pct": _pct(len(reached), len(callbacks)),
        "selfhelp": selfhelp,
        "deflection_pct": _pct(selfhelp, selfhelp + len(items)),
    }


def _first_response(item: ItemFacts) -> datetime | None:
    moments = [m for m in (item.first_out, item.claimed_at) if m is not None and m >= item.created_at]
    return min(moments) if moments else None


def _backlog_series(items: list[ItemFacts], moments: list[datetime]) -> list[dict[str, Any]]:
    """Items open at each moment (ascending), in one pass: an item enters when created, leaves when closed."""
    spans = sorted((i.created_at.timestamp(), i.closed_at.timestamp() if i.closed_at else math.inf) for i in items)
    open_created: list[float] = []  # creation times of the items open now, sorted
    closing: list[tuple[float, float]] = []  # (closed, created), soonest first
    entered, out = 0, []
    for moment in moments:
        now = moment.timestamp()
        while entered < len(spans) and spans[entered][0] < now:
            bisect.insort(open_created, spans[entered][0])
            heapq.heappush(closing, (spans[entered][1], spans[entered][0]))
            entered += 1
        while closing and closing[0][0] <= now:
            _closed, created = heapq.heappop(closing)
            del open_created[bisect.bisect_left(open_created, created)]
        count = len(open_created)
        median = None
        if count:
            middle = count // 2
            created = open_created[middle] if count % 2 else (open_created[middle - 1] + open_created[middle]) / 2
            median = round((now - created) / 3600, 1)
        out.append({"backlog": count, "backlog_median_age_h": median,
                    "backlog_oldest_h": round((now - open_created[0]) / 3600, 1) if count else None})
    return out


def _volumes(items: list[ItemFacts], channels: list[str], queues: list[str]) -> dict[str, int]:
    by_channel = Counter(i.channel for i in items)
    by_queue = Counter(i.queue for i in items)
    return {**{f"ch_{c}": by_channel[c] for c in channels}, **{f"q_{q}": by_queue[q] for q in queues}}


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# ----------------------------------------------------------------------------- loading

_FACT_COLUMNS = (WorkItem.id, WorkItem.channel, WorkItem.queue, WorkItem.customer_id, WorkItem.created_at,
                 WorkItem.due_at, WorkItem.claimed_at, WorkItem.closed_at, WorkItem.outcome)


def _open_during(session: Session, tenant: Tenant, period: Period) -> list[ItemFacts]:
    """Items open at some moment of the period: the backlog's candidates, and the period's own items."""
    query = select(*_FACT_COLUMNS).where(
        WorkItem.tenant_id == tenant.id, WorkItem.created_at < period.end,
        or_(WorkItem.closed_at.is_(None), WorkItem.closed_at >= period.start)).order_by(WorkItem.created_at)
    return [ItemFacts(*row) for row in session.execute(query)]


def _with_first_responses(session: Session, tenant: Tenant, period: Period,
                          items: list[ItemFacts]) -> list[ItemFacts]:
    by_id = {item.id: item for item in items}
    # Replies, and the queue's "claimed" steps: a claim released since left no claimed_at behind.
    events = session.execute(select(Interaction.item_id, Interaction.occurred_at, Interaction.channel,
                                    Interaction.payload).where(
        Interaction.tenant_id == tenant.id, Interaction.item_id.is_not(None), Interaction.occurred_at >= period.start,
        or_(Interaction.direction == "out", Interaction.channel == QUEUE_STEPS)))
    for item_id, at, channel, payload in events:
        item = by_id.get(item_id)
        if item is None or at < item.created_at or not _responds(channel, payload or {}):
            continue
        if item.first_out is None or at < item.first_out:
            item.first_out = at
    return items


def _responds(channel: str, payload: dict[str, Any]) -> bool:
    """A claim or a person's reply; acknowledgements and self-help answers come from machines."""
    if channel == QUEUE_STEPS:
        return payload.get("step") == "claimed"
    return channel != SELFHELP and payload.get("kind") not in AUTOMATIC_KINDS


def _later_items_by_customer(session: Session, tenant: Tenant, period: Period,
                             items: list[ItemFacts]) -> dict[int, list[datetime]]:
    customers = {i.customer_id for i in items if i.customer_id is not None and i.outcome == RESOLVED}
    if not customers:
        return {}
    found: dict[int, list[datetime]] = defaultdict(list)
    rows = session.execute(select(WorkItem.customer_id, WorkItem.created_at).where(
        WorkItem.tenant_id == tenant.id, WorkItem.customer_id.in_(customers),
        and_(WorkItem.created_at >= period.start, WorkItem.created_at < period.end + REPEAT_WINDOW)))
    for customer_id, created_at in rows:
        found[customer_id].append(created_at)
    return found


def self_service_events(ctx, period: Period) -> list[datetime]:
    """Times reported by the tenant's plugins; a naive or out-of-period time is a plugin bug, said so."""
    from ccctl.errors import CcctlError
    from ccctl.plugins import call_hook

    moments = []
    results = call_hook(ctx, "ccctl_list_self_service_events", start=period.start, end=period.end)
    for _plugin, result in results:
        for moment in result or ():
            if not isinstance(moment, datetime) or moment.tzinfo is None:
                raise CcctlError(f"ccctl_list_self_service_events returned {moment!r}: want aware datetimes")
            if not period.start <= moment < period.end:
                raise CcctlError(f"ccctl_list_self_service_events returned {moment.isoformat()}, outside the period")
            moments.append(moment)
    return moments


def _selfhelp_times(session: Session, tenant: Tenant, period: Period) -> list[datetime]:
    return list(session.scalars(select(Interaction.occurred_at).where(
        Interaction.tenant_id == tenant.id, Interaction.channel == SELFHELP,
        Interaction.occurred_at >= period.start, Interaction.occurred_at < period.end)))
