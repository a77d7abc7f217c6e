"""The retention hooks as a plugin meets them: its kinds become YAML keys, and `retention apply`
asks it (enabled by the tenant or not: reach every loaded plugin) with the tenant's periods."""

from __future__ import annotations

from datetime import timedelta

from ccctl.hookspecs import hookimpl
from ccctl.testing import plugin_manager, tenant_yaml


class Archive:
    def __init__(self):
        self.asked = []

    @hookimpl
    def ccctl_retention_kinds(self, register):
        register("faxes", "received faxes older than this")

    @hookimpl
    def ccctl_apply_retention(self, policy, now, dry_run, ctx):
        self.asked.append((ctx.tenant.slug, policy.get("faxes"), dry_run))
        return {"faxes": 3} if "faxes" in policy else None


def test_a_plugins_retention_kind_is_listed_validated_and_applied(ccctl_with, tmp_path):
    archive = Archive()
    cli = ccctl_with(plugin_manager(("archive", archive)))
    kinds = {row["kind"]: row["deletes"] for row in cli.json("retention", "kinds")}
    assert kinds["faxes"] == "received faxes older than this"
    path = tmp_path / "a.yaml"
    path.write_text(tenant_yaml("client-a", retention={"faxes": "90d"}, plugins={"archive": False}))
    cli("tenant", "apply", "-f", path)
    rows = cli.json("retention", "apply", "-t", "client-a", "--dry-run")
    assert [(r["kind"], r["rows"], r["dry_run"]) for r in rows] == [("faxes", 3, True)]
    assert archive.asked == [("client-a", timedelta(days=90), True)]   # switched off, still asked
    path.write_text(tenant_yaml("client-a", retention={"fax": "90d"}))
    assert "fax" in cli("tenant", "apply", "-f", path, code=2).stderr   # an unknown kind is refused


def test_a_failing_plugin_fails_its_tenant_by_name(ccctl_with, tmp_path):
    class Broken(Archive):
        @hookimpl
        def ccctl_apply_retention(self, policy, now, dry_run, ctx):
            raise OSError("archive offline")

    cli = ccctl_with(plugin_manager(("archive", Broken())))
    path = tmp_path / "a.yaml"
    path.write_text(tenant_yaml("client-a", retention={"faxes": "90d"}))
    cli("tenant", "apply", "-f", path)
    said = cli("retention", "apply", "-t", "client-a", code=1).stderr
    assert "client-a" in said and "plugin 'archive' failed in ccctl_apply_retention: archive offline" in said
    assert "Traceback" not in said
