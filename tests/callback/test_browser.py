"""The call-back form in headless chromium against a real `ccctl serve`: pick an open slot, submit."""

from __future__ import annotations

import shutil

import pytest
from callback_helpers import slot_utc, tomorrow
from sqlalchemy import select

from ccctl_callback.models import CallbackRequest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.browser


@pytest.fixture
def browser_page():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        pytest.skip("chromium is not installed (scripts/install-test-deps.sh installs it)")
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield browser.new_page()
        finally:
            browser.close()


def test_visitor_books_an_open_slot_in_chromium(cb, live_server, browser_page, app):
    full = tomorrow(16, 0)
    for phone in ("0612345601", "0612345602"):
        cb("callback", "request", "-t", "rappel", "--phone", phone, "--slot", full)
    page = browser_page
    console_errors = []
    page.on("console", lambda message: "Content Security Policy" in message.text and console_errors.append(message.text))
    page.goto(f"{live_server}/t/rappel/callback?page=https%3A%2F%2Fvoyages.example%2Frome&ref=AMI7")
    values = page.eval_on_selector_all("#slot option", "options => options.map(o => o.value)")
    assert slot_utc(full).isoformat() not in values
    wanted = slot_utc(tomorrow(16, 30)).isoformat()
    assert wanted in values

    page.fill("#phone", "12")
    page.check("#when-slot")
    page.select_option("#slot", wanted)
    page.click("button[type=submit]")
    assert page.inner_text("#error") == "Ce numéro de téléphone n'est pas valide."  # fr_FR tenant

    page.fill("#phone", "06 55 44 33 22")
    page.fill("#name", "Inès Laurent")
    page.fill("#reason", "Question sur le vol retour")
    page.check("#when-slot")
    page.select_option("#slot", wanted)
    page.click("button[type=submit]")
    page.wait_for_selector("#done")
    assert console_errors == []  # the page kit's CSP refused nothing the pages need
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "512px"  # that style applied
    assert tomorrow(16, 30).split()[1] in page.inner_text("#when")

    with app.session() as s:
        stored = s.scalar(select(CallbackRequest).where(CallbackRequest.phone == "+33655443322"))
    assert stored.name == "Inès Laurent" and stored.slot_start == slot_utc(tomorrow(16, 30))
    assert stored.context["page"] == "https://voyages.example/rome" and stored.referral_code == "AMI7"
    assert stored.source == "web"
