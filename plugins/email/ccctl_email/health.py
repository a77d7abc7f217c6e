"""The email plugin's checks for ``ccctl status``: outgoing mail waiting or failed, quarantined mail,
and whether the tenant's IMAP and SMTP servers answer (and take the login, with a password)."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from ccctl.db.models import utcnow
from ccctl_email.lease import LEASE
from ccctl_email.models import OutboundMail, QuarantinedMail
from ccctl_email.outbox_claim import SENDING

LATE_AFTER = timedelta(minutes=30)
PROBE_TIMEOUT = 10.0  # seconds per network step of a probe (or the tenant's own timeout, if shorter)


def tenant_status(app, tenant, report) -> None:
    now = utcnow()
    with app.session() as session:
        queued, oldest = session.execute(select(func.count(OutboundMail.id), func.min(OutboundMail.created_at)).where(
            OutboundMail.tenant_id == tenant.id, OutboundMail.status == "queued")).one()
        failed = session.scalar(select(func.count(OutboundMail.id)).where(
            OutboundMail.tenant_id == tenant.id, OutboundMail.status == "failed")) or 0
        stuck = session.scalar(select(func.count(OutboundMail.id)).where(
            OutboundMail.tenant_id == tenant.id, OutboundMail.status == SENDING,
            OutboundMail.claimed_at < now - LEASE)) or 0
        quarantined = session.scalar(select(func.count(QuarantinedMail.id)).where(
            QuarantinedMail.tenant_id == tenant.id)) or 0
    late = oldest is not None and now - oldest > LATE_AFTER
    report("mail outbox", not late and not failed,
           f"{queued} queued, {failed} failed" + (f"; oldest queued since {oldest:%Y-%m-%d %H:%M} UTC" if late else ""),
           queued=queued, failed=failed)
    report("mail stuck", not stuck, f"{stuck} mail(s) 'sending' for over {int(LEASE.total_seconds() // 60)} min "
           "(a run stopped mid-send; the next `ccctl email send` queues them again: maybe sent twice)" if stuck
           else "none", stuck=stuck)
    report("mail quarantine", True, f"{quarantined} message(s) quarantined (ccctl email quarantine list)",
           quarantined=quarantined)
    probe_servers(tenant, report)  # the session above is closed: no transaction while we connect


def probe_servers(tenant, report) -> None:
    """``mail imap`` and ``mail smtp``: connect and greeting, then the login when the password is
    ours to try (``auth: oauth2`` stops at the greeting: a token costs an HTTP call, see
    ``ccctl email auth status``). Details name the server, never a secret."""
    from ccctl.errors import DomainError
    from ccctl_email.config import email_config

    try:
        config = email_config(tenant)
    except DomainError as exc:  # the settings check says it too; name it here for the mail rows
        report("mail servers", False, exc.format_message())
        return
    for check, settings, probe in (("mail imap", config.imap, _imap), ("mail smtp", config.smtp, _smtp)):
        if settings is None:
            continue
        if getattr(settings, "backend", "smtp") != "smtp":
            report(check, *_dry_run(settings))
            continue
        if not report.probe:
            report(check, True, "not probed")
            continue
        settings = settings.model_copy(update={"timeout": min(settings.timeout, PROBE_TIMEOUT)})
        started = time.monotonic()
        try:
            what = probe(settings)
        except DomainError as exc:  # cannot connect, login refused, a secret not set (named, not shown)
            report(check, False, exc.format_message())
            continue
        except OSError as exc:  # the server went quiet after the greeting (timeout) or dropped us
            report(check, False, f"{settings.host}:{settings.effective_port}: no answer: {exc or type(exc).__name__}")
            continue
        report(check, True, f"{settings.host}:{settings.effective_port} {what} "
                            f"({time.monotonic() - started:.2f} s)", seconds=round(time.monotonic() - started, 3))


def _imap(settings) -> str:
    from ccctl_email.imap import close, connect, greet

    if settings.auth == "oauth2":
        close(greet(settings))
        return "answered (OAuth2 login not tried)"
    close(connect(settings))
    return f"answered, login accepted for {settings.user}"


def _smtp(settings) -> str:
    from ccctl_email.smtp import smtp_connection

    oauth = settings.auth == "oauth2"
    with smtp_connection(settings, login=bool(settings.user) and not oauth):  # else: greeting and EHLO
        pass
    if oauth:
        return "answered (OAuth2 login not tried)"
    return f"answered, login accepted for {settings.user}" if settings.user else "answered (no login configured)"


def _dry_run(settings) -> tuple[bool, str]:
    """A dry-run backend: nothing to probe; the file backend's folder must be writable (or creatable)."""
    import os
    from pathlib import Path

    if settings.backend == "console":
        return True, "console backend (dry run: mail is printed, nothing sent)"
    folder = Path(settings.folder).expanduser()
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not (existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)):
        return False, f"file backend: smtp.folder {folder} cannot be written ({existing} is not a writable folder)"
    return True, f"file backend (dry run: .eml files in {folder}, nothing sent)"
