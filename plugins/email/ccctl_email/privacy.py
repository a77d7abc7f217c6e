"""Data-protection hooks: export, erase and merge what the email plugin holds about a customer."""

from __future__ import annotations

from sqlalchemy import delete, select

from ccctl_email.models import EmailAttachment, EmailBlob, EmailMessage, OutboundMail


def export(customer, ctx) -> dict | None:
    session, tenant = ctx.session, ctx.tenant
    messages = list(session.scalars(select(EmailMessage).where(
        EmailMessage.tenant_id == tenant.id, EmailMessage.customer_id == customer.id).order_by(EmailMessage.id)))
    outbound = list(session.scalars(select(OutboundMail).where(
        OutboundMail.tenant_id == tenant.id, OutboundMail.customer_id == customer.id).order_by(OutboundMail.id)))
    if not messages and not outbound:
        return None
    attachments = {}
    if messages:
        for att in session.scalars(select(EmailAttachment).where(
                EmailAttachment.tenant_id == tenant.id,
                EmailAttachment.message_row_id.in_([m.id for m in messages]))):
            attachments.setdefault(att.message_row_id, []).append(
                {"filename": att.filename, "content_type": att.content_type, "size": att.size, "sha256": att.sha256})
    return {
        "messages": [{"message_id": m.message_id, "direction": m.direction, "item": m.item_id, "from": m.from_addr,
                      "subject": m.subject, "time": m.created_at.isoformat(),
                      "attachments": attachments.get(m.id, [])} for m in messages],
        "outbound": [{"kind": o.kind, "item": o.item_id, "to": o.to_addr, "subject": o.subject, "status": o.status,
                      "time": o.created_at.isoformat(), "body": o.raw.decode("utf-8", "replace")} for o in outbound],
    }


def erase(customer, ctx) -> None:
    """Delete the customer's messages, attachments no one else uses, and outgoing mails."""
    session, tenant = ctx.session, ctx.tenant
    row_ids = select(EmailMessage.id).where(EmailMessage.tenant_id == tenant.id,
                                            EmailMessage.customer_id == customer.id)
    digests = set(session.scalars(select(EmailAttachment.sha256).where(
        EmailAttachment.tenant_id == tenant.id, EmailAttachment.message_row_id.in_(row_ids))))
    session.execute(delete(EmailAttachment).where(EmailAttachment.tenant_id == tenant.id,
                                                  EmailAttachment.message_row_id.in_(row_ids)))
    session.execute(delete(EmailMessage).where(EmailMessage.tenant_id == tenant.id,
                                               EmailMessage.customer_id == customer.id))
    session.execute(delete(OutboundMail).where(OutboundMail.tenant_id == tenant.id,
                                               OutboundMail.customer_id == customer.id))
    if digests:
        still_used = set(session.scalars(select(EmailAttachment.sha256).where(
            EmailAttachment.tenant_id == tenant.id, EmailAttachment.sha256.in_(digests))))
        session.execute(delete(EmailBlob).where(EmailBlob.tenant_id == tenant.id,
                                                EmailBlob.sha256.in_(digests - still_used)))
    session.flush()


def merged(source, target, ctx) -> dict[str, list[int]]:
    from ccctl.identity.merging import move_rows

    return move_rows(ctx.session, ctx.tenant, (EmailMessage, OutboundMail), source.id, target.id)


def unmerged(source, target, moved, ctx) -> None:
    from ccctl.identity.merging import move_rows_back

    move_rows_back(ctx.session, (EmailMessage, OutboundMail), moved, source.id, target.id)
