"""Outbound webhooks through a real HTTP receiver on loopback that fails, then recovers."""

from __future__ import annotations

import collections

import pytest
from sqlalchemy import select

from ccctl.queue.closing import close_item
from site_helpers import HOOK_KEY, apply_tenants, make_items
from site_receiver import receiving


@pytest.fixture
def hooked(ccctl, tmp_path, site_env):
    """Tenants whose webhooks point at two receivers (voyages' and autre's), retrying without delay."""
    with receiving(HOOK_KEY) as (voyages, url_v), receiving("autre-hook-key") as (autre, url_a):
        apply_tenants(ccctl, tmp_path, {"voyages": url_v, "autre": url_a})
        yield ccctl, voyages, autre


def test_a_receiver_that_fails_then_recovers_gets_every_event(app, hooked, tmp_path):
    ccctl, receiver, _other = hooked
    ids = make_items(app, "voyages", 6)
    with app.transaction() as session:
        from ccctl.db.models import Tenant

        tenant = session.scalar(select(Tenant).where(Tenant.slug == "voyages"))
        close_item(app.context(session, tenant), ids[0], outcome="resolved")
    receiver.plan = [503, "drop", 500, 429, "slow"]
    first = ccctl("webhooks", "deliver", "-t", "voyages", "--format", "json", code=1)
    assert "voyages" in first.stderr and "to retry" in first.stderr
    listed = ccctl.json("webhooks", "list", "-t", "voyages", "--state", "pending")
    assert len(listed) == 5 and all(row["attempts"] == 1 for row in listed)
    ccctl("webhooks", "deliver", "-t", "voyages", "--quiet")  # recovered: all delivered, exit 0
    outbox = ccctl.json("webhooks", "list", "-t", "voyages", "--limit", "100")
    assert len(outbox) == 7 and {row["state"] for row in outbox} == {"delivered"}
    assert collections.Counter(row["type"] for row in outbox) == {"item.created": 6, "item.closed": 1}
    received = collections.defaultdict(list)
    for event_id, payload in receiver.received:
        received[event_id].append(payload)
    assert set(received) == {row["event_id"] for row in outbox}  # every event delivered...
    for event_id, copies in received.items():  # ...and a copy received twice (the slow one) is the same event
        assert all(copy == copies[0] and copy["id"] == event_id for copy in copies)
    assert len(receiver.received) == 8  # 7 events, the slow one kept by the receiver and sent again
    assert not receiver.refused
    closed = next(copies[0] for copies in received.values() if copies[0]["type"] == "item.closed")
    assert closed["data"]["item"] == ids[0] and closed["data"]["outcome"] == "resolved"
    log = ccctl.json("webhooks", "log", "-t", "voyages", "--limit", "100")
    assert len(log) == 12 and sorted(str(r["status"]) for r in log).count("200") == 7


def test_nothing_is_sent_inside_the_command_and_a_down_receiver_loses_nothing(app, ccctl, tmp_path, site_env):
    from support.live_server import free_port

    apply_tenants(ccctl, tmp_path, {"voyages": f"http://127.0.0.1:{free_port()}/down"})
    make_items(app, "voyages", 3)  # the items are created: no receiver needed for that
    failed = ccctl("webhooks", "deliver", "--all-tenants", code=1)
    assert "voyages: 0 failed, 3 to retry" in failed.stderr and "ConnectionRefusedError" in failed.stderr
    rows = ccctl.json("webhooks", "list", "-t", "voyages")
    assert {r["state"] for r in rows} == {"pending"} and len(rows) == 3


def test_a_4xx_fails_the_event_until_retried_and_replay_sends_again_with_the_same_id(app, hooked):
    ccctl, receiver, _other = hooked
    make_items(app, "voyages", 2)
    receiver.plan = [410]
    failed = ccctl("webhooks", "deliver", "-t", "voyages", code=1)
    assert "1 failed" in failed.stderr
    [bad] = ccctl.json("webhooks", "list", "-t", "voyages", "--state", "failed")
    assert bad["last_status"] == 410
    ccctl("webhooks", "retry", "-t", "voyages", "--all-failed")
    ccctl("webhooks", "deliver", "-t", "voyages", "--quiet")
    assert [r["state"] for r in ccctl.json("webhooks", "list", "-t", "voyages")] == ["delivered", "delivered"]
    ccctl("webhooks", "replay", "-t", "voyages", bad["event_id"])
    ccctl("webhooks", "deliver", "-t", "voyages", "--quiet")
    assert [event_id for event_id, _ in receiver.received].count(bad["event_id"]) == 2
    assert len(receiver.received) == 3


def test_bad_requests_to_retry_and_replay(app, hooked):
    ccctl, _receiver, _other = hooked
    make_items(app, "voyages", 1)
    assert "no event nope" in ccctl("webhooks", "replay", "-t", "voyages", "nope", code=2).stderr
    assert "--all-failed" in ccctl("webhooks", "retry", "-t", "voyages", code=2).stderr
    [row] = ccctl.json("webhooks", "list", "-t", "voyages")
    assert "is pending" in ccctl("webhooks", "replay", "-t", "voyages", row["event_id"], code=2).stderr


def test_two_tenants_never_see_each_other_s_events(app, hooked):
    ccctl, voyages, autre = hooked
    make_items(app, "voyages", 2)
    make_items(app, "autre", 3)
    ccctl("webhooks", "deliver", "--all-tenants", "--quiet")
    assert {p["tenant"] for _id, p in voyages.received} == {"voyages"} and len(voyages.received) == 2
    assert {p["tenant"] for _id, p in autre.received} == {"autre"} and len(autre.received) == 3
    assert all(p["data"]["subject"].startswith("autre") for _id, p in autre.received)
    ids_autre = [r["event_id"] for r in ccctl.json("webhooks", "list", "-t", "autre")]
    assert len(ids_autre) == 3
    assert ccctl.json("webhooks", "list", "-t", "voyages", "--limit", "100") and \
        not set(ids_autre) & {r["event_id"] for r in ccctl.json("webhooks", "list", "-t", "voyages")}
    assert "no event" in ccctl("webhooks", "replay", "-t", "voyages", ids_autre[0], code=2).stderr
    assert ccctl.json("webhooks", "log", "-t", "voyages", ids_autre[0]) == []


def test_a_tenant_with_a_missing_secret_is_named_and_the_others_are_delivered(app, hooked, monkeypatch):
    ccctl, voyages, autre = hooked
    make_items(app, "voyages", 1)
    make_items(app, "autre", 1)
    monkeypatch.delenv("HOOK_KEY_VOYAGES")
    result = ccctl("webhooks", "deliver", "--all-tenants", code=1)
    assert "voyages" in result.stderr and "HOOK_KEY_VOYAGES is not set" in result.stderr
    assert len(autre.received) == 1 and not voyages.received
