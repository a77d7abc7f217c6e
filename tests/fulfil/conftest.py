"""Fulfilment tenants: brochures by e-mail through a real SMTP server (aiosmtpd), or by post."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fulfil_helpers import write_pdfs  # noqa: E402


class Smtp:
    """aiosmtpd on 127.0.0.1 keeping each message it accepts."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller
        from support.live_server import free_port

        self.messages = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        import email
        from email.policy import default

        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    server = Smtp()
    yield server
    server.controller.stop()


@pytest.fixture
def pdfs(tmp_path):
    return write_pdfs(tmp_path)
