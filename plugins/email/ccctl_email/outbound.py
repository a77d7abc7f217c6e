"""Outgoing mail (acknowledgements, automatic FAQ answers and replies): composed, written to the outbox, then sent.

A row is written before any byte goes out and is marked ``sent`` right after the SMTP
server accepts it, so re-running ``ccctl email send`` never sends a mail twice (except
if the process dies in the instant between the server's OK and the commit). Two runs sending
at once claim their mails first (:mod:`ccctl_email.outbox_claim`): each mail goes with one run.
"""

from __future__ import annotations

import email.utils
import smtplib
import uuid
from email.message import EmailMessage as MimeMessage
from email.policy import SMTP, SMTPUTF8

from sqlalchemy import select

from ccctl.db.models import WorkItem, utcnow
from ccctl_email.config import EmailConfig
from ccctl_email.models import EmailMessage, OutboundMail
from ccctl_email.threads import SUBJECT_TAG, item_token, subject_tag

AUTOMATIC_KINDS = ("ack", "answer")  # sent by a robot of ours, unasked: RFC 3834 headers
HISTORY_LABELS = {"ack": "Acknowledgement: ", "answer": "Automatic answer: ", "reply": "Reply: ",
                  "brochure": "Brochure: "}


def tagged_subject(subject: str, item: WorkItem, prefix: str = "") -> str:
    subject = " ".join(subject.split()) or "(no subject)"
    if not SUBJECT_TAG.search(subject):
        subject = f"{subject} {subject_tag(item.id)}"
    if prefix and not subject.lower().startswith(prefix.lower()):
        subject = f"{prefix}{subject}"
    return subject[:500]


def envelope_address(address: str) -> tuple[str, bool]:
    """(address as sent in RCPT TO, whether it needs SMTPUTF8): an IDN domain goes out in its
    ASCII (punycode) form; a non-ASCII local part (``jörg@...``) can only go with RFC 6531."""
    if address.isascii():
        return address, False
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        return address, True
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return address, True
    return f"{local}@{domain}", False


def thread_headers(session, tenant, item: WorkItem) -> tuple[str | None, list[str]]:
    """(In-Reply-To, References) for a new mail on ``item``: the latest message, all earlier ones."""
    ids = list(session.scalars(select(EmailMessage.message_id).where(
        EmailMessage.tenant_id == tenant.id, EmailMessage.item_id == item.id).order_by(EmailMessage.id)))
    last_in = session.scalar(select(EmailMessage.message_id).where(
        EmailMessage.tenant_id == tenant.id, EmailMessage.item_id == item.id, EmailMessage.direction == "in")
        .order_by(EmailMessage.id.desc()).limit(1))
    return last_in or (ids[-1] if ids else None), ids[-30:]


def queue_mail(ctx, config: EmailConfig, *, kind: str, item: WorkItem, to: str, subject: str, body: str,
               in_reply_to: str | None, references: list[str], answers: str | None = None,
               attachments: list[tuple[str, bytes, str]] = ()) -> OutboundMail:
    """Compose and store one outgoing mail (status ``queued``); it also joins the thread map."""
    session, tenant = ctx.session, ctx.tenant
    sender = config.smtp.sender
    domain = email.utils.parseaddr(sender)[1].rsplit("@", 1)[-1]
    token = item_token(item)
    message_id = f"<{token}.{uuid.uuid4().hex[:16]}@{domain}>"
    mail = MimeMessage(policy=SMTP)
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = email.utils.format_datetime(utcnow())
    mail["Message-ID"] = message_id
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    if references:
        mail["References"] = " ".join(references)
    if kind in AUTOMATIC_KINDS:
        # RFC 3834: tell other robots not to answer us (no mail loops).
        mail["Auto-Submitted"] = "auto-replied"
        mail["X-Auto-Response-Suppress"] = "All"
    # The hidden token also rides in the footer, for clients that drop References.
    mail.set_content(f"{body.rstrip()}\n\n[ref:{token}]\n")
    for filename, data, content_type in attachments:  # kept in ``raw``: the outbox sends what it stored
        maintype, _, subtype = content_type.partition("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    # An address with a non-ASCII local part is written as is (RFC 6532): it can only be sent
    # over SMTPUTF8 anyway, and an encoded word in an address is no address at all.
    raw = mail.as_bytes(policy=SMTPUTF8) if envelope_address(to)[1] else mail.as_bytes()
    row = OutboundMail(tenant_id=tenant.id, kind=kind, item_id=item.id, customer_id=item.customer_id, to_addr=to,
                       subject=subject[:500], message_id=message_id, answers=answers, raw=raw)
    session.add(row)
    session.add(EmailMessage(tenant_id=tenant.id, message_id=message_id, direction="out", item_id=item.id,
                             customer_id=item.customer_id, from_addr=email.utils.parseaddr(sender)[1].lower(),
                             subject=subject[:500], matched_by="sent", source=kind))
    session.flush()
    return row


def send_queued(ctx, config: EmailConfig, only: list[int] | None = None, commit=None) -> dict[str, int]:
    """Send the tenant's queued mails over one SMTP connection.

    The mails are first claimed (status ``sending``, :mod:`ccctl_email.outbox_claim`) so that a
    second run sending at the same moment never sends one of them too. ``commit`` (the session's)
    ends the transaction that claimed them before the server is contacted, and stores each mail's
    outcome right after the server answered: no transaction is open while SMTP talks (without
    ``commit``, the caller's stays open: tests only).
    """
    from ccctl_email.lease import new_holder
    from ccctl_email.outbox_claim import claim, release
    from ccctl_email.txn import write_transaction

    session, tenant = ctx.session, ctx.tenant
    counts = {"sent": 0, "failed": 0, "deferred": 0, "recovered": 0}
    holder = new_holder()
    if commit is not None:
        commit()  # the caller's work (a reply just queued) first, then the claim in its own write transaction
        write_transaction(session)
    rows, counts["recovered"] = claim(session, tenant.id, holder, only)
    if commit is not None:
        commit()
    if not rows:
        return counts
    pending = list(rows)
    try:
        mailbox = None
        if config.smtp.backend == "smtp" and config.smtp.auth == "oauth2":
            from ccctl_email.oauth import mailbox_for

            mailbox = mailbox_for(tenant.slug, config, "smtp")
        _send_claimed(ctx, config, mailbox, holder, pending, counts, commit)
    finally:
        if pending:  # the connection broke or the run stops: unsent claims go back to the queue now
            if commit is not None:
                write_transaction(session)
            release(session, pending, holder)
            if commit is not None:
                commit()
    return counts


def _send_claimed(ctx, config: EmailConfig, mailbox, holder: str, pending: list[OutboundMail],
                  counts: dict[str, int], commit) -> None:
    """Send the claimed ``pending`` rows (removed from it as their outcome is stored)."""
    from ccctl.customers import record_interaction
    from ccctl_email.outbox_claim import RECOVERED, finish
    from ccctl_email.txn import write_transaction

    session, tenant = ctx.session, ctx.tenant
    sender = email.utils.parseaddr(config.smtp.sender)[1]
    where = f"SMTP {config.smtp.host}" if config.smtp.backend == "smtp" else f"the {config.smtp.backend} backend"

    def store(row, **values) -> bool:
        if commit is not None:
            write_transaction(session)
        done = finish(session, row, holder, **values)
        pending.remove(row)
        return done

    with transport(config.smtp, mailbox) as conn:
        for row in list(pending):
            recipient, needs_utf8 = envelope_address(row.to_addr)
            try:
                if needs_utf8:
                    conn.ehlo_or_helo_if_needed()  # the server's extensions are known after EHLO
                if needs_utf8 and not conn.has_extn("smtputf8"):
                    raise Unsendable(f"the address needs SMTPUTF8 (RFC 6531), which {where} does not offer")
                conn.sendmail(sender, [recipient], row.raw,
                              mail_options=["SMTPUTF8", "BODY=8BITMIME"] if needs_utf8 else ())
            except (Unsendable, UnicodeError, ValueError) as exc:
                # This mail can never go out as it is: fail it, and the tenant's other mail goes on.
                store(row, status="failed", error=(str(exc) if isinstance(exc, Unsendable) else
                                                   f"cannot be sent: {type(exc).__name__}")[:2000])
                counts["failed"] += 1
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
                if _smtp_code(exc) >= 500:
                    store(row, status="failed", error=str(exc)[:2000])
                    counts["failed"] += 1
                else:  # 4xx: the server asks us to try later; the mail goes back to the queue
                    store(row, status="queued", error=str(exc)[:2000])
                    counts["deferred"] += 1
            except (smtplib.SMTPException, OSError) as exc:
                # The connection broke: this mail and the rest go back to the queue for `ccctl email send`.
                from ccctl.errors import CcctlError

                store(row, status="queued", error=str(exc)[:2000])
                if commit is not None:
                    commit()
                raise CcctlError(f"{where}: connection lost after {counts['sent']} sent: {exc}") from None
            else:
                # A recovered mail keeps its note: it may have reached the customer twice.
                note = row.error if row.error and row.error.startswith(RECOVERED) else None
                if store(row, status="sent", sent_at=utcnow(), error=note):
                    record_interaction(session, tenant, "email", customer_id=row.customer_id, direction="out",
                                       item_id=row.item_id, external_id=row.message_id, actor=ctx.actor or "ccctl",
                                       summary=HISTORY_LABELS.get(row.kind, "Reply: ") + row.subject,
                                       payload={"to": row.to_addr, "kind": row.kind})
                counts["sent"] += 1
            if commit is not None:
                commit()


def transport(settings, mailbox=None):
    """A context manager giving what mail is sent through: an SMTP connection, or a dry run's."""
    import contextlib

    from ccctl_email.smtp import smtp_connection

    if settings.backend == "smtp":
        return smtp_connection(settings, mailbox)
    from ccctl_email.dryrun import ConsoleTransport, FileTransport

    return contextlib.nullcontext(ConsoleTransport() if settings.backend == "console" else FileTransport(settings.folder))


class Unsendable(Exception):
    """A mail no retry can send (its ``str`` is the reason kept on the outbox row)."""


def _smtp_code(exc: smtplib.SMTPException) -> int:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return min((code for code, _msg in exc.recipients.values()), default=550)
    return getattr(exc, "smtp_code", 550)
