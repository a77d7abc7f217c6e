"""An SMTP connection from a tenant's ``smtp`` settings, with errors an operator can act on."""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl

from ccctl.config.secrets import resolve_secret
from ccctl.errors import CcctlError
from ccctl_email.config import SmtpSettings


@contextlib.contextmanager
def smtp_connection(settings: SmtpSettings):
    where = f"SMTP {settings.host}:{settings.effective_port}"
    password = resolve_secret(settings.password, "smtp.password") if settings.password else None
    try:
        if settings.ssl:
            conn = smtplib.SMTP_SSL(settings.host, settings.effective_port, timeout=settings.timeout,
                                    context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(settings.host, settings.effective_port, timeout=settings.timeout)
            if settings.starttls:
                conn.starttls(context=ssl.create_default_context())
        if settings.user:
            conn.login(settings.user, password or "")
    except smtplib.SMTPAuthenticationError as exc:
        raise CcctlError(f"{where}: login refused for user {settings.user} ({exc.smtp_code})") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise CcctlError(f"{where}: cannot connect: {exc}") from None
    try:
        yield conn
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException, socket.error):
            conn.quit()
