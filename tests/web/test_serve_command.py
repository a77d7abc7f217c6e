"""`ccctl serve` as operators run it (its own process), its options, and `ccctl serve snippet`."""

from __future__ import annotations

import httpx
import pytest

from ccctl.web.app import create_web_app
from ccctl.web.settings import WebSettings

from .test_contact_form import GOOD, TENANT, Visitor


def test_rate_limit_per_ip_gives_429(db_url, example_tenants):
    from support.live_server import running_server

    with running_server(db_url, "--rate-limit", "3/3600") as base:
        with httpx.Client(base_url=base) as client:
            codes = [client.get(f"/t/{TENANT}/contact").status_code for _ in range(4)]
            assert codes == [200, 200, 200, 429]
            refused = client.post(f"/t/{TENANT}/contact", data=GOOD)
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
            assert client.get("/health").status_code == 200  # load balancers are never limited


def test_max_body_option_gives_413(db_url, example_tenants):
    from support.live_server import running_server

    with running_server(db_url, "--max-body", "1k") as base:
        visitor = Visitor(base)
        visitor.load()
        assert visitor.post({**GOOD, "message": "x" * 2000}).status_code == 413
        assert visitor.post(GOOD).status_code == 303


def test_two_workers_take_concurrent_submissions(app, db_url, example_tenants):
    """Forms loaded from one worker are accepted by the other (one CSRF key), and concurrent writes
    from both workers all succeed (no "database is locked" on SQLite)."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func, select

    from ccctl.db.models import WorkItem
    from support.live_server import running_server

    def visitor_submits(base: str, n: int) -> list[int]:
        codes = []
        for k in range(4):
            visitor = Visitor(base)
            visitor.load()
            cookies = visitor.client.cookies
            visitor.client.close()  # the post goes on a new connection, maybe to the other worker
            visitor.client = httpx.Client(base_url=base, cookies=cookies)
            codes.append(visitor.post({**GOOD, "email": f"visitor{n}.{k}@example.org"}).status_code)
            visitor.client.close()
        return codes

    with running_server(db_url, "--workers", "2", "--rate-limit", "0") as base:
        with ThreadPoolExecutor(8) as pool:
            codes = [c for batch in pool.map(lambda n: visitor_submits(base, n), range(8)) for c in batch]
    assert codes == [303] * 32
    with app.session() as s:
        assert s.scalar(select(func.count()).select_from(WorkItem).where(WorkItem.channel == "web")) == 32


@pytest.mark.parametrize("trusted, expected", [
    (("127.0.0.1",), [200, 200, 429, 200]),   # X-Forwarded-For believed: two clients
    ((), [200, 200, 429, 429]),               # not believed: all from 127.0.0.1
])
def test_rate_limit_counts_the_forwarded_client_only_from_trusted_proxies(app, example_tenants, trusted, expected):
    from support.live_server import threaded_server

    settings = WebSettings(rate_limit=2, rate_window=3600, trusted_proxies=trusted)
    with threaded_server(create_web_app(app, settings)) as base:
        url = base + f"/t/{TENANT}/embed.js"
        hops = ["10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2"]
        codes = [httpx.get(url, headers={"X-Forwarded-For": hop}).status_code for hop in hops]
    assert codes == expected


def test_snippet(example_tenants):
    out = example_tenants("serve", "snippet", "-t", TENANT, "--base-url", "https://cc.example.com/").stdout
    assert f'<div id="ccctl-contact-{TENANT}"></div>' in out
    assert f'<script src="https://cc.example.com/t/{TENANT}/embed.js" async></script>' in out
    iframe = example_tenants("serve", "snippet", "-t", TENANT, "--iframe").stdout
    assert f'src="http://127.0.0.1:8080/t/{TENANT}/contact?embed=1"' in iframe


def test_snippet_for_unknown_tenant(example_tenants):
    result = example_tenants("serve", "snippet", "-t", "nobody", code=2)
    assert "no tenant 'nobody'" in result.output


@pytest.mark.parametrize("args, message", [
    (["--max-body", "lots"], "'lots' is not a size"),
    (["--rate-limit", "fast"], "'fast' is not a rate"),
    (["--rate-limit", "-5/60"], "'-5/60' is not a rate"),
    (["--rate-limit", "5/0"], "'5/0' is not a rate"),
    (["--trust-proxy", "my-proxy"], "'my-proxy' is not an IP address or CIDR"),
    (["--workers", "0"], "--workers"),
    (["--public-url", "cc.example.com"], "'cc.example.com' is not a URL"),
])
def test_bad_options_exit_2(ccctl, args, message):
    result = ccctl("serve", *args, code=2)
    assert message in result.output


def test_port_in_use_is_a_plain_error(ccctl):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = ccctl("serve", "--host", "127.0.0.1", "--port", str(port), code=1)
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.output
