"""The hooks added this round, each driven through the product path that fires it.

A probe plugin, enabled for the tenant like any other, records what it hears and answers
where the hook takes an answer; command hooks that built-in plugins implement are called
with ``call_hook`` on a real tenant and their rows checked.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from ccctl.context import App
from ccctl.db.models import WorkItem
from ccctl.hookspecs import hookimpl
from ccctl.plugins import call_hook, get_plugin_manager
from ccctl.web.app import create_web_app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
T = ("-t", "voyages-lumiere")


class Probe:
    def __init__(self):
        self.heard = []

    @hookimpl
    def ccctl_item_assigned(self, item, agent, ctx):
        self.heard.append(("assigned", item.id, agent))

    @hookimpl
    def ccctl_item_claimed(self, item, agent, ctx):
        self.heard.append(("claimed", item.id, agent))
        return {"probe_seen": agent}

    @hookimpl
    def ccctl_kpi_columns(self, period, by, ctx):
        return {"columns": ["probe_calls"], "rows": {"total": {"probe_calls": 7}}}

    @hookimpl
    def ccctl_customer_context(self, customer, ctx):
        return [{"time": datetime(2026, 12, 1, 9, tzinfo=UTC), "source": "probe", "what": "viewed",
                 "detail": "Lisbonne"}]

    @hookimpl
    def ccctl_tenant_status(self, app, tenant, report):
        report("probe", True, f"probe checked {tenant.slug}")

    @hookimpl
    def ccctl_channel_event(self, name, data, ctx):
        self.heard.append(("event", name))

    @hookimpl
    def ccctl_customer_merged(self, source, target, ctx):
        return {"probe_rows": [source.id, 41]}

    @hookimpl
    def ccctl_customer_unmerged(self, source, target, moved, ctx):
        self.heard.append(("unmerged", source.id, target.id, moved))

    @hookimpl
    def ccctl_item_send(self, item, what, ctx):
        return f"probe sent {what.split(':', 1)[1]} for item {item.id}" if what.startswith("probe:") else None

    @hookimpl
    def ccctl_item_answered(self, item, channel, ctx):
        self.heard.append(("answered", item.id, channel))

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
def probed(ccctl_with, tmp_path, monkeypatch):
    """The example clients, voyages-lumiere enabling the probe too; the runner and the probe."""
    monkeypatch.setenv("VL_SITE_KEY", "a-site-key-for-tests-only")
    probe = Probe()
    pm = get_plugin_manager(extra=[("probe", probe)])
    run = ccctl_with(pm)
    folder = tmp_path / "clients"
    folder.mkdir()
    for source in (EXAMPLES / "clients").glob("*.yaml"):
        text = source.read_text(encoding="utf-8")
        if source.stem == "voyages-lumiere":
            text = text.rstrip("\n") + "\n  probe:\n    enabled: true\n"
            # Open round the clock, no holidays: a call-back "as soon as possible" can be booked whenever
            # the test runs.
            text = text.replace('  mon-fri: ["09:00-13:00", "14:00-19:00"]\n  sat: "10:00-13:00"\n',
                                '  mon-sun: ["00:00-24:00"]\n').replace("holidays: FR\n", "holidays: null\n")
        (folder / source.name).write_text(text, encoding="utf-8")
    run("tenant", "apply", "-f", str(folder))
    run("customer", "import", str(EXAMPLES / "customers-voyages.csv"), *T)
    run("agent", "add", "marie", "--skill", "claims,booking,fr", "--serves", "voyages-lumiere")
    return run, probe, pm


def _mail_item(run) -> int:
    run("email", "ingest", str(EXAMPLES / "mail" / "annulation.eml"), *T, "--no-ack")
    return run.json("queue", "list", *T)[0]["id"]


def test_a_claim_is_announced_as_assigned_and_claimed(probed):
    run, probe, _pm = probed
    item = _mail_item(run)
    claimed = run.json("queue", "next", "--agent", "marie")
    assert claimed["id"] == item and claimed["probe_seen"] == "marie"  # the claimed hook's answer is shown
    assert [h for h in probe.heard if h[0] in ("assigned", "claimed")] == [
        ("assigned", item, "marie"), ("claimed", item, "marie")]


def test_kpi_columns_context_and_status_come_from_the_plugin(probed):
    run, _probe, _pm = probed
    report = run.json("report", "kpi", *T, "--from", "2026-11-01", "--to", "2026-11-02")
    assert report["rows"][-1]["probe_calls"] == 7 and report["rows"][0]["probe_calls"] is None  # empty cell
    elodie = run.json("customer", "find", "06 12 34 56 78", *T)[0]["id"]
    context = run.json("customer", "show", str(elodie), *T)["context"]
    assert context == [{"time": "2026-12-01T09:00:00+00:00", "source": "probe", "what": "viewed",
                        "detail": "Lisbonne"}]
    status = run("status", *T, "--no-probe", "--format", "json", code=1)  # the examples' Twilio secrets are unset
    import json

    checks = {row["check"]: row for row in json.loads(status.stdout)}
    assert (checks["probe"]["status"], checks["probe"]["detail"]) == ("ok", "probe checked voyages-lumiere")


def test_a_booked_call_back_is_a_channel_event(probed):
    run, probe, _pm = probed
    slot = run.json("callback", "slots", "--open", "--days", "8", *T)[0]["start"]
    run("callback", "request", *T, "--phone", "06 98 76 54 32", "--name", "Jean-Luc", "--slot", slot)
    assert ("event", "callback.booked") in probe.heard


def test_an_unmerge_hands_each_plugin_back_what_it_moved(probed, app):
    run, probe, _pm = probed
    pair = run.json("customer", "duplicates", *T)[0]
    source, target = pair["customer_b"], pair["customer_a"]
    rows = _plugin_rows(app, source)  # a voice call, a site webhook event, a fulfilment request
    merged = run.json("customer", "merge", str(source), str(target), *T)
    assert _owners(app, rows) == {name: target for name in rows}
    run("customer", "unmerge", str(merged["merge_id"]), *T)
    assert ("unmerged", source, target, {"probe_rows": [source, 41]}) in probe.heard
    assert _owners(app, rows) == {name: source for name in rows}  # before: left on the target


def _plugin_rows(app, customer_id: int) -> dict[str, tuple[type, int]]:
    """One row of each plugin that keeps its own per-customer rows, for ``customer_id``."""
    from ccctl.db.models import Tenant
    from ccctl_fulfil.models import FulfilRequest
    from ccctl_site.models import WebhookEvent
    from ccctl_voice.models import VoiceCall

    with app.transaction() as session:
        tenant = session.scalar(select(Tenant.id).where(Tenant.slug == "voyages-lumiere"))
        made = {"voice": VoiceCall(tenant_id=tenant, call_sid="CA" + "7" * 32, customer_id=customer_id),
                "site": WebhookEvent(tenant_id=tenant, customer_id=customer_id, event_id="e" * 36, webhook="crm",
                                     event_type="item.created", payload={}),
                "fulfil": FulfilRequest(tenant_id=tenant, customer_id=customer_id, item_id=1, document="japon",
                                        language="fr", method="email", state="sent")}
        session.add_all(made.values())
        session.flush()
        return {name: (type(row), row.id) for name, row in made.items()}


def _owners(app, rows: dict[str, tuple[type, int]]) -> dict[str, int]:
    with app.session() as session:
        return {name: session.get(model, row_id).customer_id for name, (model, row_id) in rows.items()}


def test_close_send_uses_the_plugin_that_sends_it(probed):
    run, _probe, _pm = probed
    item = _mail_item(run)
    run("queue", "next", "--agent", "marie")
    closed = run("item", "close", str(item), "--outcome", "info-sent", "--send", "probe:guide", "--agent", "marie",
                 *T)
    assert f"probe sent guide for item {item}" in closed.stderr
    refused = run("item", "close", str(item), "--outcome", "info-sent", "--send", "nobody:x", "--agent", "marie",
                  *T, code=2)
    assert "no plugin enabled for tenant voyages-lumiere sends that" in refused.stderr


def test_built_in_command_hooks_do_their_work(probed, app):
    run, probe, pm = probed
    item_id = _mail_item(run)
    with app.session() as session:
        tenant = app.tenant(session, "voyages-lumiere")
        ctx = app.context(session, tenant)
        ctx.app.pm = pm
        item = session.get(WorkItem, item_id)
        # The callback plugin books a call-back that keeps the caller's place: due as if asked an hour ago.
        asked = datetime.now(UTC) - timedelta(hours=1)
        [(name, callback_item)] = [(n, r) for n, r in call_hook(ctx, "ccctl_request_callback", phone="06 11 22 33 44",
                                                                 name="Ana", customer_id=None, due_at=asked,
                                                                 reason="rappel", context={}, idempotency_key="k1")
                                   if r is not None]
        assert name == "callback" and session.get(WorkItem, callback_item).channel == "callback"
        # No SMTP for this tenant: the email plugin declines to queue a mail rather than fail.
        assert [r for _n, r in call_hook(ctx, "ccctl_send_email", item=item, to="x@example.fr", subject="s",
                                         body="b", attachments=[], kind="test")] == [None]
        call_hook(ctx, "ccctl_item_answered", item=item, channel="email")
        session.rollback()
    assert ("answered", item_id, "email") in probe.heard


@pytest.fixture
def probed_app(probed, db_url):
    """An App on the probe's plugin manager (for ccctl serve's app and reading rows back)."""
    app = App(probed[2], db_url)
    yield app
    app.close()


def test_the_contact_form_offers_what_the_tenant_s_plugins_offer(probed, probed_app):
    _run, probe, _pm = probed
    app = probed_app
    with TestClient(create_web_app(app)) as client:
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
    run, _probe, _pm = probed
    [row] = run.json("callback", "list", *T)
    assert (row["source"], row["slot"], row["context"]) == ("probe", "2030-01-02T08:00:00+00:00",
                                                            {"sent": "catalogue"})
    assert "2030-01-02 09:00 CET" in run("callback", "list", *T, "--format", "table").stdout
    assert run.json("callback", "list", *T, "--state", "cancelled") == []
    assert run.json("callback", "list", "-t", "assurance-horizon") == []


def test_an_inbound_mail_is_heard_as_a_contact_before_its_item(probed, probed_app):
    run, probe, _pm = probed
    app = probed_app
    run("email", "ingest", str(EXAMPLES / "mail" / "annulation.eml"), *T, "--no-ack")
    with app.session() as s:
        [customer] = s.scalars(select(WorkItem.customer_id).where(WorkItem.channel == "email")).all()
    assert [h for h in probe.heard if h[0] in ("contacted", "created")] == [
        ("contacted", (customer,), "email", "voyages-lumiere"), ("created", customer)]
