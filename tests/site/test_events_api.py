"""POST /t/<tenant>/api/events: good, forged, replayed, oversized and schema-invalid requests, over real HTTP."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from sqlalchemy import func, select

from ccctl.db.models import Interaction, WorkItem
from ccctl_site.signing import HEADER, sign
from site_helpers import KEY, OLD_KEY, OTHER_KEY, body_of, event


def count(app, model, **where) -> int:
    with app.session() as s:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return s.scalar(query)


def test_a_signed_event_makes_customer_history_and_routed_item(app, post, tenants):
    response = post(event("evt-1"))
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["duplicate"] is False and result["item"] and result["customer"]
    with app.session() as s:
        item = s.get(WorkItem, result["item"])
        assert (item.channel, item.queue, item.customer_id) == ("site", "grands-voyages", result["customer"])
        assert item.attributes["amount"] == 2450 and item.attributes["destination"] == "asie"
        history = s.scalars(select(Interaction).where(Interaction.channel == "site")).all()
    assert [h.external_id for h in history] == ["event:evt-1"]
    assert history[0].payload["data"]["product"] == "Circuit Japon"
    found = tenants.json("customer", "find", "anna@example.fr", "-t", "voyages")
    assert [c["id"] for c in found] == [result["customer"]]


def test_routing_on_amount(app, post):
    small = post(event("evt-small", amount=1999.99)).json()
    europe = post(event("evt-europe", destination="europe")).json()
    big = post(event("evt-big", amount=2000, destination="amerique-du-sud")).json()
    with app.session() as s:
        queues = {k: s.get(WorkItem, r["item"]).queue for k, r in
                  (("small", small), ("europe", europe), ("big", big))}
    assert queues == {"small": "ventes", "europe": "ventes", "big": "grands-voyages"}


def test_the_same_event_id_is_stored_once(app, post):
    first = post(event("evt-2"))
    again = post(event("evt-2"), timestamp=int(time.time()) + 1)  # a retry, freshly signed
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "duplicate": True}
    assert count(app, Interaction, channel="site") == 1 and count(app, WorkItem, channel="site") == 1


def test_page_views_land_in_history_without_an_item(app, post):
    response = post({"id": "pv-1", "type": "page_view", "customer": {"phone": "06 12 34 56 78"},
                     "data": {"url": "https://voyages.example/japon", "product": "Circuit Japon", "amount": 2450}})
    assert response.status_code == 201 and response.json()["item"] is None
    assert count(app, WorkItem) == 0 and count(app, Interaction, channel="site") == 1


def test_the_previous_key_still_works_during_rotation(post):
    assert post(event("evt-old"), key=OLD_KEY).status_code == 201


@pytest.mark.parametrize("how", ["wrong key", "other tenant's key", "no header", "garbled header", "body changed"])
def test_forged_requests_are_refused_and_store_nothing(app, post, how):
    payload = body_of(event("evt-forged"))
    if how == "wrong key":
        response = post(payload, key="guess")
    elif how == "other tenant's key":
        response = post(payload, key=OTHER_KEY)
    elif how == "no header":
        response = post(payload, headers={HEADER: ""})
    elif how == "garbled header":
        response = post(payload, headers={HEADER: "sha256=abc"})
    else:
        response = post(payload, headers={HEADER: sign(KEY, payload.replace(b"2450", b"1"))})
    assert response.status_code == 401, response.text
    assert "error" in response.json()
    assert count(app, Interaction) == 0 and count(app, WorkItem) == 0


def test_an_old_signed_request_replayed_later_is_refused(app, post):
    response = post(event("evt-late"), timestamp=int(time.time()) - 3600)
    assert response.status_code == 401 and "away from now" in response.json()["error"]
    assert post(event("evt-future"), timestamp=int(time.time()) + 3600).status_code == 401
    assert count(app, Interaction) == 0


def test_an_oversized_body_is_refused(app, post):
    response = post(body_of(event("evt-big-body")) + b" " * 32_768)  # valid JSON, too long
    assert response.status_code == 413 and "at most 32768" in response.json()["error"]
    assert count(app, Interaction) == 0


@pytest.mark.parametrize("change, field", [
    (lambda e: e.pop("id"), "id"),
    (lambda e: e.update(id="has space"), "id"),
    (lambda e: e.update(type="purchase"), "type"),
    (lambda e: e["data"].update(amount="2450"), "data.amount"),
    (lambda e: e["data"].update(amount=-5), "data.amount"),
    (lambda e: e["data"].update(currency="euros"), "data.currency"),
    (lambda e: e["data"].update(url="javascript:alert(1)"), "data.url"),
    (lambda e: e["data"].update(nested={"a": 1}), "data"),
    (lambda e: e.update(customer={"name": "Anna"}), "customer"),
    (lambda e: e.update(customer={"email": "not-an-address"}), "customer.email"),
    (lambda e: e.update(customer={"phone": "12"}), "customer.phone"),
    (lambda e: e.update(occurred_at="2026-12-06T10:15:00"), "occurred_at"),
    (lambda e: e.update(colour="red"), "colour"),
    (lambda e: e["data"].pop("product"), ""),  # a pre-reservation needs a product or a reference
])
def test_schema_invalid_events_get_422_naming_the_field(app, post, change, field):
    payload = event("evt-bad")
    change(payload)
    response = post(payload)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert count(app, Interaction) == 0


def test_not_json_and_wrong_content_type(post):
    assert post(b"{not json").status_code == 422
    assert post(b"[1, 2]").json()["error"] == "the body must be one JSON object"
    response = post(event("evt-form"), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415


def test_a_tenant_without_the_plugin_or_unknown_gets_404(post):
    assert post(event("evt-x"), tenant="nobody").status_code == 404


def test_two_tenants_never_see_each_other_s_events(app, post, tenants):
    assert post(event("evt-shared"), tenant="voyages").status_code == 201
    # the same event id, another tenant: its own customer, history and item
    assert post(event("evt-shared"), tenant="autre", key=OTHER_KEY).status_code == 201
    assert post(event("evt-shared"), tenant="autre", key=KEY).status_code == 401  # voyages' key fails on autre
    for slug in ("voyages", "autre"):
        [customer] = tenants.json("customer", "find", "anna@example.fr", "-t", slug)
        shown = tenants.json("customer", "show", str(customer["id"]), "-t", slug)
        assert [e["channel"] for e in shown["timeline"]].count("site") == 1


def test_an_unset_key_variable_is_a_503_that_names_no_secret(post, monkeypatch):
    monkeypatch.delenv("VOYAGES_KEY")
    monkeypatch.delenv("VOYAGES_KEY_OLD")
    response = post(event("evt-nokey"))
    assert response.status_code == 503 and "VOYAGES" not in response.text
    assert json.loads(response.text)["error"].startswith("the events API key")
