"""create_item: routing default, idempotency by external_ref, the created hook reaches enabled plugins."""

from ccctl.queue.items import create_item


def test_create_item_once_per_external_ref(example_tenants, app):
    with app.session() as session:
        tenant = app.tenant(session, "voyages-lumiere")
        ctx = app.context(session, tenant)
        first, created = create_item(ctx, "email", subject="Annulation", external_ref="<m1@example.fr>")
        again, created_again = create_item(ctx, "email", subject="Annulation", external_ref="<m1@example.fr>")
        session.commit()
    assert created and not created_again
    assert first.id == again.id
    # "Annulation" matches the example's cancellation rule.
    assert first.queue == "apres-vente" and first.routed_by == "annulations-remboursements"
    assert first.due_at > first.created_at
