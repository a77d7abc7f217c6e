"""The hook contract: every spec declares reach and kind, callers take the reach from it,
call_hook names who answered, old hook names keep working for a release, tracing."""

from __future__ import annotations

import inspect
import warnings

import pytest

from ccctl import hookspecs
from ccctl.hookspecs import CONTRACTS, EVERY, TENANT, hookimpl
from ccctl.plugins import PluginFailed, call_hook, get_plugin_manager, hook_caller

SPECS = sorted(name for name in dir(hookspecs) if name.startswith("ccctl_"))


@pytest.mark.parametrize("name", SPECS)
def test_every_hookspec_declares_reach_kind_types_and_an_example(name):
    contract = CONTRACTS.get(name)
    assert contract is not None, (f"ccctl/hookspecs.py: declare {name} with @spec(TENANT or EVERY, "
                                  "EVENT or COMMAND or REGISTER) instead of a bare @hookspec")
    function = getattr(hookspecs, name)
    unannotated = [p.name for p in inspect.signature(function).parameters.values()
                   if p.annotation is inspect.Parameter.empty]
    assert not unannotated, f"ccctl/hookspecs.py: give {name}'s parameters {unannotated} a type"
    assert "Example" in (function.__doc__ or ""), f"ccctl/hookspecs.py: add a short 'Example:' to {name}'s docstring"
    assert contract.firstresult == bool(function.ccctl_spec.get("firstresult"))


def test_a_bad_declaration_is_refused():
    with pytest.raises(ValueError, match="bad hook declaration"):
        hookspecs.spec("everyone", hookspecs.EVENT)


class Recorder:
    def __init__(self, name, answer=None):
        self.name, self.answer, self.calls = name, answer, []

    @hookimpl
    def ccctl_export_customer(self, customer, ctx):
        self.calls.append(("export", ctx.tenant.slug))
        return self.answer

    @hookimpl
    def ccctl_item_closed(self, item, ctx):
        self.calls.append(("closed", ctx.tenant.slug))


class Tenant:
    slug = "client-a"

    def enabled_plugins(self):
        return {"on"}


class Ctx:
    """What call_hook needs of a TenantContext: its app (pm) and tenant."""

    def __init__(self, pm):
        self.app, self.tenant = type("App", (), {"pm": pm})(), Tenant()


def recorders():
    on, off = Recorder("on", {"held": 1}), Recorder("off", {"held": 2})
    pm = get_plugin_manager(load_entrypoints=False, extra=[("on", on), ("off", off)])
    return pm, on, off


def test_call_hook_takes_the_reach_from_the_spec_and_names_who_answered():
    pm, on, off = recorders()
    ctx = Ctx(pm)
    assert CONTRACTS["ccctl_export_customer"].reach == EVERY
    assert sorted(call_hook(ctx, "ccctl_export_customer", customer=None)) == [("off", {"held": 2}),
                                                                               ("on", {"held": 1})]
    assert CONTRACTS["ccctl_item_closed"].reach == TENANT
    assert call_hook(ctx, "ccctl_item_closed", item=None) == [("on", None)]
    assert on.calls == [("export", "client-a"), ("closed", "client-a")] and off.calls == [("export", "client-a")]
    # pluggy's own caller, with the same reach, for hot paths
    hook_caller(ctx, "ccctl_item_closed")(item=None, ctx=ctx)
    assert len(on.calls) == 3 and len(off.calls) == 1


def test_a_tenant_reach_hook_needs_a_tenant_and_an_unknown_hook_is_named():
    pm, _on, _off = recorders()
    with pytest.raises(TypeError, match="ccctl_item_closed reaches the tenant's enabled plugins"):
        hook_caller(pm, "ccctl_item_closed")
    with pytest.raises(KeyError, match="ccctl_item_shut"):
        call_hook(Ctx(pm), "ccctl_item_shut", item=None)


def test_a_failing_plugin_is_named_with_its_hook():
    class Broken:
        @hookimpl
        def ccctl_export_customer(self, customer, ctx):
            raise OSError("archive offline")

    pm = get_plugin_manager(load_entrypoints=False, extra=[("archive", Broken())])
    with pytest.raises(PluginFailed, match="plugin 'archive' failed in ccctl_export_customer: archive offline") as e:
        call_hook(Ctx(pm), "ccctl_export_customer", customer=None)
    assert e.value.plugin == "archive" and isinstance(e.value.__cause__, OSError) and e.value.exit_code == 1


def test_trace_plugins_prints_each_hook_call_to_stderr(monkeypatch, capsys):
    monkeypatch.setenv("CCCTL_TRACE_PLUGINS", "1")
    pm, _on, _off = recorders()
    ctx = Ctx(pm)
    call_hook(ctx, "ccctl_item_closed", item=None)
    hook_caller(pm, "ccctl_export_customer")(customer="c-1", ctx=ctx)
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("ccctl trace: ccctl_item_closed(item=None, ctx=") and err[0].endswith("-> on")
    assert err[1] == "ccctl trace: ccctl_item_closed returned []"   # pluggy drops None answers
    assert err[2].startswith("ccctl trace: ccctl_export_customer(customer='c-1', ctx=") and err[2].endswith(
        "-> off, on")
    assert err[3] == "ccctl trace: ccctl_export_customer returned [{'held': 2}, {'held': 1}]"
    assert len(err) == 4
    monkeypatch.delenv("CCCTL_TRACE_PLUGINS")
    pm = recorders()[0]
    pm.hook.ccctl_export_customer(customer=None, ctx=Ctx(pm))
    assert capsys.readouterr().err == ""


# --- one release of old names ---------------------------------------------------------------


@pytest.fixture
def renamed(monkeypatch):
    """A rename in the table, as the real ones are: ccctl_old_closed -> ccctl_item_closed, and the
    renamed hook no longer passes ``tenant`` (an old implementation still gets ctx.tenant)."""
    monkeypatch.setitem(hookspecs.RENAMED, "ccctl_old_closed", "ccctl_item_closed")
    monkeypatch.setitem(hookspecs.DROPPED_ARGS, "ccctl_item_closed", {"tenant": lambda ctx: ctx.tenant})


def test_an_old_hook_name_still_runs_with_a_deprecation_warning(renamed):
    class Old:
        seen = []

        @hookimpl
        def ccctl_old_closed(self, item, tenant, ctx):
            Old.seen.append((item, tenant.slug))
            return "done"

    with pytest.warns(DeprecationWarning, match="ccctl hook ccctl_old_closed is renamed ccctl_item_closed"):
        pm = get_plugin_manager(load_entrypoints=False, extra=[("on", Old())])
    ctx = Ctx(pm)
    assert call_hook(ctx, "ccctl_item_closed", item="i-1") == [("on", "done")]
    with pytest.warns(DeprecationWarning):  # a caller using the old name is pointed at the new one
        hook_caller(ctx, "ccctl_old_closed")(item="i-2", ctx=ctx)
    assert Old.seen == [("i-1", "client-a"), ("i-2", "client-a")]


def test_new_names_register_without_warning_and_a_new_impl_cannot_take_a_dropped_argument(renamed):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        recorders()

    class New:
        @hookimpl
        def ccctl_item_closed(self, item, tenant, ctx):
            pass

    import pluggy

    with pytest.raises(pluggy.PluginValidationError, match="tenant"):
        get_plugin_manager(load_entrypoints=False, extra=[("new", New())])


# --- extras and installed plugins -----------------------------------------------------------


def test_an_extra_named_like_an_installed_plugin_replaces_it():
    import ccctl_sms

    class MySms:
        @hookimpl
        def ccctl_item_closed(self, item, ctx):
            pass

    mine = MySms()
    pm = get_plugin_manager(extra=[("sms", mine)])
    assert pm.get_plugin("sms") is mine and not pm.is_registered(ccctl_sms)
    same = get_plugin_manager(extra=[("sms", ccctl_sms)])  # the installed module itself: kept
    assert same.get_plugin("sms") is ccctl_sms


class OldNames:
    """A plugin written against the previous release's hook names and signatures."""

    def __init__(self):
        self.seen = []

    @hookimpl
    def ccctl_config_schema(self, register):
        register("old", dict)

    @hookimpl
    def ccctl_migrations(self, register):
        self.seen.append("migrations")

    @hookimpl
    def ccctl_customer_export(self, customer, ctx):
        return {"customer": customer}

    @hookimpl
    def ccctl_customer_erased(self, customer, ctx):
        self.seen.append(("erased", customer))

    @hookimpl
    def ccctl_billing_usage(self, tenant, start, end, ctx):
        return [{"unit": "fax_page", "quantity": 1, "tenant": tenant.slug, "start": start}]

    @hookimpl
    def ccctl_self_service_events(self, tenant, start, end, ctx):
        return [("events", tenant.slug, end)]

    @hookimpl
    def ccctl_suggest(self, item, text, ctx):
        return [{"title": text}]


def test_the_previous_releases_hook_names_still_work_with_a_warning_each():
    with pytest.warns(DeprecationWarning) as caught:
        pm = get_plugin_manager(load_entrypoints=False, extra=[("on", OldNames())])
    assert {str(w.message).split()[2] for w in caught} == set(hookspecs.RENAMED)
    ctx = Ctx(pm)
    assert call_hook(ctx, "ccctl_report_usage", start=1, end=2) == [
        ("on", [{"unit": "fax_page", "quantity": 1, "tenant": "client-a", "start": 1}])]   # tenant from ctx
    assert call_hook(ctx, "ccctl_list_self_service_events", start=1, end=2) == [("on", [("events", "client-a", 2)])]
    assert call_hook(ctx, "ccctl_export_customer", customer=7) == [("on", {"customer": 7})]
    assert call_hook(ctx, "ccctl_suggest_answers", item=None, text="valise") == [("on", [{"title": "valise"}])]
    call_hook(ctx, "ccctl_erase_customer", customer=7)
    schemas = {}
    with pytest.warns(DeprecationWarning, match="ccctl_config_schema is renamed ccctl_register_config_schema"):
        pm.hook.ccctl_config_schema(register=schemas.__setitem__)   # a caller still using the old name
    assert schemas == {"old": dict}
    hook_caller(pm, "ccctl_register_migrations")(register=None)
    assert pm.get_plugin("on").seen == [("erased", 7), "migrations"]


def test_renames_point_at_declared_hooks_and_old_names_are_no_longer_specs():
    for old, new in hookspecs.RENAMED.items():
        assert new in CONTRACTS and old not in CONTRACTS and not hasattr(hookspecs, old)
    for hook, args in hookspecs.DROPPED_ARGS.items():
        assert hook in CONTRACTS and not set(args) & set(inspect.signature(getattr(hookspecs, hook)).parameters)
    with pytest.raises(AttributeError):
        recorders()[0].hook.ccctl_no_such_hook  # noqa: B018 - unknown names still fail loudly
