"""What a new item means to fulfilment: contact (drop pending follow-ups) and maybe a request to fulfil."""

from __future__ import annotations

import click

from ccctl.errors import DomainError

from ccctl.context import TenantContext
from ccctl.db.models import WorkItem


def on_new_item(ctx: TenantContext, item: WorkItem) -> None:
    from ccctl_fulfil.config import fulfil_config
    from ccctl_fulfil.follow_up import cancel_on_contact
    from ccctl_fulfil.fulfil import matching_document

    config = fulfil_config(ctx.tenant)
    cancel_on_contact(ctx, config, item)
    attributes = item.attributes or {}
    asked = attributes.get("brochure") or attributes.get("event_type") == "info_request" \
        or (config.queue is not None and item.queue == config.queue)
    name = matching_document(config, item) if asked else None
    if name is None:
        return
    _fulfil_or_note(ctx, item, name)


def _fulfil_or_note(ctx: TenantContext, item: WorkItem, name: str) -> None:
    """Fulfil and close the request; on failure leave it open for an agent, the reason in its history
    (the request that brought the item, a web form or a site event, must not fail for it)."""
    from ccctl.customers import record_interaction
    from ccctl.queue.closing import close_item
    from ccctl_fulfil.fulfil import fulfil

    try:
        with ctx.session.begin_nested():
            row = fulfil(ctx, item, name)
    except (DomainError, click.ClickException) as exc:  # a missing file, no address, an unknown name: for a person to look at
        record_interaction(ctx.session, ctx.tenant, "fulfil", customer_id=item.customer_id, direction="internal",
                           item_id=item.id, summary=f"Brochure '{name}' not sent: {exc.format_message()}"[:500],
                           external_id=f"failed:{item.id}:{name}")
        return
    close_item(ctx, item.id, outcome="info-sent", note=f"brochure {row.document} by {row.method}")
