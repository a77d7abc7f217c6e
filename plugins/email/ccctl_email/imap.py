"""Fetch a tenant's mailbox over IMAP, reading each message exactly once.

UIDs are only meaningful under one UIDVALIDITY: when the server changes it, the whole
folder is read again (Message-ID de-duplication makes that harmless). The position
(``last_uid``) is committed in the same transaction as the messages it covers, so a
killed run resumes where the last commit left it and loses nothing.
The mailbox is only read (BODY.PEEK): flags stay as they were.
"""

from __future__ import annotations

import imaplib
import re
import socket
import ssl

from ccctl.config.secrets import resolve_secret
from ccctl.errors import CcctlError
from ccctl_email.config import ImapSettings

FETCH_CHUNK = 50
UID_IN_FETCH = re.compile(rb"UID (\d+)")


def account_key(settings: ImapSettings) -> str:
    return f"{settings.user}@{settings.host}:{settings.effective_port}/{settings.folder}"[:500]


def greet(settings: ImapSettings) -> imaplib.IMAP4:
    """A connection that got the server's greeting (and STARTTLS when set), not logged in."""
    try:
        if settings.ssl:
            conn = imaplib.IMAP4_SSL(settings.host, settings.effective_port, timeout=settings.timeout,
                                     ssl_context=ssl.create_default_context())
        else:
            conn = imaplib.IMAP4(settings.host, settings.effective_port, timeout=settings.timeout)
            if settings.starttls:
                conn.starttls(ssl.create_default_context())
    except (OSError, imaplib.IMAP4.error, socket.timeout) as exc:
        raise CcctlError(f"IMAP {settings.host}:{settings.effective_port}: cannot connect: {exc}") from None
    return conn


def connect(settings: ImapSettings, mailbox=None) -> imaplib.IMAP4:
    """A logged-in connection; ``mailbox`` (an ``oauth.Mailbox``) for ``auth: oauth2``."""
    where = f"IMAP {settings.host}:{settings.effective_port}"
    password = resolve_secret(settings.password, "imap.password") if mailbox is None else None
    conn = greet(settings)
    try:
        if mailbox is None:
            conn.login(settings.user, password)
        else:
            from ccctl_email.oauth import authenticate

            authenticate(mailbox, where, lambda token: _xoauth2(conn, settings.user, token))
    except imaplib.IMAP4.error as exc:
        close(conn)
        raise CcctlError(f"{where}: login failed for user {settings.user}: {_text(exc)}") from None
    except BaseException:
        close(conn)
        raise
    return conn


def _xoauth2(conn: imaplib.IMAP4, user: str, token: str) -> str | None:
    """AUTHENTICATE XOAUTH2; None when accepted, else the server's reason (from its error challenge)."""
    from ccctl_email.sasl import refusal_reason, xoauth2

    challenges: list[bytes] = []

    def respond(challenge: bytes) -> bytes:
        if challenges:  # the server's error JSON: acknowledge it with an empty line
            challenges.append(challenge)
            return b""
        challenges.append(b"")
        return xoauth2(user, token).encode()

    try:
        conn.authenticate("XOAUTH2", respond)
    except imaplib.IMAP4.error as exc:
        detail = refusal_reason(challenges[1] if len(challenges) > 1 else None)
        return f"{detail} ({_text(exc)[:200]})"
    return None


def _text(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else exc
    return arg.decode(errors="replace") if isinstance(arg, bytes) else str(arg)


def close(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()
    except (OSError, imaplib.IMAP4.error):
        pass


def select_folder(conn: imaplib.IMAP4, settings: ImapSettings) -> int:
    """Select the folder read-only; return its UIDVALIDITY."""
    status, data = conn.select(_quote(settings.folder), readonly=True)
    if status != "OK":
        detail = data[0].decode(errors="replace") if data and isinstance(data[0], bytes) else data
        raise CcctlError(f"IMAP {settings.host}: cannot open folder '{settings.folder}': {detail}")
    _, values = conn.response("UIDVALIDITY")
    if not values or values[0] is None:
        raise CcctlError(f"IMAP {settings.host}: the server gave no UIDVALIDITY for '{settings.folder}'")
    return int(values[0])


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def new_uids(conn: imaplib.IMAP4, after: int) -> list[int]:
    status, data = conn.uid("SEARCH", None, f"UID {after + 1}:*")
    if status != "OK":
        raise CcctlError(f"IMAP UID SEARCH failed: {data}")
    # "N:*" always matches the highest UID, even one below N: filter.
    return sorted(u for u in (int(x) for x in (data[0] or b"").split()) if u > after)


def fetch_messages(conn: imaplib.IMAP4, uids: list[int]) -> list[tuple[int, bytes]]:
    status, data = conn.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
    if status != "OK":
        raise CcctlError(f"IMAP UID FETCH failed: {data}")
    out = []
    for part in data:
        if isinstance(part, tuple):
            match = UID_IN_FETCH.search(part[0])
            if match:
                out.append((int(match.group(1)), part[1]))
    return sorted(out)


def fetch_tenant(ctx, config, commit, progress=None) -> dict:
    """Ingest every message not yet read from the tenant's mailbox; return counts.

    No transaction is open while the server is asked anything: once logged in, the lease is
    taken and the position read in a short transaction (:mod:`ccctl_email.lease`), then each chunk is
    fetched with none open and stored in one write transaction with the new position.
    Raises :class:`ccctl_email.lease.MailboxBusy` when another run is reading the mailbox.

    ``progress(total)``, when given, returns a context manager with ``update(n)`` (a click progress bar).
    """
    import contextlib

    import ccctl_email.lease as leases
    from ccctl_email.ingest import Ingester, summary
    from ccctl_email.txn import write_transaction

    settings = config.imap
    if settings is None:
        raise CcctlError(f"tenant {ctx.tenant.slug}: no 'imap' section under plugins.email")
    session, tenant = ctx.session, ctx.tenant
    key = account_key(settings)
    mailbox = None
    if settings.auth == "oauth2":
        from ccctl_email.oauth import mailbox_for

        mailbox = mailbox_for(tenant.slug, config, "imap")
    commit()  # whatever the caller began ends here
    conn = connect(settings, mailbox)  # logged in first: a skipped run still proves the credentials
    try:
        lease = leases.acquire(session, tenant.id, key, leases.new_holder())
        try:
            validity = select_folder(conn, settings)
            last_uid = lease.last_uid if lease.uidvalidity == validity else 0
            uids = new_uids(conn, last_uid)
            ingester = Ingester(ctx, config)
            with (progress(len(uids)) if progress else contextlib.nullcontext()) as bar:
                for start in range(0, len(uids), FETCH_CHUNK):
                    fetched = fetch_messages(conn, uids[start:start + FETCH_CHUNK])
                    write_transaction(session)
                    for _result in ingester.ingest_many((f"imap:{key};uid={uid}", raw) for uid, raw in fetched):
                        if bar is not None:
                            bar.update(1)
                    position = max([last_uid, *(uid for uid, _raw in fetched)])
                    leases.advance(session, lease, validity, position)
                    commit()  # the messages and the position move together
                    last_uid = position
            if not uids and (lease.uidvalidity, lease.last_uid) != (validity, last_uid):
                write_transaction(session)
                leases.advance(session, lease, validity, last_uid)
                commit()
        finally:
            leases.release(session, lease)
    finally:
        close(conn)
    return {"tenant": tenant.slug, "account": key, **summary(ingester.counts)}
