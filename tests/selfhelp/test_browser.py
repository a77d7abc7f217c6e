"""Real headless chromium: search and vote on the served FAQ, search on the static site
(from file:// and from a plain local HTTP server)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading

import pytest

from .conftest import TENANT

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    from web.browser import launch

    with sync_api.sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def result_titles(page):
    return page.locator("#results li a").all_inner_texts()


def test_search_and_vote_on_the_served_faq(faq, live_server, page):
    page.goto(f"{live_server}/t/{TENANT}/faq")
    page.fill("#q", "valise perdue aéroport")
    page.press("#q", "Enter")
    page.wait_for_url("**/faq?q=*")
    assert result_titles(page)[0] == "Mes bagages sont perdus, retardés ou endommagés"
    page.click("#results li a >> nth=0")
    page.wait_for_url("**/faq/bagages-perdus")
    page.click("#vote-yes")
    page.wait_for_selector("#thanks")
    stats = {r["slug"]: r for r in faq.json("faq", "stats", "-t", TENANT)}["bagages-perdus"]
    assert stats["views"] == 1 and stats["helpful"] == 1
    page.goto(f"{live_server}/t/{TENANT}/faq?q=piscine+chauffée")
    assert page.locator("#no-results").is_visible() and result_titles(page) == []
    assert faq.json("faq", "gaps", "-t", TENANT)[0]["query"] == "piscine chauffée"


@contextlib.contextmanager
def static_server(folder):
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def check_static_search(page, index_url):
    page.goto(index_url)
    assert page.locator("#all-articles").is_visible()
    page.fill("#q", "remboursement annulation")  # search as you type
    page.wait_for_selector("#results li")
    assert result_titles(page)[0] == "Sous quel délai suis-je remboursé après une annulation ?"
    assert not page.locator("#all-articles").is_visible()
    page.fill("#q", "Passeport")
    page.press("#q", "Enter")
    assert result_titles(page)[0] == "Passeport, visa : quels documents pour voyager ?"
    page.fill("#q", "jacuzzi")
    assert page.locator("#no-results").is_visible() and result_titles(page) == []
    page.goto(index_url + "?q=refunds")
    page.wait_for_selector("#results li")
    assert result_titles(page)[0] == "When will I get my refund?"
    page.click("#results li a >> nth=0")
    assert page.locator("h1").inner_text() == "When will I get my refund?"


def test_static_site_search_from_file_and_http(faq, tmp_path, page):
    out = tmp_path / "site"
    faq("faq", "build", "--out", str(out), "-t", TENANT)
    check_static_search(page, (out / "index.html").as_uri())
    with static_server(out) as base:
        check_static_search(page, f"{base}/index.html")
