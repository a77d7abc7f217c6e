"""A caller waiting on the phone asks to be called back (hook ``ccctl_request_callback``).

The voice plugin asks through the hook, never by import. The request is "call me now" and its
queue item is due when the call entered the queue, so the caller keeps their place; when the
call-back service is closed now (or ``due_at`` is None: out of hours), the first open slot.
"""

from __future__ import annotations

from datetime import datetime

from ccctl.context import TenantContext
from ccctl.errors import DomainError


def request_from_call(ctx: TenantContext, phone: str, name: str, due_at: datetime | None, reason: str,
                      context: dict, idempotency_key: str) -> int | None:
    """The call-back's work item id, or None when the tenant takes no call-back now."""
    from ccctl.db.models import utcnow
    from ccctl.queue.history import record_step
    from ccctl.queue.work import lock_item
    from ccctl_callback.config import callback_config
    from ccctl_callback.requests import RequestInput, create_request
    from ccctl_callback.slots import open_slots

    cfg = callback_config(ctx.tenant)
    if not cfg.enabled:
        return None
    now = utcnow()
    data = RequestInput(phone=phone, name=name, reason=reason, context=context, source="voice", ref=idempotency_key)
    try:
        with ctx.session.begin_nested():
            if due_at is None:
                raise LookupError("out of hours: book a slot")
            request, _ = create_request(ctx, data, now)
    except (DomainError, LookupError):  # closed now (or a bad number): the first open slot instead
        slots = open_slots(ctx.session, ctx.tenant, cfg, now, limit=1)
        if not slots:
            return None
        data.slot, due_at = slots[0].start, None
        try:
            with ctx.session.begin_nested():
                request, _ = create_request(ctx, data, now)
        except DomainError:
            return None
    if due_at is not None:
        item = lock_item(ctx, request.item_id)
        if item.due_at is None or due_at < item.due_at:
            item.due_at = due_at
            record_step(ctx.session, ctx.tenant, item, "kept-place",
                        f"due {due_at:%H:%M:%S} UTC: the caller's place in the phone queue", once_key="kept-place")
    return request.item_id
