"""The fulfilment hooks, driven by a probe plugin through the product paths that call them: the contact
form's documents (``ccctl_contact_form_documents``), rows added to ``callback list``
(``ccctl_list_callbacks``) and inbound contacts (``ccctl_customer_contacted``); each reaches only the
tenants that enable the probe."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from ccctl.context import App
from ccctl.db.models import WorkItem
from ccctl.hookspecs import hookimpl
from ccctl.plugins import get_plugin_manager

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
T = ("-t", "voyages-lumiere")


class Probe:
    def __init__(self):
        self.heard = []

    @hookimpl
    def ccctl_contact_form_documents(self, tenant, language):
        self.heard.append(("documents", tenant.slug, language))
        return [{"name": "catalogue", "title": "Catalogue 2027", "send_by": "email"}]

    @hookimpl
    def ccctl_list_callbacks(self, state, limit, ctx):
        if state not in (None, "scheduled"):
            return []
        return [{"request": None, "item": 999, "customer": None, "name": "Probe", "phone": "+33600000000",
                 "slot": datetime(2030, 1, 2, 8, 0, tzinfo=UTC), "state": "scheduled", "attempts": None,
                 "source": "probe", "reason": "probe follow-up", "context": {"sent": "catalogue"}}]

    @hookimpl
    def ccctl_item_created(self, item, ctx):
        self.heard.append(("created", item.customer_id))

    @hookimpl
    def ccctl_customer_contacted(self, customer_ids, channel, ctx):
        self.heard.append(("contacted", tuple(customer_ids), channel, ctx.tenant.slug))


@pytest.fixture
def probed(ccctl_with, db_url, tmp_path):
    probe = Probe()
    pm = get_plugin_manager(extra=[("probe", probe)])
    run = ccctl_with(pm)
    folder = tmp_path / "clients"
    folder.mkdir()
    for source in (EXAMPLES / "clients").glob("*.yaml"):
        text = source.read_text(encoding="utf-8")
        if source.stem == "voyages-lumiere":
            text = text.rstrip("\n") + "\n  probe:\n    enabled: true\n"
        (folder / source.name).write_text(text, encoding="utf-8")
    run("tenant", "apply", "-f", str(folder))
    return run, probe, App(pm, db_url)


def test_the_contact_form_offers_what_the_tenant_s_plugins_offer(probed):
    _run, probe, app = probed
    with TestClient(create_app(app)) as client:
        page = client.get("/t/voyages-lumiere/contact")
        assert '<option value="catalogue">Catalogue 2027</option>' in page.text
        other = client.get("/t/assurance-horizon/contact")
        assert 'name="brochure"' not in other.text  # the probe is not enabled there
        hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
        sent = client.post("/t/voyages-lumiere/contact", follow_redirects=False, data={
            **hidden, "name": "Jean", "email": "jean@example.org", "message": "Le catalogue svp",
            "brochure": "catalogue"})
        assert sent.status_code == 303
    assert ("documents", "voyages-lumiere", "fr") in probe.heard
    assert all(slug == "voyages-lumiere" for kind, slug, *_ in probe.heard if kind == "documents")
    with app.session() as s:
        [attributes] = s.scalars(select(WorkItem.attributes).where(WorkItem.channel == "web")).all()
    assert (attributes["brochure"], attributes["language"]) == ("catalogue", "fr")


def test_callback_list_shows_the_plugin_s_rows_in_the_tenant_s_zone(probed):
    run, _probe, _app = probed
    [row] = run.json("callback", "list", *T)
    assert (row["source"], row["slot"], row["context"]) == ("probe", "2030-01-02T08:00:00+00:00",
                                                            {"sent": "catalogue"})
    assert "2030-01-02 09:00 CET" in run("callback", "list", *T, "--format", "table").stdout
    assert run.json("callback", "list", *T, "--state", "cancelled") == []
    assert run.json("callback", "list", "-t", "assurance-horizon") == []


def test_an_inbound_mail_is_heard_as_a_contact_before_its_item(probed):
    run, probe, app = probed
    run("email", "ingest", str(EXAMPLES / "mail" / "annulation.eml"), *T, "--no-ack")
    with app.session() as s:
        [customer] = s.scalars(select(WorkItem.customer_id).where(WorkItem.channel == "email")).all()
    assert [h for h in probe.heard if h[0] in ("contacted", "created")] == [
        ("contacted", (customer,), "email", "voyages-lumiere"), ("created", customer)]


def create_app(app):
    from ccctl.web.app import create_web_app

    return create_web_app(app)
