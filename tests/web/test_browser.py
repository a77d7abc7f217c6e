"""A visitor in real headless chromium fills the contact form (on the ccctl site and embedded in a
client's page); the request lands in the tenant's queue with its customer and history."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ccctl.db.models import ContactPoint, Interaction, WorkItem
from ccctl.web.embed import script_snippet

from support.browser import client_site

pytestmark = pytest.mark.browser
TENANT = "voyages-lumiere"


def web_items(app) -> list[WorkItem]:
    with app.session() as s:
        return list(s.scalars(select(WorkItem).where(WorkItem.channel == "web").order_by(WorkItem.id)))


def fill(target, name="Élodie Martin", email="elodie.martin@example.org", phone="06 12 34 56 78",
         message="Je voudrais un devis pour Lisbonne en mai."):
    """Type into the form in ``target`` (a page, or the embed's iframe) and send it."""
    for selector, value in (("#name", name), ("#email", email), ("#phone", phone), ("#message", message)):
        target.locator(selector).fill(value)
    target.locator("button[type=submit]").click()


def test_visitor_fills_form_and_item_is_queued(app, example_tenants, live_server, page):
    console_errors = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    page.goto(f"{live_server}/t/{TENANT}/contact?ref=PARTNER42")
    assert page.locator("h1").inner_text() == "Contacter Voyages Lumière"  # fr_FR tenant
    assert page.evaluate("getComputedStyle(document.querySelector('button')).color") == "rgb(255, 255, 255)"
    fill(page)
    page.wait_for_selector("#thanks")
    assert page.url.endswith(f"/t/{TENANT}/contact/thanks")
    assert console_errors == []  # e.g. no Content-Security-Policy refusals of our own style
    [item] = web_items(app)
    assert item.queue == "reservations"  # the tenant's first queue (routing's default)
    assert item.body == "Je voudrais un devis pour Lisbonne en mai."
    assert item.attributes["referral_code"] == "PARTNER42"
    assert item.attributes["user_agent"]
    with app.session() as s:
        contacts = {(c.kind, c.value) for c in s.scalars(
            select(ContactPoint).where(ContactPoint.customer_id == item.customer_id))}
        assert contacts == {("email", "elodie.martin@example.org"), ("phone", "+33612345678")}
        [event] = s.scalars(select(Interaction).where(Interaction.item_id == item.id,
                                                      Interaction.channel == "web"))
        assert event.customer_id == item.customer_id and event.direction == "in"
        assert event.payload["message"] == item.body


def test_referral_code_is_remembered_by_cookie(app, example_tenants, live_server, page):
    page.goto(f"{live_server}/t/{TENANT}/contact?ref=SUMMER-24")
    page.goto(f"{live_server}/t/{TENANT}/contact")  # later visit, no ?ref=
    fill(page)
    page.wait_for_selector("#thanks")
    [item] = web_items(app)
    assert item.attributes["referral_code"] == "SUMMER-24"


def test_bad_input_shows_errors_and_keeps_what_was_typed(app, example_tenants, live_server, page):
    page.goto(f"{live_server}/t/{TENANT}/contact")
    fill(page, email="not-an-email", phone="12")
    page.wait_for_selector("#errors")
    assert page.text_content("#email-error") == "Cette adresse e-mail n'est pas valide."
    assert page.text_content("#phone-error") == "Ce numéro de téléphone n'est pas valide."
    assert page.input_value("#name") == "Élodie Martin"
    assert page.input_value("#message") == "Je voudrais un devis pour Lisbonne en mai."
    assert web_items(app) == []
    # Corrected, the same form goes through.
    page.fill("#email", "elodie.martin@example.org")
    page.fill("#phone", "")
    page.click("button[type=submit]")
    page.wait_for_selector("#thanks")
    assert len(web_items(app)) == 1


def test_embedded_form_on_a_client_site(app, example_tenants, live_server, page):
    snippet = script_snippet(live_server, TENANT)
    with client_site(f"<html><body><h1>Our offers</h1>{snippet}</body></html>") as site:
        page.goto(site + "?ref=NEWSLETTER")
        frame = page.frame_locator("iframe")
        frame.locator("#name").wait_for()
        # The form tells the page its height (postMessage) and the snippet sizes the iframe to it.
        page.wait_for_function("document.querySelector('iframe').style.height.endsWith('px')")
        assert page.evaluate("document.querySelector('iframe').getBoundingClientRect().height") > 300
        fill(frame)
        frame.locator("#thanks").wait_for()
    [item] = web_items(app)
    assert item.attributes["referral_code"] == "NEWSLETTER"
    assert item.attributes["page"] == site + "?ref=NEWSLETTER"
    assert item.attributes["embed"] is True


def test_a_hostile_tenant_name_runs_no_code_on_the_client_site(app, ccctl, live_server, page, tmp_path):
    """embed.js carries the tenant name as JSON only: a name closing a comment or a string is just text."""
    import json

    name = 'Evil */ window.pwned = 1; /* " + (window.pwned = 2) + " </script><script>window.pwned = 3</script>'
    (tmp_path / "evil.yaml").write_text(
        "tenant: evil\nname: " + json.dumps(name) + "\nqueues: [{name: general}]\n", encoding="utf-8")
    ccctl("tenant", "apply", "-f", str(tmp_path / "evil.yaml"))
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    with client_site(f"<html><body>{script_snippet(live_server, 'evil')}</body></html>") as site:
        page.goto(site)
        page.frame_locator("iframe").locator("#name").wait_for()
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert page.evaluate("document.querySelector('iframe').title") == "Contacter " + name
        heading = page.frame_locator("iframe").locator("h1").inner_text()
    assert heading == "Contacter " + name and dialogs == []
