"""Plugin manager: discovery through entry points, CCCTL_LOAD_PLUGINS, --disable-plugin,
check_pending, and the per-tenant switch (a plugin disabled for a tenant never hears of it)."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
import textwrap

import pluggy
import pytest

from ccctl.customers import add_customer
from ccctl.hookspecs import hookimpl
from ccctl.plugins import get_plugin_manager, plugin_names, tenant_hook
from ccctl.queue.items import create_item

BUILT_IN = ["callback", "email", "fulfil", "selfhelp", "site", "sms", "voice"]


def test_plugins_lists_name_version_package_hooks_and_enabling_tenants(example_tenants):
    rows = {r["name"]: r for r in example_tenants.json("plugins")}
    assert sorted(rows) == BUILT_IN
    assert rows["sms"]["package"] == "ccctl" and rows["sms"]["version"]
    assert all("ccctl_register_config_schema" in r["hooks"] for r in rows.values())
    assert rows["email"]["tenants"] == ["assurance-horizon", "voyages-lumiere"]
    assert rows["sms"]["tenants"] == ["voyages-lumiere"]   # the insurer has sms: enabled: false
    table = example_tenants("plugins", "--format", "table").stdout
    assert max(map(len, table.splitlines())) <= 120 and "assurance-horizon, voyages-lumiere" in table
    email = next(line.split() for line in table.splitlines() if line.startswith("email "))
    assert email[3] == str(len(rows["email"]["hooks"]))  # hooks counted; names with --wide
    wide = example_tenants("plugins", "--format", "table", "--wide").stdout
    assert "ccctl_register_config_schema" in wide and max(map(len, wide.splitlines())) > 120


def test_a_long_list_of_tenants_is_shortened_to_whole_names():
    from ccctl.commands.plugins_cmd import shortened

    names = [f"client-{n:02d}" for n in range(30)]
    assert shortened(names[:2], 60) == "client-00, client-01"
    cut = shortened(names, 60)
    assert cut.endswith("more)") and len(cut) <= 60 and cut.startswith("client-00, client-01, ")
    kept = cut.split(" (+")[0].split(", ")
    assert kept == names[:len(kept)] and cut.endswith(f"(+{30 - len(kept)} more)")
    assert shortened(["a-very-long-client-name-that-alone-is-too-wide"], 20) == "(+1 more)"


def test_load_plugins_env_selects_a_subset_or_none(monkeypatch):
    monkeypatch.setenv("CCCTL_LOAD_PLUGINS", "")
    assert plugin_names(get_plugin_manager()) == []
    monkeypatch.setenv("CCCTL_LOAD_PLUGINS", " sms , email ")
    pm = get_plugin_manager()
    assert plugin_names(pm) == ["email", "sms"]
    assert pm.is_blocked("callback") and not pm.is_blocked("sms")
    monkeypatch.delenv("CCCTL_LOAD_PLUGINS")
    assert plugin_names(get_plugin_manager()) == BUILT_IN
    assert plugin_names(get_plugin_manager(disabled=["sms"])) == [n for n in BUILT_IN if n != "sms"]


def test_named_extras_obey_blocks_and_unnamed_ones_are_host_code(monkeypatch):
    class Host:
        @hookimpl
        def ccctl_item_created(self, item, ctx):
            pass

    monkeypatch.setenv("CCCTL_LOAD_PLUGINS", "watcher")
    pm = get_plugin_manager(extra=[("watcher", Host()), ("auditor", Host()), Host()])
    assert plugin_names(pm) == ["watcher"]   # auditor blocked, the unnamed object is not switchable
    assert len(pm.hook.ccctl_item_created.get_hookimpls()) == 2


def test_check_pending_catches_a_misspelt_hook():
    class Typo:
        @hookimpl
        def ccctl_item_creatd(self, item, ctx):  # one letter short
            pass

    with pytest.raises(pluggy.PluginValidationError, match="ccctl_item_creatd"):
        get_plugin_manager(load_entrypoints=False, extra=[("typo", Typo())])


def test_a_hook_with_a_wrong_signature_is_refused():
    class Wrong:
        @hookimpl
        def ccctl_item_created(self, item, ctx, extra):
            pass

    with pytest.raises(pluggy.PluginValidationError):
        get_plugin_manager(load_entrypoints=False, extra=[("wrong", Wrong())])


def _tenants(write, a_enables: str, b_enables: str):
    base = """\
        tenant: {slug}
        name: {slug}
        queues:
          - name: general
        plugins:
        {plugins}
        """
    for slug, enables in (("client-a", a_enables), ("client-b", b_enables)):
        plugins = "\n".join(f"  {name}:\n    enabled: {str(name in enables).lower()}"
                            for name in ("watcher", "auditor"))
        write(f"clients/{slug}.yaml", textwrap.dedent(base).format(slug=slug, plugins=plugins))


def test_a_plugin_disabled_for_tenant_a_never_receives_its_tenant_reach_hooks(recorders, ccctl_with, write_yaml, db_url):
    from ccctl.context import App

    pm, watcher, auditor = recorders
    cli = ccctl_with(pm)
    _tenants(write_yaml, a_enables="auditor", b_enables="watcher auditor")
    cli("tenant", "apply", "-f", write_yaml("clients/.keep", "").parent)
    app = App(pm, db_url)
    with app.session() as session:
        for slug in ("client-a", "client-b"):
            tenant = app.tenant(session, slug)
            ctx = app.context(session, tenant)
            create_item(ctx, "email", subject=f"for {slug}")
            first = add_customer(session, tenant, "Léa Roux", emails=[f"lea@{slug}.example"])
            second = add_customer(session, tenant, "Lea Roux", emails=[f"lea.roux@{slug}.example"])
            session.commit()
            cli("customer", "merge", str(second.id), str(first.id), "-t", slug)
    app.engine.dispose()
    assert watcher.tenants("item_created") == {"client-b"}          # never a call for client-a
    assert auditor.tenants("item_created") == {"client-a", "client-b"}  # ...which did fire hooks
    # A merge reaches every loaded plugin (its spec says EVERY): rows the watcher wrote while
    # client-a had it on must follow the person.
    assert watcher.tenants("customer_merged") == auditor.tenants("customer_merged") == {"client-a", "client-b"}
    rows = {r["name"]: r["tenants"] for r in cli.json("plugins")}
    assert rows["watcher"] == ["client-b"] and rows["auditor"] == ["client-a", "client-b"]


def test_tenant_hook_without_any_enabled_plugin_reaches_only_host_code(recorders):
    pm, watcher, auditor = recorders

    class Host:
        calls = 0

        @hookimpl
        def ccctl_item_created(self, item, ctx):
            Host.calls += 1

    pm.register(Host())

    class Ctx:
        class tenant:  # noqa: N801 - a stand-in for the tenant row
            slug = "nobody"

    tenant_hook(pm, [], "ccctl_item_created")(item=None, ctx=Ctx)
    assert Host.calls == 1 and watcher.calls == [] and auditor.calls == []
    tenant_hook(pm, ["watcher"], "ccctl_item_created")(item=None, ctx=Ctx)
    assert Host.calls == 2 and watcher.calls == [("item_created", "nobody")] and auditor.calls == []


def test_only_installed_plugins_may_have_a_section_and_disabled_unknown_ones_are_ignored(
        recorders, ccctl_with, write_yaml):
    pm, _watcher, _auditor = recorders
    cli = ccctl_with(pm)
    path = write_yaml("a.yaml", """\
        tenant: client-a
        name: A
        plugins:
          watcher:
            enabled: true
            colour: blue
        """)
    assert f"{path}:6: key 'plugins.watcher.colour': unknown key" in cli("tenant", "apply", "-f", path, code=2).stderr
    write_yaml("a.yaml", "tenant: client-a\nname: A\nplugins:\n  whatsapp:\n    enabled: false\n")
    cli("tenant", "apply", "-f", path)


# --- real entry points: a third-party distribution on PYTHONPATH, run as operators run ccctl ---

HELLO = '''\
"""A third-party plugin, as `pip install ccctl-hello` would bring."""
import click
from ccctl.hookspecs import hookimpl


@hookimpl
def ccctl_register_commands(cli):
    @cli.command()
    def hello():
        """Say hello."""
        click.echo("bonjour from ccctl-hello")
'''

TYPO = '''\
from ccctl.hookspecs import hookimpl


@hookimpl
def ccctl_item_creatd(item, ctx):
    pass
'''


def install_fake_distribution(site, name, version, plugin, module_text):
    module = f"ccctl_{plugin}"
    (site / module).mkdir(parents=True)
    (site / module / "__init__.py").write_text(module_text)
    info = site / f"ccctl_{plugin}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[ccctl]\n{plugin} = {module}\n")
    return info


def run_ccctl(*args, site, tmp_path, env=None):
    environ = {**os.environ, "PYTHONPATH": str(site), "CCCTL_CACHE_DIR": str(tmp_path / "cache"),
               "CCCTL_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}", **(env or {})}
    environ.pop("CCCTL_LOAD_PLUGINS", None) if "CCCTL_LOAD_PLUGINS" not in (env or {}) else None
    return subprocess.run([sys.executable, "-m", "ccctl", *args], capture_output=True, text=True,
                          env=environ, timeout=60)


def test_third_party_plugin_found_through_entry_points_and_a_broken_one_can_be_skipped(tmp_path):
    site = tmp_path / "site"
    info = install_fake_distribution(site, "ccctl-hello", "1.2.3", "hello", HELLO)
    listed = run_ccctl("plugins", "--no-tenants", "--format", "json", site=site, tmp_path=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["hello"]["package"] == "ccctl-hello" and rows["hello"]["version"] == "1.2.3"
    assert rows["hello"]["hooks"] == ["ccctl_register_commands"]
    assert set(BUILT_IN) <= set(rows)
    said = run_ccctl("hello", site=site, tmp_path=tmp_path)
    assert said.stdout == "bonjour from ccctl-hello\n"

    # A newly installed broken plugin is noticed (the entry-point cache is not stale)...
    install_fake_distribution(site, "ccctl-typo", "0.1", "typo", TYPO)
    broken = run_ccctl("plugins", "--no-tenants", site=site, tmp_path=tmp_path)
    assert broken.returncode == 1
    assert "a plugin failed to load" in broken.stderr and "ccctl_item_creatd" in broken.stderr
    assert "--disable-plugin NAME" in broken.stderr and "CCCTL_LOAD_PLUGINS=''" in broken.stderr
    assert "Traceback" not in broken.stderr
    # ...and the way out works, both ways.
    skipped = run_ccctl("--disable-plugin", "typo", "plugins", "--no-tenants", "--format", "json",
                        site=site, tmp_path=tmp_path)
    assert skipped.returncode == 0, skipped.stderr
    assert "typo" not in {r["name"] for r in json.loads(skipped.stdout)}
    none = run_ccctl("plugins", "--no-tenants", "--format", "json", site=site, tmp_path=tmp_path,
                     env={"CCCTL_LOAD_PLUGINS": ""})
    assert none.returncode == 0 and json.loads(none.stdout) == []
    some = run_ccctl("plugins", "--no-tenants", "--format", "json", site=site, tmp_path=tmp_path,
                     env={"CCCTL_LOAD_PLUGINS": "hello,sms"})
    assert sorted(r["name"] for r in json.loads(some.stdout)) == ["hello", "sms"]

    # Editing an entry_points.txt in place (no folder changes) is noticed too.
    entry_points = info / "entry_points.txt"
    entry_points.write_text("[ccctl]\nbonjour = ccctl_hello\n")
    stat = entry_points.stat()
    os.utime(entry_points, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    renamed = run_ccctl("--disable-plugin", "typo", "plugins", "--no-tenants", "--format", "json",
                        site=site, tmp_path=tmp_path)
    names = {r["name"] for r in json.loads(renamed.stdout)}
    assert "bonjour" in names and "hello" not in names


def test_entry_point_cache_is_rewritten_when_damaged(tmp_path, monkeypatch):
    from ccctl import entry_points

    monkeypatch.setenv("CCCTL_CACHE_DIR", str(tmp_path))
    fresh = entry_points.ccctl_entry_points()
    assert sorted(ep.name for ep in fresh) == BUILT_IN
    path = entry_points.cache_file()
    with open(path, "rb") as f:
        cached = marshal.load(f)
    assert cached["entry_points"]
    cached["entry_points"] = [["only-two", "fields"]]
    with open(path, "wb") as f:
        marshal.dump(cached, f)
    assert entry_points.ccctl_entry_points() == fresh
    with open(path, "wb") as f:
        f.write(b"not marshal data")
    assert entry_points.ccctl_entry_points() == fresh
    assert entry_points.ccctl_entry_points() == entry_points.scan()
