"""ccctl report billing: rates from the tenant YAML, month boundaries in the tenant's zone, Decimal rounding."""

import json

import pytest

from reports.report_helpers import BILLING_TENANT, EXAMPLES, add_interaction, add_item, paris, runner_with

from ccctl.hookspecs import hookimpl


class FaxUsage:
    """A third-party plugin reporting its own billable usage."""

    def __init__(self, lines):
        self.lines = lines
        self.calls = []

    @hookimpl
    def ccctl_report_usage(self, start, end, ctx):
        self.calls.append((ctx.tenant.slug, start, end))
        return self.lines if ctx.tenant.slug == "voyages-lumiere" else []


@pytest.fixture
def november(ccctl, billing_tenant, app):
    ccctl("tenant", "apply", "-f", str(EXAMPLES / "clients" / "assurance-horizon.yaml"))
    with app.session() as s:
        t = app.tenant(s, "voyages-lumiere")
        created = paris(2026, 10, 20, 9)
        for closed, outcome in [(paris(2026, 11, 3, 10), "resolved"), (paris(2026, 11, 4, 10), "resolved"),
                                (paris(2026, 11, 30, 23, 30), "resolved"),  # 22:30 UTC: still November
                                (paris(2026, 11, 5, 10), "spam"),  # free
                                (paris(2026, 10, 31, 23, 30), "resolved"),  # October
                                (paris(2026, 12, 1, 0, 30), "resolved")]:  # 23:30 UTC on 30 Nov: December
            add_item(s, t, created=created, closed=closed, outcome=outcome)
        for day in (6, 7):
            add_item(s, t, "callback", created=created, closed=paris(2026, 11, day, 11), outcome="reached")
        add_item(s, t, "selfhelp", created=created, closed=paris(2026, 11, 8, 11))  # no per_item rate
        add_item(s, t, created=created)  # open: not handled
        for segments, direction, day in [(2, "out", 3), (3, "out", 12), (4, "in", 12), (9, "out", -1)]:
            at = paris(2026, 11, day, 9) if day > 0 else paris(2026, 10, 30, 9)
            add_interaction(s, t, "sms", at=at, direction=direction, payload={"segments": segments})
        for seconds in (61, 120, 0):
            add_interaction(s, t, "callback", at=paris(2026, 11, 9, 10), direction="out",
                            payload={"duration_seconds": seconds})
        s.commit()


def lines_of(rows, tenant="voyages-lumiere"):
    return {r["line"]: r for r in rows if r["tenant"] == tenant}


def test_invoice_lines_and_rounding(november, ccctl_with):
    plugin = FaxUsage([{"unit": "fax_page", "quantity": 3}, {"unit": "pigeon", "quantity": 2}])
    result = runner_with(ccctl_with, plugin, "faxes")("report", "billing", "--month", "2026-11", "-t", "voyages-lumiere",
                                         "--format", "json")
    lines = lines_of(json.loads(result.stdout)["rows"])
    assert lines["monthly fee 2026-11"] == {"tenant": "voyages-lumiere", "line": "monthly fee 2026-11",
                                            "quantity": "1", "unit_price": "1500", "amount": "1500.00",
                                            "currency": "EUR"}
    assert (lines["handled email items"]["quantity"], lines["handled email items"]["amount"]) == ("3", "6.30")
    # 2 × 3.333 = 6.666 → 6.67
    assert lines["handled callback items"]["amount"] == "6.67"
    # 5 outbound segments × 0.065 = 0.325 → 0.33 (half-up, not banker's 0.32)
    assert (lines["SMS segments"]["quantity"], lines["SMS segments"]["amount"]) == ("5", "0.33")
    # 61 s → 2 started minutes, 120 s → 2, 0 s → none: 4 × 0.45
    assert (lines["call-back minutes"]["quantity"], lines["call-back minutes"]["amount"]) == ("4", "1.80")
    assert lines["fax_page"]["amount"] == "0.38"  # 3 × 0.125 = 0.375 → 0.38
    assert lines["total"]["amount"] == "1515.48"
    assert "pigeon" not in lines and "'pigeon' reported by a plugin with no rate" in result.stderr
    assert "1 handled selfhelp item(s) with no per_item rate" in result.stderr
    # The plugin was asked for the Paris month, in UTC.
    assert plugin.calls == [("voyages-lumiere", paris(2026, 11, 1), paris(2026, 12, 1))]


def test_plugin_usage_replaces_the_history_fallback(november, ccctl_with):
    plugin = FaxUsage([{"unit": "sms_segment", "quantity": "10"}, {"unit": "sms_segment", "quantity": 2}])
    rows = runner_with(ccctl_with, plugin, "faxes").json("report", "billing", "--month", "2026-11",
                                                         "-t", "voyages-lumiere")["rows"]
    assert lines_of(rows)["SMS segments"]["quantity"] == "12"


def test_every_tenant_and_audit(november, ccctl):
    result = ccctl("report", "billing", "--month", "2026-11", "--format", "json", "--actor", "compta")
    report = json.loads(result.stdout)
    assert report["parameters"]["month"] == "2026-11"
    assert report["parameters"]["tenants"] == ["assurance-horizon", "voyages-lumiere"]
    rows = report["rows"]
    assert lines_of(rows, "assurance-horizon") == {
        "total": {"tenant": "assurance-horizon", "line": "total", "quantity": None, "unit_price": None,
                  "amount": "0.00", "currency": "EUR"}}
    assert "assurance-horizon: no 'billing' section" in result.stderr
    assert lines_of(rows)["total"]["amount"] == "1515.10"  # no fax pages without the plugin
    audit = ccctl.json("audit", "--action", "report.billing")
    assert {(e["tenant"], e["actor"], e["details"]["total"]) for e in audit} == {
        ("voyages-lumiere", "compta", "1515.10"), ("assurance-horizon", "compta", "0.00")}


def test_csv(november, ccctl):
    out = ccctl("report", "billing", "--month", "2026-11", "-t", "voyages-lumiere", "--format", "csv").stdout
    assert out.splitlines()[0] == "tenant,line,quantity,unit_price,amount,currency"
    assert "voyages-lumiere,handled callback items,2,3.333,6.67,EUR" in out


@pytest.mark.parametrize("month", ["2026-13", "2026/11", "nov", "2026-00", "2026-1"])
def test_bad_month(billing_tenant, ccctl, month):
    result = ccctl("report", "billing", "--month", month, code=2)
    assert f"--month: '{month}' is not a month like 2026-11" in result.stderr


def test_missing_month_and_unknown_tenant(billing_tenant, ccctl):
    assert "Missing option '--month'" in ccctl("report", "billing", code=2).stderr
    assert "no tenant 'ghost'" in ccctl("report", "billing", "--month", "2026-11", "-t", "ghost", code=2).stderr


def test_bad_plugin_usage_is_reported(november, ccctl_with):
    plugin = FaxUsage([{"unit": "fax_page", "quantity": "many"}])
    result = runner_with(ccctl_with, plugin, "faxes")("report", "billing", "--month", "2026-11", "-t", "voyages-lumiere", code=1)
    assert "usage 'fax_page' with quantity 'many'" in result.stderr


@pytest.mark.parametrize("change, key", [
    ('per_item: {email: "2.10", callback: "3.333"}', "per_item: {email: -1}"),
    ("per_sms_segment: \"0.065\"", "per_sms_segment: 0.00001"),
    ("currency: EUR", "currency: euro"),
    ("monthly_fee: 1500", "monthly_fee: lots"),
])
def test_bad_rates_name_the_key(ccctl, tmp_path, change, key):
    path = tmp_path / "bad.yaml"
    path.write_text(BILLING_TENANT.replace(change, key), encoding="utf-8")
    result = ccctl("tenant", "apply", "-f", str(path), code=2)
    assert str(path) in result.stderr and "billing." + key.split(":")[0] in result.stderr


class BrokenUsage:
    @hookimpl
    def ccctl_report_usage(self, start, end, ctx):
        raise RuntimeError("fax server unreachable")


def test_a_failing_plugin_is_named(november, ccctl, ccctl_with):
    result = runner_with(ccctl_with, BrokenUsage(), "faxes")("report", "billing", "--month", "2026-11", code=1)
    assert "assurance-horizon: plugin 'faxes' failed in ccctl_report_usage: fax server unreachable" in result.stderr
    assert ccctl.json("audit", "--action", "report.billing") == []  # nothing half-recorded
