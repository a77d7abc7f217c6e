"""The site context on screen: `customer show` and the call-back screen pop, newest first, compact."""

from __future__ import annotations

from site_helpers import apply_tenants, event

CALLBACK = """  callback:
    enabled: true
    min_lead: 0m
business_hours:
  mon-sun: ["00:00-24:00"]
"""


def post_visit(post):
    person = {"email": "anna@example.fr", "phone": "06 12 34 56 78", "name": "Anna Petit"}
    assert post({"id": "pv-1", "type": "page_view", "occurred_at": "2026-12-01T09:00:00Z", "customer": person,
                 "data": {"url": "https://voyages.example/japon", "product": "Circuit Japon"}}).status_code == 201
    booking = event("pr-1", departure="2027-04-02", referral="PARTNER42", currency="EUR")
    booking.update(occurred_at="2026-12-02T18:30:00Z", customer=person)
    assert post(booking).status_code == 201
    assert post({"id": "pv-0", "type": "page_view", "occurred_at": "2026-11-20T09:00:00Z", "customer": person,
                 "data": {"url": "https://voyages.example/\x1b[31mrouge", "title": "Pérou"}}).status_code == 201


def test_customer_show_has_the_site_context_newest_first(post, tenants):
    post_visit(post)
    [customer] = tenants.json("customer", "find", "anna@example.fr", "-t", "voyages")
    shown = tenants.json("customer", "show", str(customer["id"]), "-t", "voyages")
    context = shown["context"]
    assert [c["what"] for c in context] == ["pre-reservation", "page viewed", "page viewed"]
    assert context[0]["detail"] == ("Circuit Japon · 2450 EUR · asie · departure 2027-04-02 · referral PARTNER42")
    assert context[1]["detail"] == "Circuit Japon · https://voyages.example/japon"
    assert "\x1b" not in context[2]["detail"]  # text from outside never drives the terminal
    assert sorted(shown["phones"]) == ["+33612345678"]  # the event's phone joined the customer found by email
    table = tenants("customer", "show", str(customer["id"]), "-t", "voyages", "--format", "table").stdout
    assert "pre-reservation" in table and "Circuit Japon" in table


def test_the_call_back_screen_pop_shows_it_too(post, tenants, tmp_path):
    post_visit(post)
    apply_tenants(tenants, tmp_path, extra=CALLBACK)
    booked = tenants.json("callback", "request", "-t", "voyages", "--phone", "+33612345678", "--name", "Anna",
                          "--reason", "Japon", "--now")
    pop = tenants.json("callback", "show", str(booked["item"]), "-t", "voyages")
    assert [c["what"] for c in pop["customer_context"]][:2] == ["pre-reservation", "page viewed"]


def test_a_customer_without_site_events_has_an_empty_context_and_tenants_are_apart(post, tenants):
    post_visit(post)
    tenants("customer", "add", "Autre Anna", "--email", "anna@example.fr", "-t", "autre")
    [other] = tenants.json("customer", "find", "anna@example.fr", "-t", "autre")
    assert tenants.json("customer", "show", str(other["id"]), "-t", "autre")["context"] == []
