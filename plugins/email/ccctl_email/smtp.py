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
def smtp_connection(settings: SmtpSettings, mailbox=None, login: bool = True):
    """A logged-in connection; ``mailbox`` (an ``oauth.Mailbox``) for ``auth: oauth2``.
    ``login=False``: greeting, EHLO and STARTTLS only (a reachability probe)."""
    where = f"SMTP {settings.host}:{settings.effective_port}"
    password = resolve_secret(settings.password, "smtp.password") if settings.password and login else None
    conn = None
    try:
        if settings.ssl:
            conn = smtplib.SMTP_SSL(settings.host, settings.effective_port, timeout=settings.timeout,
                                    context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(settings.host, settings.effective_port, timeout=settings.timeout)
            if settings.starttls:
                conn.starttls(context=ssl.create_default_context())
        if not login:
            conn.ehlo_or_helo_if_needed()
        elif mailbox is not None:
            from ccctl_email.oauth import authenticate

            conn.ehlo_or_helo_if_needed()
            authenticate(mailbox, where, lambda token: _xoauth2(conn, settings.user, token))
        elif settings.user:
            conn.login(settings.user, password or "")
    except smtplib.SMTPAuthenticationError as exc:
        _quit(conn)
        raise CcctlError(f"{where}: login refused for user {settings.user} ({exc.smtp_code})") from None
    except (OSError, smtplib.SMTPException) as exc:
        _quit(conn)
        raise CcctlError(f"{where}: cannot connect: {exc}") from None
    except BaseException:
        _quit(conn)
        raise
    try:
        yield conn
    finally:
        _quit(conn)


def _quit(conn) -> None:
    if conn is not None:
        with contextlib.suppress(OSError, smtplib.SMTPException, socket.error):
            conn.quit()


def _xoauth2(conn: smtplib.SMTP, user: str, token: str) -> str | None:
    """AUTH XOAUTH2 (initial response); None when accepted, else the server's reason."""
    from ccctl_email.sasl import refusal_reason, xoauth2

    challenges: list[bytes | None] = []

    def respond(challenge=None) -> str:
        if challenge is not None:  # the server's error JSON: acknowledge it with an empty line
            challenges.append(challenge)
            return ""
        return xoauth2(user, token)

    try:
        conn.auth("XOAUTH2", respond, initial_response_ok=True)
    except smtplib.SMTPAuthenticationError as exc:
        return f"{refusal_reason(challenges[-1] if challenges else None)} ({exc.smtp_code})"
    return None
