"""Headless Debian chromium driven by Playwright (never `playwright install`: the browser is /usr/bin/chromium).

The `browser` and `page` fixtures in tests/conftest.py use it; `client_site` serves a page of another origin."""

from __future__ import annotations

import contextlib
import http.server
import shutil
import threading
from collections.abc import Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def launch(playwright):
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} missing: run scripts/install-test-deps.sh")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


@contextlib.contextmanager
def client_site(html: str) -> Iterator[str]:
    """A client's web page (another origin: its own port on 127.0.0.1) showing ``html``; yields its URL."""
    body = html.encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/offers.html"
    finally:
        server.shutdown()
        server.server_close()
