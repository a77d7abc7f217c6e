"""Who the client is and which URL it called, with and without trusted proxies."""

from __future__ import annotations

import pytest

from ccctl.web.proxy import client_ip, external_url
from ccctl.web.settings import WebSettings


def scope(peer: str, headers: dict[str, str], path: str = "/t/x/sms/status", query: bytes = b"") -> dict:
    return {"type": "http", "client": (peer, 5555), "scheme": "http", "server": ("10.0.0.5", 8080),
            "path": path, "raw_path": path.encode(), "query_string": query,
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}


TRUSTED = WebSettings(trusted_proxies=("10.0.0.0/8", "127.0.0.1"))


@pytest.mark.parametrize("peer, forwarded, settings, expected", [
    ("203.0.113.9", "", WebSettings(), "203.0.113.9"),
    ("203.0.113.9", "1.2.3.4", WebSettings(), "203.0.113.9"),          # untrusted peer: header ignored
    ("127.0.0.1", "1.2.3.4", WebSettings(), "127.0.0.1"),               # no proxy configured
    ("10.0.0.2", "198.51.100.7", TRUSTED, "198.51.100.7"),
    ("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.3", TRUSTED, "198.51.100.7"),  # spoofed first hop skipped
    ("10.0.0.2", "", TRUSTED, "10.0.0.2"),
    ("10.0.0.2", "not-an-ip, 10.0.0.9", TRUSTED, "not-an-ip"),          # garbage is its own bucket
])
def test_client_ip(peer, forwarded, settings, expected):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    assert client_ip(scope(peer, headers), settings) == expected


def test_external_url_from_trusted_proxy_headers():
    s = scope("10.0.0.2", {"Host": "10.0.0.5:8080", "X-Forwarded-Proto": "https",
                           "X-Forwarded-Host": "cc.example.com"}, query=b"a=1&b=%2F")
    assert external_url(s, TRUSTED) == "https://cc.example.com/t/x/sms/status?a=1&b=%2F"


def test_external_url_ignores_forwarded_headers_from_others():
    s = scope("203.0.113.9", {"Host": "10.0.0.5:8080", "X-Forwarded-Proto": "https",
                              "X-Forwarded-Host": "evil.example"})
    assert external_url(s, TRUSTED) == "http://10.0.0.5:8080/t/x/sms/status"


def test_public_url_wins():
    s = scope("10.0.0.2", {"Host": "internal:8080", "X-Forwarded-Host": "other.example"})
    assert external_url(s, WebSettings(public_url="https://cc.example.com/")) == \
        "https://cc.example.com/t/x/sms/status"


def test_raw_path_keeps_percent_escapes():
    s = scope("203.0.113.9", {"Host": "h"}, path="/t/x/a b")
    s["raw_path"] = b"/t/x/a%20b"
    assert external_url(s, WebSettings()) == "http://h/t/x/a%20b"
