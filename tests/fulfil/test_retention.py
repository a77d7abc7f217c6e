"""Retention reaches brochure requests (kind fulfilment), but keeps one still waiting for the print house."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from ccctl.db.models import utcnow
from ccctl_fulfil.models import FulfilRequest
from fulfil_helpers import apply, new_item


def test_old_requests_go_except_those_waiting_for_the_print_house(app, ccctl, tmp_path, pdfs):
    apply(ccctl, tmp_path / "clients", pdfs, extra="retention:\n  fulfilment: 90d\n")
    address = {"address": "3 rue des Lilas", "postcode": "69003", "city": "Lyon"}
    for n in range(3):
        item = new_item(app, "voyages", f"p{n}", customer_attributes=address)
        ccctl("item", "close", str(item), "--agent", "marie", "--outcome", "info-sent", "--send", "brochure:perou",
              "-t", "voyages")
    with app.transaction() as s:
        rows = s.scalars(select(FulfilRequest).order_by(FulfilRequest.id)).all()
        s.execute(update(FulfilRequest).values(created_at=utcnow() - timedelta(days=100)))
        s.execute(update(FulfilRequest).where(FulfilRequest.id == rows[0].id).values(state="exported"))
    dry = ccctl.json("retention", "apply", "-t", "voyages", "--dry-run")
    assert [r["rows"] for r in dry if r["kind"] == "fulfilment"] == [1]
    ccctl("retention", "apply", "-t", "voyages")
    with app.session() as s:
        assert [r.state for r in s.scalars(select(FulfilRequest))] == ["batched", "batched"]
