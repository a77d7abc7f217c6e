"""create_items: the bulk create_item (one routing/SLA path, one INSERT, a step and a hook per new item)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from ccctl.db.models import Interaction, WorkItem
from ccctl.hookspecs import hookimpl
from ccctl.queue.items import create_item, create_items


class Recorder:
    def __init__(self) -> None:
        self.ids: list[int] = []

    @hookimpl
    def ccctl_item_created(self, item, ctx):
        assert item.id is not None  # fired after the INSERT
        self.ids.append(item.id)


def test_bulk_routes_like_create_item_and_aligns_results(app, tenants):
    recorder = Recorder()
    app.pm.register(recorder)
    with app.session() as session:
        ctx = app.context(session, app.tenant(session, "travel"))
        single, _ = create_item(ctx, "email", subject="Remboursement", attributes={"amount": 1500}, external_ref="a")
        out = create_items(ctx, [
            dict(channel="email", subject="Remboursement", attributes={"amount": 1500}, external_ref="b"),
            dict(channel="email", subject="Bonjour", external_ref="a"),           # stored before: not created
            dict(channel="web", subject="Hello", attributes={"referral_code": "acme"}),
            dict(channel="email", subject="Bonjour again", external_ref="b"),    # same ref twice: stored once
            dict(channel="email", subject="Remboursement", queue="bookings", sla="2h"),
        ])
        session.commit()
        [(big, c1), (known, c2), (partner, c3), (twice, c4), (own_sla, c5)] = out
        assert [c1, c2, c3, c4, c5] == [True, False, True, False, True]
        assert known.id == single.id and twice.id == big.id
        assert (big.queue, big.priority, big.routed_by, big.skills) == \
            (single.queue, single.priority, single.routed_by, single.skills) == ("claims", 30, "big-refunds",
                                                                                 ["claims", "senior"])
        assert partner.queue == "partners" and big.skill_set_id == single.skill_set_id
        # The tenant is open round the clock: an SLA is that much time after creation.
        assert big.due_at - big.created_at == timedelta(days=1)
        assert own_sla.due_at - own_sla.created_at == timedelta(hours=2) and own_sla.routed_by is None
        assert sorted(recorder.ids) == sorted([single.id, big.id, partner.id, own_sla.id])
        steps = session.execute(select(Interaction.item_id, Interaction.summary).where(
            Interaction.channel == "queue")).all()
        assert sorted(i for i, _s in steps) == sorted(recorder.ids)
        assert any(i == big.id and "queued in claims (rule big-refunds)" in s for i, s in steps)
        assert any(i == own_sla.id and "queued in bookings (the caller)" in s for i, s in steps)


def test_insert_missing_gives_up_cleanly_when_another_writer_stored_a_key_first(app, tenants):
    """Between the lookup and the INSERT a concurrent writer stores one of the keys: None, nothing half-done."""
    from ccctl.db.bulk import insert_missing
    from ccctl.queue.items import plan_item

    with app.session() as session:
        ctx = app.context(session, app.tenant(session, "travel"))
        theirs, _ = create_item(ctx, "email", subject="Bonjour", external_ref="race")
        specs = [dict(channel="email", subject="Other", external_ref="new-one"),
                 dict(channel="email", subject="Bonjour", external_ref="race")]
        keys = [("email", "new-one"), ("email", "race")]
        # The lookup missed "race" (it was not committed yet when it ran): known is empty.
        out = insert_missing(session, WorkItem, keys, {}, lambda n: plan_item(ctx, **specs[n])[0])
        assert out is None
        session.commit()  # the savepoint was rolled back, the outer transaction is intact
        refs = session.scalars(select(WorkItem.external_ref).order_by(WorkItem.id)).all()
        assert refs == ["race"] and theirs.id is not None
        # create_items looks the refs up itself, so it sees "race" and stores only the new one.
        out = create_items(ctx, specs)
        session.commit()
        assert [created for _i, created in out] == [True, False] and out[1][0].id == theirs.id
        assert session.scalar(select(func.count()).select_from(WorkItem)) == 2


def test_bulk_ids_mode_stores_the_same_items_steps_and_fires_the_hook_with_loaded_items(app, tenants):
    recorder = Recorder()
    app.pm.register(recorder)
    with app.session() as session:
        ctx = app.context(session, app.tenant(session, "travel"))
        single, _ = create_item(ctx, "email", subject="Bonjour", external_ref="a")
        seen = []
        out = create_items(ctx, [
            dict(channel="email", subject="Remboursement", attributes={"amount": 1500}, external_ref="b"),
            dict(channel="email", subject="Bonjour", external_ref="a"),           # stored before
            dict(channel="email", subject="Again", external_ref="b"),             # twice in the batch
        ], history=lambda n, item: seen.append((n, item.id, item.queue)) or [], ids=True)
        session.commit()
        assert out == [(out[0][0], True), (single.id, False), (out[0][0], False)]
        big = session.get(WorkItem, out[0][0])
        assert (big.queue, big.priority, big.routed_by, big.subject) == ("claims", 30, "big-refunds", "Remboursement")
        assert seen == [(0, big.id, "claims")]
        assert recorder.ids == [single.id, big.id]  # the hook got the item (loaded: it is implemented)
        steps = session.scalars(select(Interaction.item_id).where(Interaction.channel == "queue")).all()
        assert sorted(steps) == sorted([single.id, big.id])


def test_one_batch_shares_one_clock_but_each_item_keeps_its_own_sla(app, tenants):
    """Items created together start their SLA clocks together; the due time still follows each
    item's queue, its own SLA and its not_before (the memo is keyed by all three)."""
    from ccctl.db.models import utcnow
    from ccctl.queue.sla import due_at

    later = utcnow() + timedelta(hours=3)
    with app.session() as session:
        ctx = app.context(session, app.tenant(session, "travel"))
        out = create_items(ctx, [
            dict(channel="email", subject="a", queue="bookings"),
            dict(channel="email", subject="b", queue="bookings"),
            dict(channel="email", subject="c", queue="bookings", sla="2h"),
            dict(channel="email", subject="d", queue="bookings", not_before=later),
            dict(channel="email", subject="e", queue="bookings", sla="2h", not_before=later),
            dict(channel="email", subject="f", queue="claims"),
        ])
        session.commit()
        a, b, c, d, e, f = (item for item, _created in out)
        config = ctx.tenant.config
        bookings, claims = ({**q} for name in ("bookings", "claims") for q in config["queues"] if q["name"] == name)
        now = a.created_at
        assert b.created_at == c.created_at == d.created_at == e.created_at == f.created_at == now
        assert a.due_at == b.due_at == due_at(now, bookings, config)
        assert c.due_at == due_at(now, {**bookings, "sla": "2h"}, config) != a.due_at
        assert d.due_at == due_at(later, bookings, config) != a.due_at
        assert e.due_at == due_at(later, {**bookings, "sla": "2h"}, config) != d.due_at
        assert f.due_at == due_at(now, claims, config) != a.due_at
