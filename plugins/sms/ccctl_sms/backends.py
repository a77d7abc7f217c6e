"""Where messages go: Twilio (the real SDK), or a dry run printed (``console``) or written (``file``).

Every backend answers three questions: send this, did an earlier attempt of this reach you
(``find_sent``, for exactly-once after a crash), and what became of that message (``fetch``).
"""

from __future__ import annotations

import json
import secrets
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ccctl.errors import CcctlError
from ccctl_sms.config import SmsConfig


@dataclass(frozen=True)
class Outgoing:
    outbox_id: int
    attempt_id: str
    to: str
    body: str
    sender: str | None
    messaging_service_sid: str | None
    status_callback: str | None


@dataclass(frozen=True)
class Accepted:
    sid: str
    status: str
    created_at: datetime | None = None


class SendError(Exception):
    """``kind``: ``retry`` (not sent, try later), ``unknown`` (may have been sent: reconcile first),
    ``permanent`` (never will be: invalid number...), ``fatal`` (bad credentials: stop everything)."""

    def __init__(self, kind: str, reason: str, code: int | None = None) -> None:
        super().__init__(reason)
        self.kind, self.reason, self.code = kind, reason, code


class TwilioBackend:
    name = "twilio"

    def __init__(self, config: SmsConfig) -> None:
        from ccctl.config.secrets import resolve_secret

        self.config = config
        self.token = resolve_secret(config.auth_token, "plugins.sms.auth_token")
        self._local = threading.local()  # one HTTP session per sender thread

    def warm(self) -> None:
        """Import the SDK before the first timed send (a rate-limited burst must not start late)."""
        import twilio.http.http_client  # noqa: F401
        import twilio.rest  # noqa: F401
        import twilio.rest.api.v2010.account.message  # noqa: F401

    @property
    def client(self):
        client = getattr(self._local, "client", None)
        if client is None:
            from ccctl.twilio_api import make_client

            client = make_client(self.config.account_sid, self.token, self.config.api_url)
            self._local.client = client
        return client

    def send(self, msg: Outgoing) -> Accepted:
        kwargs = {"to": msg.to, "body": msg.body}
        if msg.messaging_service_sid:
            kwargs["messaging_service_sid"] = msg.messaging_service_sid
        if msg.sender:
            kwargs["from_"] = msg.sender
        if msg.status_callback:
            kwargs["status_callback"] = msg.status_callback
        try:
            created = self.client.messages.create(**kwargs)
        except Exception as exc:  # noqa: BLE001 - classified below, never swallowed
            raise classify(exc) from exc
        return Accepted(created.sid, created.status or "queued", created.date_created)

    def find_sent(self, msg: Outgoing, since: datetime, exclude: set[str]) -> Accepted | None:
        """The oldest message to ``msg.to`` with the same body created since ``since`` and not
        already owned by another outbox row. Twilio lists newest first; date_sent is empty while a
        message is queued, so the window is checked on date_created, not with a DateSent filter."""
        kwargs = {"to": msg.to, "page_size": 100}
        if msg.sender and not msg.messaging_service_sid:
            kwargs["from_"] = msg.sender
        floor = since - timedelta(minutes=2)  # clock skew between us and the provider
        found = None
        try:
            for item in self.client.messages.stream(**kwargs):
                if item.date_created and item.date_created < floor:
                    break
                if item.body == msg.body and item.sid not in exclude and item.direction != "inbound":
                    found = Accepted(item.sid, item.status or "queued", item.date_created)
        except Exception as exc:  # noqa: BLE001
            error = classify(exc)
            # A failed read sends nothing: only a refusal of the credentials is worse than "later".
            raise SendError("fatal" if error.kind == "fatal" else "retry", error.reason, error.code) from exc
        return found

    def probe(self) -> None:
        """One small authenticated read (for ``ccctl status``); SendError when refused or unreachable."""
        try:
            self.client.messages.list(limit=1, page_size=1)
        except Exception as exc:  # noqa: BLE001
            raise classify(exc) from exc

    def fetch(self, sid: str) -> tuple[str, int | None, str | None]:
        try:
            item = self.client.messages(sid).fetch()
        except Exception as exc:  # noqa: BLE001
            error = classify(exc)
            raise SendError("retry" if error.kind == "unknown" else error.kind, error.reason, error.code) from exc
        return item.status, item.error_code, item.error_message


def classify(exc: Exception) -> SendError:
    from ccctl.twilio_api import http_error, never_reached

    status, code, reason = http_error(exc)
    if status is None:
        if never_reached(exc):
            return SendError("retry", f"provider unreachable: {reason}")
        # Timeouts and dropped connections: the request may have been processed.
        return SendError("unknown", reason)
    if status == 429 or code == 20429:
        return SendError("retry", reason, code)
    if status in (401, 403):
        return SendError("fatal", reason + " (check account_sid and auth_token)", code)
    if status >= 500:
        return SendError("unknown", reason, code)
    return SendError("permanent", reason, code)


class ConsoleBackend:
    """Dry run: prints each message on stderr; nothing leaves the machine."""

    name = "console"

    def __init__(self, config: SmsConfig) -> None:
        self.config = config
        self._lock = threading.Lock()

    def send(self, msg: Outgoing) -> Accepted:
        with self._lock:
            print(f"[sms dry run] to {msg.to} from {msg.sender or msg.messaging_service_sid or '-'}: {msg.body}",
                  file=sys.stderr, flush=True)
        return Accepted("DRY" + secrets.token_hex(15), "sent", datetime.now(timezone.utc))

    def find_sent(self, msg: Outgoing, since: datetime, exclude: set[str]) -> Accepted | None:
        return None  # nothing is remembered: a crash mid-demo may print a message twice

    def fetch(self, sid: str) -> tuple[str, int | None, str | None]:
        return "delivered", None, None


class FileBackend:
    """Dry run: appends each message as a JSON line to ``file_path``; remembers them for reconciling."""

    name = "file"

    def __init__(self, config: SmsConfig) -> None:
        if not config.file_path:
            raise CcctlError("plugins.sms.file_path is required by the file backend")
        self.path = Path(config.file_path).expanduser()
        self._lock = threading.Lock()

    def send(self, msg: Outgoing) -> Accepted:
        accepted = Accepted("FILE" + secrets.token_hex(14), "sent", datetime.now(timezone.utc))
        line = json.dumps({"sid": accepted.sid, "outbox_id": msg.outbox_id, "attempt": msg.attempt_id,
                           "to": msg.to, "from": msg.sender or msg.messaging_service_sid, "body": msg.body,
                           "at": accepted.created_at.isoformat()}, ensure_ascii=False)
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
        return accepted

    def find_sent(self, msg: Outgoing, since: datetime, exclude: set[str]) -> Accepted | None:
        if not self.path.exists():
            return None
        with self._lock:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        for line in lines:
            try:
                row = json.loads(line)
            except ValueError:
                continue  # a line cut short by a crash was never a sent message
            if row.get("outbox_id") == msg.outbox_id and row["sid"] not in exclude:
                return Accepted(row["sid"], "sent", datetime.fromisoformat(row["at"]))
        return None

    def fetch(self, sid: str) -> tuple[str, int | None, str | None]:
        return "delivered", None, None


BACKENDS = {"twilio": TwilioBackend, "console": ConsoleBackend, "file": FileBackend}


def make_backend(config: SmsConfig):
    return BACKENDS[config.backend or "console"](config)
