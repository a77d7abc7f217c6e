"""Data-protection hooks: export, erase and merge what the email plugin holds about a customer."""

from __future__ import annotations

from sqlalchemy import delete, select

from ccctl_email.models import EmailAttachment, EmailBlob, EmailMessage, OutboundMail, QuarantinedMail


def readable(raw: bytes) -> str:
    """A raw mail as text a person can be found in: as sent, then every header and part decoded
    (base64, quoted-printable, encoded words), however broken: quarantined mail is."""
    import email

    from ccctl_email.mime import decode_bytes, decode_header

    texts = [raw.decode("utf-8", "replace")]
    try:
        msg = email.message_from_bytes(raw)
        texts += [decode_header(v) for _n, v in msg.raw_items()]
        for part in msg.walk():
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                texts.append(decode_bytes(data, part.get_content_charset()))
    except Exception:  # noqa: BLE001 - what could be read is kept
        pass
    return "\n".join(texts)


def quarantined_from(customer, ctx) -> list[QuarantinedMail]:
    """Quarantined mail that carries the customer's e-mail address or phone number (names are
    left to the core sweep, which knows about namesakes: a name alone deletes nothing here)."""
    from ccctl.privacy import identifiers

    scrubber = identifiers(ctx.tenant, [customer], names=False)
    if not scrubber:
        return []
    rows = ctx.session.scalars(select(QuarantinedMail).where(QuarantinedMail.tenant_id == ctx.tenant.id)
                               .order_by(QuarantinedMail.id))
    return [q for q in rows if scrubber.holds(readable(q.raw))]


def export(customer, ctx) -> dict | None:
    session, tenant = ctx.session, ctx.tenant
    messages = list(session.scalars(select(EmailMessage).where(
        EmailMessage.tenant_id == tenant.id, EmailMessage.customer_id == customer.id).order_by(EmailMessage.id)))
    outbound = list(session.scalars(select(OutboundMail).where(
        OutboundMail.tenant_id == tenant.id, OutboundMail.customer_id == customer.id).order_by(OutboundMail.id)))
    quarantined = quarantined_from(customer, ctx)
    if not messages and not outbound and not quarantined:
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
        "quarantined": [{"id": q.id, "time": q.created_at.isoformat(), "source": q.source, "reason": q.reason,
                         "raw": q.raw.decode("utf-8", "replace")} for q in quarantined],
    }


def erase(customer, ctx) -> None:
    """Delete the customer's messages, attachments no one else uses, outgoing and quarantined mails."""
    session, tenant = ctx.session, ctx.tenant
    quarantined = [q.id for q in quarantined_from(customer, ctx)]
    if quarantined:
        session.execute(delete(QuarantinedMail).where(QuarantinedMail.tenant_id == tenant.id,
                                                      QuarantinedMail.id.in_(quarantined)))
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
