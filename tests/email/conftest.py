"""Real servers for the email tests: Dovecot (IMAP) and aiosmtpd (SMTP), both on 127.0.0.1.

Dovecot comes from Debian's dovecot-imapd (scripts/install-test-deps.sh). Each test
session starts one private instance (temp config, static passdb: any user name with the
one password, Maildirs in a temp folder, a free port) and stops it at the end; each test gets its own mailbox user.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, log: Path | None = None) -> None:
    for _ in range(200):
        if process.poll() is not None:
            detail = log.read_text() if log and log.exists() else ""
            raise RuntimeError(f"{what} exited with {process.returncode}: {detail}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port}")


class Dovecot:
    """One private Dovecot: ``add_user()`` gives a fresh mailbox, ``append()`` delivers into it."""

    def __init__(self, oauth2: str = "") -> None:
        """``oauth2``: the body of a dovecot-oauth2.conf.ext: XOAUTH2 logins checked by it (PLAIN still works)."""
        if not os.path.exists(DOVECOT):
            pytest.fail("dovecot is not installed: run scripts/install-test-deps.sh (Debian dovecot-imapd)")
        # Dovecot refuses uid 0 for mail users: as root, mailboxes belong to 'nobody'.
        user = pwd.getpwnam("nobody") if os.getuid() == 0 else pwd.getpwuid(os.getuid())
        self.uid, self.gid = user.pw_uid, user.pw_gid
        self.root = Path(tempfile.mkdtemp(prefix="ccctl-dovecot-"))
        self.root.chmod(0o755)
        (self.root / "mail").mkdir()
        if os.getuid() == 0:
            os.chown(self.root / "mail", self.uid, self.gid)
        self.password = "s3cret"
        self.port = free_port()
        self.log = self.root / "dovecot.log"
        login = "" if os.getuid() == 0 else f"default_login_user = {user.pw_name}\ndefault_internal_user = {user.pw_name}\n"
        oauth_passdb = ""
        if oauth2:
            (self.root / "oauth2.conf.ext").write_text(oauth2)
            oauth_passdb = f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n" \
                           f"  args = {self.root}/oauth2.conf.ext\n}}\n"
        (self.root / "dovecot.conf").write_text(textwrap.dedent(f"""\
            base_dir = {self.root}/run
            state_dir = {self.root}/state
            instance_name = ccctl-test-{self.port}
            protocols = imap
            listen = 127.0.0.1
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login{" xoauth2 oauthbearer" if oauth2 else ""}
            auth_failure_delay = 0
            log_path = {self.log}
            mail_location = maildir:~/Maildir
            first_valid_uid = 1
            passdb {{
              driver = static
              args = password={self.password}
              {"mechanisms = plain login" if oauth2 else ""}
            }}
            userdb {{
              driver = static
              args = uid={self.uid} gid={self.gid} home={self.root}/mail/%u
            }}
            service imap-login {{
              chroot =
              inet_listener imap {{
                address = 127.0.0.1
                port = {self.port}
              }}
              inet_listener imaps {{
                port = 0
              }}
            }}
            service anvil {{
              chroot =
            }}
            """) + login + oauth_passdb)
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_port(self.port, self.process, "dovecot", self.log)

    def add_user(self) -> tuple[str, str]:
        """A fresh, empty mailbox (any user name logs in with the one password)."""
        return f"u{uuid.uuid4().hex[:10]}", self.password

    def connect(self, user: str, password: str) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(user, password)
        return conn

    def append(self, user: str, password: str, *messages: bytes, folder: str = "INBOX") -> None:
        conn = self.connect(user, password)
        try:
            if folder != "INBOX":
                conn.create(folder)
            for raw in messages:
                status, data = conn.append(folder, None, None, raw)
                assert status == "OK", data
        finally:
            conn.logout()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot():
    server = Dovecot()
    yield server
    server.stop()


class SmtpSink:
    """A real SMTP server (aiosmtpd) keeping what it accepts; refuses RCPT to refused@... (550), greylisted@... (450)."""

    def __init__(self, port: int | None = None, utf8: bool = False) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[dict] = []
        self.port = port or free_port()
        # utf8: offer SMTPUTF8 (RFC 6531), as Postfix and Exim do; aiosmtpd does not by default.
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=utf8)
        self.controller.start()
        self.running = True

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused@"):
            return "550 5.1.1 no such user"
        if address.startswith("greylisted@"):
            return "450 4.7.1 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import email

        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "message": email.message_from_bytes(envelope.content)})
        return "250 Message accepted"

    def stop(self) -> None:
        if self.running:  # a test may stop it early to play "SMTP server down"
            self.controller.stop()
            self.running = False


@pytest.fixture
def smtp():
    sink = SmtpSink()
    yield sink
    sink.stop()


@pytest.fixture
def start_smtp():
    """Start another SMTP server (e.g. again on a port that was down); stopped after the test."""
    started = []

    def start(port: int | None = None, utf8: bool = False) -> SmtpSink:
        started.append(SmtpSink(port, utf8))
        return started[-1]

    yield start
    for sink in started:
        sink.stop()


def tenant_yaml(slug: str = "voyages-lumiere", *, smtp_port: int | None = None, imap: dict | None = None,
                ack: str = "", extra: str = "", locale: str = "fr_FR") -> str:
    """The email section from the arguments (``ack``/``extra``: YAML lines of that section); a thin
    alias over ``ccctl.testing.tenant_yaml``, which ends with ``plugins`` so appended lines land there."""
    import yaml

    from ccctl.testing import tenant_yaml as build

    section: dict = {"enabled": True, "addresses": ["support@example.test"]}
    if smtp_port:
        section["smtp"] = {"host": "127.0.0.1", "port": smtp_port, "from": "Support <support@example.test>"}
    if imap:
        section["imap"] = {k: yaml.safe_load(str(v)) for k, v in imap.items()}
    for lines in (ack, extra):
        section.update(yaml.safe_load(textwrap.dedent(lines)) or {} if lines else {})
    return build(slug, locale=locale, business_hours={"mon-sun": ["00:00-24:00"]}, holidays=None,
                 queues=[{"name": "general", "sla": "4h"}, {"name": "claims", "sla": "2d"}],
                 plugins={"email": section})


@pytest.fixture
def apply_tenant(ccctl, tmp_path):
    """Write a tenant YAML (see ``tenant_yaml``) and apply it; returns the file path."""
    def apply(**kwargs) -> Path:
        slug = kwargs.get("slug", "voyages-lumiere")
        path = tmp_path / f"{slug}.yaml"
        path.write_text(tenant_yaml(**kwargs))
        ccctl("tenant", "apply", "-f", str(path))
        return path

    return apply


def mail(n: int | str = 1, *, sender: str = "Élodie Martin <elodie@example.fr>", subject: str = "Annulation",
         body: str = "Bonjour, je veux annuler ma réservation.", headers: str = "", message_id: str | None = None) -> bytes:
    """A small, valid message; ``headers`` adds raw header lines."""
    mid = message_id if message_id is not None else f"<m{n}@example.fr>"
    head = f"From: {sender}\r\nTo: support@example.test\r\nSubject: {subject}\r\n"
    if mid:
        head += f"Message-ID: {mid}\r\n"
    head += "Date: Mon, 23 Nov 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n"
    head += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
    head += "".join(f"{line}\r\n" for line in headers.splitlines() if line.strip())
    return (head + "\r\n" + body + "\r\n").encode("utf-8")


@pytest.fixture
def make_mail():
    return mail


class NetworkWatch:
    """Every IMAP/SMTP command this process sends (``calls``), and those sent while a database
    transaction was open in it (``in_transaction``): the rule is that there are none."""

    def __init__(self) -> None:
        self.open: set[int] = set()
        self.calls: list[str] = []
        self.in_transaction: list[str] = []

    def begin(self, conn) -> None:
        self.open.add(id(conn))

    def end(self, conn) -> None:
        self.open.discard(id(conn))

    def saw(self, what: str) -> None:
        self.calls.append(what)
        if self.open:
            self.in_transaction.append(what)


@pytest.fixture
def network_watch(monkeypatch):
    """Wraps the IMAP and SMTP clients (imaplib, smtplib: what ccctl uses against the real test
    servers) and watches SQLAlchemy's transactions: see :class:`NetworkWatch`. Open no session of
    your own in the test while ccctl talks to a server."""
    import smtplib

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    watch = NetworkWatch()
    listeners = [("begin", watch.begin), ("commit", watch.end), ("rollback", watch.end)]
    for name, fn in listeners:
        event.listen(Engine, name, fn)

    def wrap(cls, method, label):
        real = getattr(cls, method)

        def wrapper(self, *args, **kwargs):
            watch.saw(label(args))
            return real(self, *args, **kwargs)

        monkeypatch.setattr(cls, method, wrapper)

    wrap(imaplib.IMAP4, "open", lambda a: "IMAP connect")
    wrap(imaplib.IMAP4, "_command", lambda a: f"IMAP {a[0]}")
    wrap(smtplib.SMTP, "connect", lambda a: "SMTP connect")
    wrap(smtplib.SMTP, "putcmd", lambda a: f"SMTP {a[0].upper()}")
    yield watch
    for name, fn in listeners:
        event.remove(Engine, name, fn)
