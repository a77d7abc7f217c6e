"""record_interactions (bulk history events) and the memoised per-tenant hook callers."""

from __future__ import annotations

from sqlalchemy import func, select

from ccctl.customers import record_interaction, record_interactions
from ccctl.db.models import Interaction
from ccctl.hookspecs import hookimpl
from ccctl.plugins import get_plugin_manager, tenant_hook


def test_record_interactions_stores_each_external_id_once_and_aligns(example_tenants, app):
    with app.session() as session:
        tenant = app.tenant(session, "voyages-lumiere")
        old, _ = record_interaction(session, tenant, "email", summary="old", external_id="<a@x>")
        out = record_interactions(session, tenant, [
            dict(channel="email", summary="again", external_id="<a@x>"),      # stored before
            dict(channel="email", summary="new", external_id="<b@x>", direction="in", payload={"k": 1}),
            dict(channel="sms", summary="same id, other channel", external_id="<b@x>"),
            dict(channel="email", summary="repeated", external_id="<b@x>"),    # twice in the batch
            dict(channel="queue", summary="no id"),
            dict(channel="queue", summary="no id either"),
        ])
        session.commit()
        assert [created for _row, created in out] == [False, True, True, False, True, True]
        assert out[0][0].id == old.id and out[3][0].id == out[1][0].id
        assert (out[1][0].summary, out[1][0].payload, out[1][0].occurred_at is not None) == ("new", {"k": 1}, True)
        assert out[4][0].id != out[5][0].id
        assert session.scalar(select(func.count()).select_from(Interaction).where(
            Interaction.tenant_id == tenant.id)) == 5
        assert record_interactions(session, tenant, []) == []


def test_record_interactions_ids_gives_the_same_rows_as_plain_ids(example_tenants, app):
    with app.session() as session:
        tenant = app.tenant(session, "voyages-lumiere")
        old, _ = record_interaction(session, tenant, "email", summary="old", external_id="<a@x>")
        out = record_interactions(session, tenant, [
            dict(channel="email", summary="again", external_id="<a@x>"),
            dict(channel="sms", summary="same id, other channel", external_id="<a@x>"),
            dict(channel="email", summary="new", external_id="<b@x>", payload={"k": 1}),
            dict(channel="email", summary="repeated", external_id="<b@x>"),
            dict(channel="queue", summary="no id"),
        ], ids=True)
        session.commit()
        assert [created for _id, created in out] == [False, True, True, False, True]
        assert all(isinstance(row_id, int) for row_id, _created in out)
        assert out[0][0] == old.id and out[3][0] == out[2][0] and len({out[1][0], out[2][0], out[4][0]}) == 3
        rows = {r.id: r for r in session.scalars(select(Interaction).where(Interaction.tenant_id == tenant.id))}
        assert [(rows[i].channel, rows[i].summary) for i, _c in out] == [
            ("email", "old"), ("sms", "same id, other channel"), ("email", "new"), ("email", "new"), ("queue", "no id")]
        assert rows[out[2][0]].payload == {"k": 1}


def test_insert_ids_lines_up_with_the_input(example_tenants, app):
    from ccctl.db.bulk import insert_ids

    with app.session() as session:
        tenant = app.tenant(session, "voyages-lumiere")
        params = [dict(tenant_id=tenant.id, channel="queue", summary=f"event {n}", payload={"n": n}) for n in range(300)]
        ids = insert_ids(session, Interaction, params)
        session.commit()
        summaries = dict(session.execute(select(Interaction.id, Interaction.summary).where(Interaction.id.in_(ids))).all())
        assert [summaries[i] for i in ids] == [f"event {n}" for n in range(300)]
        assert insert_ids(session, Interaction, []) == []


def test_tenant_hook_callers_are_reused_until_the_plugins_change():
    pm = get_plugin_manager(load_entrypoints=False)
    first = tenant_hook(pm, ["email"], "ccctl_item_created")
    assert tenant_hook(pm, ("email",), "ccctl_item_created") is first

    class Late:
        calls = 0

        @hookimpl
        def ccctl_item_created(self, item, ctx):
            Late.calls += 1

    pm.register(Late(), name="late")
    # A plugin registered afterwards is switched per tenant: a tenant without it must not reach it.
    tenant_hook(pm, ["email"], "ccctl_item_created")(item=None, ctx=None)
    assert Late.calls == 0
    tenant_hook(pm, ["late"], "ccctl_item_created")(item=None, ctx=None)
    assert Late.calls == 1


def test_find_or_create_many_finds_names_and_creates_each_address_once(example_tenants, app):
    from ccctl.customers import add_customer, find_customers, find_or_create_many

    with app.session() as session:
        tenant = app.tenant(session, "voyages-lumiere")
        known = add_customer(session, tenant, "Ada", emails=["ada@example.org"])
        nameless = add_customer(session, tenant, "", emails=["anon@example.org"])
        out = find_or_create_many(session, tenant, "email", {
            "ADA@example.org": "Someone Else",   # found (normalised); a name never overwrites one
            "anon@example.org": "Now Named",     # found without a name: gets it
            "new@example.org": "Nouveau Client",
            "NEW@example.org": "Other Spelling",  # same address once normalised: one customer
            "bare@example.org": "",
        })
        session.commit()
        assert out["ADA@example.org"].id == known.id and known.name == "Ada"
        assert out["anon@example.org"].id == nameless.id and nameless.name == "Now Named"
        assert out["new@example.org"].id == out["NEW@example.org"].id != known.id
        assert out["new@example.org"].name == "Nouveau Client" and out["bare@example.org"].name == ""
        [found] = find_customers(session, tenant, "new@example.org")
        assert found.id == out["new@example.org"].id and [c.value for c in found.contacts] == ["new@example.org"]
        assert find_customers(session, tenant, "now named")[0].id == nameless.id  # name_key kept in step
        again = find_or_create_many(session, tenant, "email", {"new@example.org": "x", "bare@example.org": ""})
        assert {c.id for c in again.values()} == {out["new@example.org"].id, out["bare@example.org"].id}


def test_find_or_create_many_rejects_a_bad_address(example_tenants, app):
    import pytest

    from ccctl.customers import find_or_create_many
    from ccctl.errors import InputError

    with app.session() as session:
        tenant = app.tenant(session, "voyages-lumiere")
        with pytest.raises(InputError, match="not an email address"):
            find_or_create_many(session, tenant, "email", {"ok@example.org": "", "not an address": ""})


def test_insert_returning_lines_rows_up_with_their_input(example_tenants, app):
    """One statement on either database, yet each returned row is the one made from its input."""
    from sqlalchemy import event

    from ccctl.db.bulk import insert_returning
    from ccctl.db.models import utcnow

    with app.session() as session:
        tenant = app.tenant(session, "voyages-lumiere")
        params = [dict(tenant_id=tenant.id, channel="email", direction="in", summary=f"n{n:04d}",
                       payload={"n": n}, occurred_at=utcnow()) for n in reversed(range(1200))]
        statements = []
        event.listen(session.get_bind(), "before_cursor_execute", lambda *a: statements.append(a[2]))
        rows = insert_returning(session, Interaction, params)
        session.commit()
        assert [(r.summary, r.payload) for r in rows] == [(p["summary"], p["payload"]) for p in params]
        assert len(statements) <= 3  # not one per row (SQLite batches stay under its parameter limit)
