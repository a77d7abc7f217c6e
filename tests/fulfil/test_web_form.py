"""The contact form offers the tenant's brochures (through ccctl_contact_form_documents): a visitor who
picks one gets it e-mailed through a real SMTP server (aiosmtpd), or batched for post, and a follow-up."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from starlette.testclient import TestClient

from ccctl.db.models import WorkItem
from ccctl.web.app import create_web_app
from fulfil_helpers import PDF, apply

GOOD = {"name": "Anna Petit", "email": "anna@example.fr", "phone": "", "message": "Je voudrais la brochure"}
NO_FULFIL = """tenant: sans
name: Sans
timezone: Europe/Paris
plugins:
  email: {enabled: true, addresses: [contact@sans.test]}
"""


@pytest.fixture
def client(app, ccctl, tmp_path, pdfs, smtp_server):
    apply(ccctl, tmp_path / "clients", pdfs, smtp_port=smtp_server.port)
    (tmp_path / "clients" / "sans.yaml").write_text(NO_FULFIL, encoding="utf-8")
    ccctl("tenant", "apply", "-f", str(tmp_path / "clients"))
    with TestClient(create_web_app(app)) as test_client:
        yield test_client


def load(client, tenant="voyages"):
    page = client.get(f"/t/{tenant}/contact")
    assert page.status_code == 200
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    return page, hidden


def post(client, fields, tenant="voyages"):
    _page, hidden = load(client, tenant)
    return client.post(f"/t/{tenant}/contact", data={**hidden, **fields}, follow_redirects=False)


def options(html: str) -> dict[str, str]:
    select_ = re.search(r'<select id="brochure" name="brochure".*?</select>', html, re.S)
    return dict(re.findall(r'<option value="(\w*)"[^>]*>([^<]*)</option>', select_.group(0))) if select_ else {}


def error(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="{field}-error">([^<]+)</p>', html)
    return found.group(1) if found else ""


def items(app, **where) -> list[WorkItem]:
    with app.session() as s:
        return list(s.scalars(select(WorkItem).filter_by(**where).order_by(WorkItem.id)))


def test_the_form_offers_the_tenant_s_brochures_only_where_fulfil_is_on(client):
    page, _hidden = load(client)
    assert options(page.text) == {"": "Pas de brochure, merci", "japon": "Circuit Japon",
                                  "perou": "Pérou en liberté (par courrier)"}
    csp = page.headers["content-security-policy"]
    assert "script-src 'nonce-" in csp and "frame-ancestors 'none'" in csp  # the page kit's headers, still
    assert 'name="postcode"' in page.text
    other, _ = load(client, "sans")
    assert options(other.text) == {} and 'name="postcode"' not in other.text


def test_a_brochure_asked_on_the_form_is_mailed_with_the_pdf_and_followed_up(app, ccctl, client, smtp_server):
    sent = post(client, {**GOOD, "brochure": "japon"})
    assert sent.status_code == 303, sent.text
    [request] = items(app, channel="web")
    assert (request.state, request.outcome) == ("closed", "info-sent")
    assert request.attributes["brochure"] == "japon" and request.attributes["language"] == "fr"
    ccctl("email", "send", "-t", "voyages")
    [message] = smtp_server.messages
    assert message["To"] == "anna@example.fr" and message["Subject"].startswith("Votre brochure Circuit Japon")
    [attachment] = list(message.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content()) == ("japon-fr.pdf", PDF + b"japon-fr")
    [follow] = items(app, channel="fulfil")
    assert follow.state == "open" and follow.attributes["follow_up_of"] == request.id
    assert "Je voudrais la brochure" in follow.body


def test_an_unknown_brochure_is_a_form_error_and_stores_nothing(app, client):
    for tenant, name in (("voyages", "chine"), ("voyages", "../japon"), ("sans", "japon")):
        refused = post(client, {**GOOD, "brochure": name}, tenant)
        assert refused.status_code == 400, (tenant, name)
        assert "pas proposé" in error(refused.text, "brochure")  # the tenant is fr_FR
    assert items(app) == []


def test_a_postal_brochure_needs_an_address_then_goes_to_the_mailing_batch(app, ccctl, client):
    missing = post(client, {**GOOD, "brochure": "perou", "postcode": "69003"})
    assert missing.status_code == 400 and "adresse postale" in error(missing.text, "address")
    assert 'value="69003"' in missing.text  # what was typed is kept
    by_email_without_email = post(client, {**GOOD, "email": "", "phone": "06 12 34 56 78", "brochure": "japon"})
    assert by_email_without_email.status_code == 400 and error(by_email_without_email.text, "address")
    too_long = post(client, {**GOOD, "brochure": "perou", "address": "x" * 201, "postcode": "1", "city": "Lyon"})
    assert too_long.status_code == 400 and error(too_long.text, "address")
    assert items(app) == []
    sent = post(client, {**GOOD, "brochure": "perou", "address": "3 rue des Lilas", "postcode": "69003",
                         "city": "Lyon"})
    assert sent.status_code == 303
    [row] = ccctl.json("fulfil", "list", "-t", "voyages")
    assert (row["document"], row["method"], row["state"]) == ("perou", "post", "batched")
    today = datetime.now(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%d")
    [line] = list(csv.DictReader(io.StringIO(ccctl("fulfil", "export", "-t", "voyages", "--date", today).stdout)))
    assert (line["name"], line["address"], line["postcode"], line["city"]) == ("Anna Petit", "3 rue des Lilas",
                                                                              "69003", "Lyon")


def test_a_forged_post_sends_nothing_and_a_plain_request_stays_for_an_agent(app, client, smtp_server):
    _page, hidden = load(client)
    forged = client.post("/t/voyages/contact", data={**hidden, **GOOD, "brochure": "japon", "csrf_token": "x"},
                         follow_redirects=False)
    assert forged.status_code == 403
    assert re.search(r'<option value="japon" selected>', forged.text)  # shown again, as chosen, to send again
    assert items(app) == []
    assert post(client, GOOD).status_code == 303  # no brochure asked: an information request like before
    [request] = items(app)
    assert request.state == "open" and "brochure" not in request.attributes and items(app, channel="fulfil") == []


@given(asked=st.one_of(st.sampled_from(["japon", "perou", "", " perou "]), st.text(max_size=50)), email=st.sampled_from(["", "anna@example.fr"]),
       address=st.lists(st.text(max_size=3), min_size=3, max_size=3))
def test_only_an_offered_document_passes_and_post_always_needs_the_whole_address(asked, email, address):
    from ccctl.web.contact_form import ContactForm, document_attributes, validate_document

    offered = [{"name": "japon", "title": "Japon", "send_by": "email"},
               {"name": "perou", "title": "Pérou", "send_by": "post"}]
    form = ContactForm(email=email, brochure=asked.strip(), address=address[0], postcode=address[1], city=address[2])
    errors = validate_document(form, offered)
    chosen = next((d for d in offered if d["name"] == form.brochure), None)
    assert ("brochure" in errors) == (bool(form.brochure) and chosen is None)
    needs_address = chosen is not None and (chosen["send_by"] == "post" or not email)
    assert ("address" in errors) == (needs_address and not all(address))
    attributes = document_attributes(form, "fr")
    assert attributes.get("brochure", "") == form.brochure and set(attributes) <= {
        "brochure", "language", "address", "postcode", "city"}
