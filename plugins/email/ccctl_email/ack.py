"""Automatic mail (acknowledgements, FAQ answers): whom never to answer (RFC 3834 and common sense),
how often, in which words."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ccctl.db.models import utcnow
from ccctl_email.config import EmailConfig, MailTemplate
from ccctl_email.mime import ParsedMail
from ccctl_email.models import OutboundMail
from ccctl_email.outbound import AUTOMATIC_KINDS  # they share the per-sender cap

ROBOT_SENDER = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]?daemon|postmaster|bounces?|listserv|majordomo)([+-].*)?@",
    re.IGNORECASE)


def skip_reason(parsed: ParsedMail, config: EmailConfig) -> str | None:
    """Why this message must not be acknowledged, or None."""
    headers = parsed.headers
    auto = headers.get("auto-submitted", "").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    if "list-id" in headers or "list-unsubscribe" in headers:
        return "mailing list"
    suppress = headers.get("x-auto-response-suppress", "").lower()
    if "all" in suppress or "autoreply" in suppress:
        return "X-Auto-Response-Suppress"
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return "sender is an auto-responder"
    if headers.get("return-path", "").strip() == "<>":
        return "bounce (empty Return-Path)"
    if ROBOT_SENDER.match(parsed.from_addr):
        return "robot sender address"
    if parsed.from_addr in config.addresses:
        return "one of our own addresses"
    return None


def automatic_last_hour(session, tenant, address: str) -> int:
    """Acknowledgements and automatic answers sent to ``address`` in the last hour."""
    since = utcnow() - timedelta(hours=1)
    return session.scalar(select(func.count(OutboundMail.id)).where(
        OutboundMail.tenant_id == tenant.id, OutboundMail.kind.in_(AUTOMATIC_KINDS),
        OutboundMail.to_addr == address, OutboundMail.created_at >= since)) or 0


def may_answer_automatically(ctx, config: EmailConfig, parsed: ParsedMail) -> bool:
    """RFC 3834 loop guards, then the per-sender hourly cap (``ack.max_per_sender_per_hour``)."""
    if skip_reason(parsed, config) is not None:
        return False
    return automatic_last_hour(ctx.session, ctx.tenant, parsed.from_addr) < config.ack.max_per_sender_per_hour


def already_answered(ctx, message_id: str) -> bool:
    """An automatic FAQ answer already replies to ``message_id``: it stands in for the ack."""
    return ctx.session.scalar(select(OutboundMail.id).where(
        OutboundMail.tenant_id == ctx.tenant.id, OutboundMail.kind == "answer",
        OutboundMail.answers == message_id)) is not None


def locale_template(templates: dict[str, MailTemplate], name: str, locale: str) -> MailTemplate:
    """The tenant's template for ``locale`` (fr_FR, then fr), else the built-in ``name`` one, else English."""
    from ccctl_email.templating import builtin

    language = locale.split("_")[0]
    for key in (locale, language):
        if key in templates:
            return templates[key]
    text = builtin(f"{name}.{language}.j2") or builtin(f"{name}.en.j2")
    subject, _, body = text.partition("\n---\n")
    return MailTemplate(subject=subject.strip(), body=body)


def template_data(ctx, item, customer) -> dict:
    tenant = ctx.tenant
    local_due = None
    if item.due_at is not None:
        local_due = item.due_at.astimezone(ZoneInfo(tenant.timezone)).strftime("%d/%m/%Y %H:%M")
    return {
        "item": {"id": item.id, "subject": item.subject, "queue": item.queue, "ref": f"#{item.id}"},
        "customer": {"id": customer.id if customer else None, "name": customer.name if customer else ""},
        "tenant": {"slug": tenant.slug, "name": tenant.config.get("name") or tenant.slug},
        "due_at": local_due,
    }


def queue_automatic(ctx, config: EmailConfig, parsed: ParsedMail, item, *, kind: str, template: MailTemplate,
                    data: dict) -> OutboundMail:
    """Render ``template`` and queue it as ``kind`` in reply to ``parsed``, threaded to it."""
    from ccctl_email.outbound import queue_mail, tagged_subject
    from ccctl_email.templating import render

    subject = render(template.subject or "Re: {{ item.subject }}", data, f"{kind} subject")
    body = render(template.body, data, f"{kind} body")
    return queue_mail(ctx, config, kind=kind, item=item, to=parsed.from_addr,
                      subject=tagged_subject(subject, item), body=body, in_reply_to=parsed.message_id,
                      references=[*parsed.references[-20:], parsed.message_id], answers=parsed.message_id)


def plan_ack(ctx, config: EmailConfig, parsed: ParsedMail, item, customer) -> OutboundMail | None:
    """Queue an acknowledgement of ``parsed`` (a new thread) unless a rule says not to."""
    if already_answered(ctx, parsed.message_id) or not may_answer_automatically(ctx, config, parsed):
        return None
    template = locale_template(config.ack.templates, "ack", ctx.tenant.config.get("locale") or "en")
    return queue_automatic(ctx, config, parsed, item, kind="ack", template=template,
                           data=template_data(ctx, item, customer))
