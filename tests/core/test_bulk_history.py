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
