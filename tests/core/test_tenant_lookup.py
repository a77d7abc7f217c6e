"""ccctl.tenant_lookup: the one place tenants are read (commands, cron jobs, routes)."""

from __future__ import annotations

from ccctl.db.models import utcnow
from ccctl.tenant_lookup import find_tenant, list_tenants, tenant_slugs


def test_list_tenants_narrows_by_plugin_archive_test_and_limit(ccctl, tenant_file, app):
    for slug, plugins in (("c-zeta", {"sms": False}), ("a-alpha", {"site": True}), ("b-beta", {"site": True})):
        ccctl("tenant", "apply", "-f", tenant_file(slug, plugins=plugins))
    with app.transaction() as session:
        find_tenant(session, "b-beta").archived_at = utcnow()
    with app.session() as session:
        assert [t.slug for t in list_tenants(session)] == ["a-alpha", "b-beta", "c-zeta"]
        assert [t.slug for t in list_tenants(session, plugin="site")] == ["a-alpha", "b-beta"]
        assert [t.slug for t in list_tenants(session, plugin="site", active=True)] == ["a-alpha"]
        assert [t.slug for t in list_tenants(session, where=lambda t: t.slug.startswith("c"))] == ["c-zeta"]
        assert [t.slug for t in list_tenants(session, limit=2)] == ["a-alpha", "b-beta"]
        assert list_tenants(session, plugin="nothing") == []
        assert find_tenant(session, "a-alpha").slug == "a-alpha" and find_tenant(session, "A-ALPHA") is None
        assert tenant_slugs(session) == ["a-alpha", "b-beta", "c-zeta"]
