"""An incoming SMS: a keyword (STOP/START) changes the opt-out list; anything else is work for an agent."""

from __future__ import annotations

import unicodedata

from ccctl.context import TenantContext

STOP_WORDS = {"STOP", "STOPALL", "STOP SMS", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ARRET", "DESINSCRIPTION"}
START_WORDS = {"START", "UNSTOP", "YES"}


def keyword(body: str) -> str | None:
    """'stop' when the whole message is an opt-out word (accents, case, punctuation ignored), 'start' for opt-in."""
    text = unicodedata.normalize("NFKD", body or "").encode("ascii", "ignore").decode().upper()
    text = " ".join("".join(c if c.isalnum() else " " for c in text).split())
    if text in STOP_WORDS:
        return "stop"
    if text in START_WORDS:
        return "start"
    return None


def receive(ctx: TenantContext, sender: str, body: str, sid: str, to: str = "") -> dict:
    """Handle one inbound message (idempotent on ``sid``); returns what was done."""
    from ccctl.contacts import normalize_phone
    from ccctl.customers import find_or_create, record_interaction
    from ccctl.errors import InputError
    from ccctl.queue.items import create_item
    from ccctl_sms.outbox import opt_in, opt_out

    session, tenant = ctx.session, ctx.tenant
    try:
        number, valid = normalize_phone(sender, tenant.default_region), True
    except InputError:
        # Short codes and alphanumeric senders are kept as given; an invalid "+..." number must
        # not reach find_or_create, which would refuse it again and fail the webhook for good.
        number, valid = sender.strip()[:64], False
    word = keyword(body)
    customer, _ = find_or_create(session, tenant, "phone", number) if valid else (None, False)
    customer_id = customer.id if customer is not None else None
    payload = {"from": number, "to": to, "sid": sid, "body": body}
    if word == "stop":
        changed = opt_out(session, tenant, number, "keyword", body.strip()[:50])
        record_interaction(session, tenant, "sms", customer_id=customer_id, direction="in", external_id=sid,
                           summary=f"{body.strip()}: opted out of SMS", payload=payload)
        return {"action": "opt-out", "changed": changed}
    if word == "start":
        changed = opt_in(session, tenant, number)
        record_interaction(session, tenant, "sms", customer_id=customer_id, direction="in", external_id=sid,
                           summary=f"{body.strip()}: opted back in to SMS", payload=payload)
        return {"action": "opt-in", "changed": changed}
    item, created = create_item(ctx, "sms", subject=f"SMS from {number}: {body.strip()[:80]}", body=body,
                                customer_id=customer_id, external_ref=sid, attributes={"from": number, "to": to})
    record_interaction(session, tenant, "sms", customer_id=customer_id, direction="in", external_id=sid,
                       summary=body.strip()[:500], payload=payload, item_id=item.id)
    return {"action": "item", "item": item.id, "created": created}
