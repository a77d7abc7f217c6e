"""A caller on the phone asks for a call-back (ccctl_request_callback) while the service is closed:
the first open slot is booked instead, as docs/callback.md says, and a bad number books nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from callback_helpers import PARIS, write_tenant
from sqlalchemy import select

from ccctl.config.model import DAYS
from ccctl.db.models import WorkItem
from ccctl_callback.from_voice import request_from_call
from ccctl_callback.models import CallbackRequest


@pytest.fixture
def closed_today(ccctl, tmp_path):
    """Tenant 'rappel' whose call-back service opens tomorrow only (so it is closed now)."""
    tomorrow = DAYS[(datetime.now(PARIS) + timedelta(days=1)).weekday()]
    extra = f"    hours:\n      {tomorrow}: ['09:00-18:00']\n"
    ccctl("tenant", "apply", "-f", str(write_tenant(tmp_path, "rappel", extra=extra)))


def test_closed_now_books_the_first_open_slot(closed_today, app):
    with app.transaction() as session:
        ctx = app.context(session, app.tenant(session, "rappel"))
        asked = datetime.now(PARIS) - timedelta(minutes=5)
        item_id = request_from_call(ctx, "06 11 22 33 44", "Ana", asked, "rappel", {}, "call-CA1")
        assert item_id is not None
        request = session.scalar(select(CallbackRequest).where(CallbackRequest.item_id == item_id))
        opens = (datetime.now(PARIS) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
        assert request.slot_start is not None and request.slot_start.astimezone(PARIS) >= opens
        assert session.get(WorkItem, item_id).channel == "callback"


def test_a_number_no_call_back_can_reach_books_nothing(closed_today, app):
    with app.transaction() as session:
        ctx = app.context(session, app.tenant(session, "rappel"))
        assert request_from_call(ctx, "12", "Ana", datetime.now(PARIS), "rappel", {}, "call-CA2") is None
        assert session.scalars(select(CallbackRequest)).all() == []
