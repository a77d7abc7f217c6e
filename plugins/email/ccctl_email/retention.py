"""The email plugin's retention kinds: stored mails (with attachments) and quarantined raw mail."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from ccctl.context import TenantContext
from ccctl.retention import count_or_delete

KINDS = {
    "mail": "stored e-mails (in and out, with their attachments) older than this",
    "quarantine": "quarantined raw mail older than this",
}


def apply(ctx: TenantContext, policy: dict[str, timedelta], now: datetime, dry_run: bool) -> dict[str, int]:
    from ccctl_email.models import EmailBlob, EmailMessage, OutboundMail, QuarantinedMail

    tenant_id, done = ctx.tenant.id, {}
    if "mail" in policy:
        cutoff = now - policy["mail"]
        done["mail"] = sum(count_or_delete(ctx.session, model, (model.tenant_id == tenant_id, model.created_at < cutoff), dry_run)
                           for model in (EmailMessage, OutboundMail))
        if not dry_run:  # attachment contents no message refers to any more
            from ccctl_email.models import EmailAttachment

            used = select(EmailAttachment.sha256).where(EmailAttachment.tenant_id == tenant_id)
            ctx.session.execute(delete(EmailBlob).where(EmailBlob.tenant_id == tenant_id,
                                                        EmailBlob.sha256.not_in(used)))
    if "quarantine" in policy:
        cutoff = now - policy["quarantine"]
        done["quarantine"] = count_or_delete(ctx.session, QuarantinedMail, (QuarantinedMail.tenant_id == tenant_id,
                                                           QuarantinedMail.created_at < cutoff), dry_run)
    return done

