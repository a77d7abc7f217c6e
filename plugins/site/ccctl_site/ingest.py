"""Storing site events: each matches or creates its customer, lands in the history (once per event id)
and, for the types the tenant names, creates a queue item that the routing rules place."""

from __future__ import annotations

import logging
from typing import Any

from ccctl.context import TenantContext
from ccctl.identity.match import MatchResult
from ccctl_site.config import SiteConfig
from ccctl_site.schema import SiteEvent

log = logging.getLogger("ccctl.site")
CHANNEL = "site"
SUBJECTS = {"pre_reservation": "Pre-reservation", "order": "Order", "quote": "Quote request",
            "page_view": "Page viewed", "info_request": "Information request"}


def match_customers(ctx: TenantContext, events: list[SiteEvent]) -> list[MatchResult]:
    """Who each event is about (aligned with ``events``), by the tenant's matching rules, as an import
    decides (``ccctl.identity``): an external key wins, then email, then phone; a shared phone alone
    never joins two people whose names differ. The whole batch costs a few statements.

    A conflict never changes a stored customer: the event goes to a new customer, and the caller
    records why (see :func:`conflict_event`).
    """
    from ccctl.identity.match import match_or_create_many

    return match_or_create_many(ctx.session, ctx.tenant, [event.customer.identity_fields() for event in events],
                                on_conflict="new", where="site events", actor=ctx.actor)


def conflict_event(event: SiteEvent, match: MatchResult) -> dict[str, Any]:
    """The history event telling, on the new customer, why the site event was not given to a stored one."""
    apart = ", ".join(str(other) for other in match.others) or "another customer"
    return dict(channel="system", customer_id=match.customer_id, direction="internal",
                summary=f"Identity conflict on site event {event.id}: kept apart from customer {apart} "
                        f"({'; '.join(match.why)})"[:500],
                payload={"site_event": event.id, "kept_apart_from": match.others, "why": match.why},
                occurred_at=event.occurred_at)


def store_events(ctx: TenantContext, jobs: list[tuple[SiteEvent, list[tuple[str, str]], SiteConfig]],
                 ) -> list[dict[str, Any]]:
    """Store each (event, contact points, tenant settings): a result dict per job, in order.

    An event id already stored is not stored again: its result says ``duplicate`` and names what the
    first delivery made, so a client retrying after a timeout gets the same answer. A batch costs a
    few statements whatever its size: the bulk helpers store customers, history events and items.
    """
    from sqlalchemy import select

    from ccctl.db.models import Interaction
    from ccctl.queue.items import create_items

    session, tenant = ctx.session, ctx.tenant
    refs = [f"event:{event.id}" for event, _points, _config in jobs]
    known = {ref: (customer, item) for ref, customer, item in session.execute(
        select(Interaction.external_id, Interaction.customer_id, Interaction.item_id).where(
            Interaction.tenant_id == tenant.id, Interaction.channel == CHANNEL, Interaction.external_id.in_(refs)))}
    first: dict[str, int] = {}  # ref → index of its first job in this batch (a repeat is a duplicate)
    fresh = [n for n, ref in enumerate(refs) if ref not in known and first.setdefault(ref, n) == n]
    matches = dict(zip(fresh, match_customers(ctx, [jobs[n][0] for n in fresh])))
    conflicts = [n for n in fresh if matches[n].action == "conflict"]
    for n in conflicts:  # no personal data in the log: ids only, the reasons are in the history
        log.warning("tenant %s: site event %s: identity conflict, stored on new customer %s, kept apart from %s "
                    "(its history says why; `ccctl customer duplicates` lists the pair)", tenant.slug,
                    jobs[n][0].id, matches[n].customer_id, matches[n].others)
    customers = {n: match.customer_id for n, match in matches.items()}
    events = {n: dict(channel=CHANNEL, customer_id=customers[n], direction="in", summary=summary(jobs[n][0]),
                      payload={"event_id": jobs[n][0].id, "type": jobs[n][0].type, "data": jobs[n][0].attributes()},
                      external_id=refs[n], occurred_at=jobs[n][0].occurred_at) for n in fresh}
    with_item = [n for n in fresh if jobs[n][0].type in jobs[n][2].create_items]
    plain = set(fresh) - set(with_item)
    made = create_items(ctx, [
        dict(channel=CHANNEL, subject=f"{SUBJECTS[jobs[n][0].type]}: {summary(jobs[n][0], 150)}",
             body=jobs[n][0].data.message or "", customer_id=customers[n], attributes=jobs[n][0].attributes(),
             external_ref=refs[n]) for n in with_item],
        history=lambda k, item: [{**events[with_item[k]], "item_id": item.id}],
        # The events without an item go in the same INSERT; ``known`` above was looked up in this
        # transaction (an item's ref is its event's), so the lookups need not be made again.
        events=[*(events[n] for n in fresh if n in plain), *(conflict_event(jobs[n][0], matches[n]) for n in conflicts)],
        fresh=True)
    items = {n: item.id for n, (item, _created) in zip(with_item, made)}  # ORM rows: the hooks need them anyway
    out = []
    for n, ref in enumerate(refs):
        if n in customers:
            out.append({"id": jobs[n][0].id, "duplicate": False, "customer": customers[n], "item": items.get(n)})
            if n in conflicts:
                out[-1]["conflict"] = {"kept_apart_from": matches[n].others}
        else:  # stored before, or earlier in this batch
            customer, item = known.get(ref) or (customers[first[ref]], items.get(first[ref]))
            out.append({"id": jobs[n][0].id, "duplicate": True, "customer": customer, "item": item})
    return out


def summary(event: SiteEvent, width: int = 200) -> str:
    """One line for the timeline: what, which product, how much."""
    data = event.data
    parts = [data.product or data.title or data.reference or data.url or ""]
    if data.amount is not None:
        parts.append(f"{data.amount:g} {data.currency or ''}".strip())
    if data.destination:
        parts.append(data.destination)
    text = ", ".join(p for p in parts if p)
    return f"{event.type}: {text}"[:width] if text else event.type
