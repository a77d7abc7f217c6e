"""Outbox backends for dry runs (``smtp.backend: console`` or ``file``): they take a mail as the
SMTP connection would, and nothing leaves the machine.

Both answer the few calls :func:`ccctl_email.outbound.send_queued` makes on a connection
(``sendmail``, ``ehlo_or_helo_if_needed``, ``has_extn``), so the outbox, its statuses and the
history work exactly as with a server.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from ccctl.errors import CcctlError


class DryRun:
    """The part of ``smtplib.SMTP`` the outbox uses; every extension offered (SMTPUTF8 too)."""

    def ehlo_or_helo_if_needed(self) -> None:
        return None

    def has_extn(self, name: str) -> bool:
        return True


class ConsoleTransport(DryRun):
    """Prints each mail (envelope, subject, plain text) on stderr."""

    def sendmail(self, sender: str, recipients: list[str], raw: bytes, mail_options=()) -> dict:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        print(f"[email dry run] from {sender} to {', '.join(recipients)}: {message['Subject']}\n"
              f"{text.rstrip()}\n", file=sys.stderr, flush=True)
        return {}


class FileTransport(DryRun):
    """Writes each mail, byte for byte, as ``<UTC time>-<Message-ID>.eml`` in ``folder`` (created
    if missing); the file appears whole or not at all (written aside, then renamed)."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder).expanduser()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CcctlError(f"smtp.folder {self.folder}: cannot create it: {exc.strerror}") from None

    def sendmail(self, sender: str, recipients: list[str], raw: bytes, mail_options=()) -> dict:
        message_id = email.message_from_bytes(raw).get("Message-ID", "")
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", message_id.strip("<> "))[:120] or "mail"
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".writing-", suffix=".eml")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(raw)
            os.replace(temporary, self.folder / f"{stamp}-{name}.eml")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return {}
