"""Site events find their customer by the tenant's matching rules (as an import does): an external key
wins, then email, then phone; a shared phone alone never joins two people whose names differ, and a
conflict is shown (answer, history, log), never resolved by changing a stored person."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from ccctl.db.models import Interaction, Tenant
from site_helpers import apply_tenants, event

T = ("-t", "voyages")


def person(ccctl, customer_id: int) -> dict:
    return ccctl.json("customer", "show", str(customer_id), *T)


def history(app, customer_id: int, channel: str) -> list[Interaction]:
    with app.session() as session:
        return list(session.scalars(select(Interaction).where(
            Interaction.customer_id == customer_id, Interaction.channel == channel).order_by(Interaction.id)))


def test_two_people_sharing_a_phone_stay_two(app, post, tenants, caplog):
    marc = tenants.json("customer", "add", "Marc Petit", "--phone", "06 11 11 11 11", *T)["id"]
    before = person(tenants, marc)
    julie = {**event("evt-julie"), "customer": {"name": "Julie Petit", "phone": "+33 6 11 11 11 11"}}
    with caplog.at_level(logging.WARNING, logger="ccctl.site"):
        answer = post(julie)
    assert answer.status_code == 201, answer.text
    result = answer.json()
    assert result["customer"] != marc and result["conflict"] == {"kept_apart_from": [marc]}
    assert person(tenants, marc)["name"] == before["name"] and person(tenants, marc)["phones"] == before["phones"]
    assert history(app, marc, "site") == []  # the event is not Marc's
    [stored] = history(app, result["customer"], "site")
    assert stored.external_id == "event:evt-julie"
    [why] = history(app, result["customer"], "system")
    assert f"kept apart from customer {marc}" in why.summary and "shared phone" in why.summary
    assert why.payload["kept_apart_from"] == [marc]
    logged = [r.getMessage() for r in caplog.records if "evt-julie" in r.getMessage()]
    assert logged and "identity conflict" in logged[0] and "Julie" not in logged[0]  # ids only, no names
    again = post(julie)  # a retry of the same event: the same answer, nothing new
    assert again.status_code == 200 and again.json()["customer"] == result["customer"]


def test_the_same_name_on_a_shared_phone_is_the_same_person(app, post, tenants):
    marc = tenants.json("customer", "add", "Marc Petit", "--phone", "06 11 11 11 11", *T)["id"]
    answer = post({**event("evt-marc"), "customer": {"name": "MARC  petit", "phone": "0611111111",
                                                      "email": "marc@example.fr"}}).json()
    assert answer["customer"] == marc and "conflict" not in answer
    assert person(tenants, marc)["emails"] == ["marc@example.fr"]  # a new contact point is added to the match


def test_an_external_key_wins_over_email(app, post, ccctl, tmp_path, site_env):
    apply_tenants(ccctl, tmp_path, extra="customers:\n  external_keys: [customer_ref]\n")
    folder = tmp_path / "people.csv"
    folder.write_text("name,email,customer_ref\nAnna Petit,anna@example.fr,C-100\nAnna Petit,anna.p@example.com,C-200\n")
    ccctl("customer", "import", str(folder), *T)
    by_ref = {c["attributes"]["customer_ref"]: c["id"] for c in ccctl.json("customer", "list", *T)}
    answer = post({**event("evt-ref"), "customer": {"email": "anna@example.fr", "customer_ref": "C-200"}})
    assert answer.status_code == 201, answer.text
    # The key names customer C-200; anna@example.fr belongs to C-100: shown as a conflict, nobody changed.
    result = answer.json()
    assert "conflict" in result and by_ref["C-100"] in result["conflict"]["kept_apart_from"]
    clean = post({**event("evt-ref-2"), "customer": {"email": "new@example.fr", "customer_ref": "C-100"}}).json()
    assert clean["customer"] == by_ref["C-100"] and "conflict" not in clean
    assert "new@example.fr" in person(ccctl, by_ref["C-100"])["emails"]


def test_a_customer_field_the_tenant_does_not_know_is_a_422(post):
    answer = post({**event("evt-x"), "customer": {"email": "anna@example.fr", "vip": "yes"}})
    assert answer.status_code == 422 and answer.json()["field"] == "customer.vip"
    assert "customer_ref" in answer.json()["error"]


def test_a_batch_is_matched_in_order_with_a_few_statements(app, tenants, site_env):
    """The group writer's path: one batch, a new email twice (one customer), a known one, a conflict."""
    from sqlalchemy import event as sa_event

    from ccctl_site.config import site_config
    from ccctl_site.ingest import store_events
    from ccctl_site.schema import parse_event

    tenants("customer", "add", "Marc Petit", "--phone", "06 11 11 11 11", *T)
    bodies = [{**event("b-1"), "customer": {"email": "zoe@example.fr", "name": "Zoé"}},
              {**event("b-2", type="page_view", url="https://v.example/x"), "customer": {"email": "ZOE@example.fr"}},
              {**event("b-3"), "customer": {"name": "Julie Petit", "phone": "0611111111"}},
              {**event("b-4"), "customer": {"name": "Marc Petit", "phone": "0611111111"}}]
    statements = []
    sa_event.listen(app.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with app.transaction() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == "voyages"))
        config = site_config(tenant)
        jobs = [(*parse_event(json.dumps(b).encode(), "FR"), config) for b in bodies]
        results = store_events(app.context(session, tenant), jobs)
    zoe, zoe_again, julie, marc = results
    assert zoe["customer"] == zoe_again["customer"] and "conflict" not in zoe_again
    assert "conflict" in julie and julie["customer"] not in (zoe["customer"], marc["customer"])
    assert julie["conflict"]["kept_apart_from"] == [marc["customer"]] and "conflict" not in marc
    assert len(statements) < 30, statements  # a few per batch, not a few per event


@pytest.mark.parametrize("field,value", [("customer_ref", True), ("customer_ref", "x" * 101)])
def test_external_key_values_are_checked(post, field, value):
    answer = post({**event("evt-bad"), "customer": {"email": "anna@example.fr", field: value}})
    assert answer.status_code == 422 and answer.json()["field"] == "customer"

