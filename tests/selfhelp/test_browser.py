"""Real headless chromium (the shared ``browser``/``page`` fixtures): search and vote on the served
FAQ, search on the static site from file:// and from ``python -m http.server``."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import urllib.request

import pytest

from .conftest import TENANT

pytestmark = pytest.mark.browser


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
def http_server(folder):
    """``python -m http.server`` on 127.0.0.1 serving ``folder``, as a client might host the site."""
    from support.live_server import free_port

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                "--directory", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):  # until it answers (at most ~10 s)
            try:
                urllib.request.urlopen(base + "/index.html", timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


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
    with http_server(out) as base:
        check_static_search(page, f"{base}/index.html")
