"""An agent's reply to an item, threaded into the customer's conversation."""

from __future__ import annotations

from sqlalchemy import select

from ccctl.errors import CcctlError, InputError
from ccctl_email.config import EmailConfig
from ccctl_email.models import EmailMessage, OutboundMail


def recipient(ctx, item) -> str:
    """The address the customer last wrote from on this item, else the customer's first email."""
    from ccctl.customers import get_customer

    last = ctx.session.scalar(select(EmailMessage.from_addr).where(
        EmailMessage.tenant_id == ctx.tenant.id, EmailMessage.item_id == item.id, EmailMessage.direction == "in")
        .order_by(EmailMessage.id.desc()).limit(1))
    if last:
        return last
    if item.customer_id is not None:
        customer = get_customer(ctx.session, ctx.tenant, item.customer_id)
        emails = [c.value for c in customer.contacts if c.kind == "email"]
        if emails:
            return emails[0]
    raise CcctlError(f"item {item.id}: no email address to reply to (give --to)")


def canned_body(ctx, config: EmailConfig, name: str, item) -> str:
    from ccctl.customers import get_customer
    from ccctl_email.ack import template_data
    from ccctl_email.templating import render

    if name not in config.canned:
        known = ", ".join(sorted(config.canned)) or "none: add some under plugins.email.canned"
        raise InputError(f"no canned reply '{name}' for tenant {ctx.tenant.slug} (known: {known})")
    customer = get_customer(ctx.session, ctx.tenant, item.customer_id) if item.customer_id else None
    return render(config.canned[name].body, template_data(ctx, item, customer), f"canned reply '{name}'")


def queue_reply(ctx, config: EmailConfig, item, body: str, to: str | None = None) -> OutboundMail:
    from ccctl_email.outbound import queue_mail, tagged_subject, thread_headers

    if config.smtp is None:
        raise CcctlError(f"tenant {ctx.tenant.slug}: no 'smtp' section under plugins.email to send from")
    if not body.strip():
        raise InputError("the reply is empty: nothing sent")
    in_reply_to, references = thread_headers(ctx.session, ctx.tenant, item)
    row = queue_mail(ctx, config, kind="reply", item=item, to=to or recipient(ctx, item),
                     subject=tagged_subject(item.subject, item, prefix="Re: "), body=body,
                     in_reply_to=in_reply_to, references=references)
    ctx.hook("ccctl_item_answered")(item=item, channel="email", ctx=ctx)
    return row
