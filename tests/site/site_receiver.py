"""A real webhook receiver on loopback: records what it is sent, checks signatures, fails on demand."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ccctl_site.signing import HEADER, BadSignature, verify


class Receiver:
    """``plan`` is consumed one answer per request: an int status, "slow" (answers after the
    client's timeout, having kept the event) or "drop" (closes the connection); then 200s."""

    def __init__(self, key: str) -> None:
        self.key, self.plan, self.received, self.refused = key, [], [], []
        self.lock = threading.Lock()

    def answer(self, headers, body: bytes):
        try:
            verify([self.key], headers.get(HEADER), body, max_skew=300)
        except BadSignature as exc:
            self.refused.append(str(exc))
            return 401
        with self.lock:
            step = self.plan.pop(0) if self.plan else 200
            if step in (200, "slow"):
                self.received.append((headers["X-Ccctl-Event-Id"], json.loads(body)))
        return step


@contextlib.contextmanager
def receiving(key: str):
    """Yield (receiver, url)."""
    receiver = Receiver(key)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            step = receiver.answer(self.headers, body)
            if step == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if step == "slow":
                time.sleep(2.5)  # longer than the webhook's 2 s timeout
                step = 200
            self.send_response(step)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
