"""Tenant YAML: every bad input exits 2 naming file, line and key, and applies nothing."""

from __future__ import annotations

import json
import re

import pytest

GOOD = """\
tenant: acme
name: Acme
timezone: Europe/Paris
business_hours:
  mon-fri: ["09:00-18:00"]
queues:
  - name: general
"""

# (id, file text, line the error must name, key it must name, words the reason must contain)
BAD = [
    ("yaml-syntax", """\
tenant: zulu
name: Zulu
business_hours:
  mon-fri: ["09:00-18:00"
  sat: "10:00-12:00"
""", 5, "mon-fri", "invalid YAML"),
    ("yaml-bad-indent", """\
tenant: zulu
name: Zulu
  timezone: Europe/Paris
""", 3, "timezone", "invalid YAML"),
    ("unknown-key", """\
tenant: zulu
name: Zulu
timezon: Europe/Paris
""", 3, "timezon", "unknown key"),
    ("unknown-nested-key", """\
tenant: zulu
name: Zulu
queues:
  - name: general
    priorty: 3
""", 5, "queues[0].priorty", "unknown key"),
    ("wrong-type", """\
tenant: zulu
name: Zulu
queues:
  - name: general
    priority: high
""", 5, "queues[0].priority", "integer"),
    ("queues-not-a-list", """\
tenant: zulu
name: Zulu
queues: general
""", 3, "queues", "list"),
    ("bad-timezone", """\
tenant: zulu
name: Zulu
timezone: Europe/Pariss
""", 3, "timezone", "unknown time zone"),
    ("bad-hours-range", """\
tenant: zulu
name: Zulu
business_hours:
  mon-fri: ["09:00-18:00"]
  sat: "10h-12h"
""", 5, "business_hours.sat", "time range"),
    ("bad-hours-day", """\
tenant: zulu
name: Zulu
business_hours:
  mon-fry: "09:00-18:00"
""", 4, "business_hours.mon-fry", "day range"),
    ("hours-backwards", """\
tenant: zulu
name: Zulu
business_hours:
  mon-fri: "18:00-09:00"
""", 4, "business_hours.mon-fri", "ends before it starts"),
    ("hours-overlap", """\
tenant: zulu
name: Zulu
business_hours:
  mon-fri: ["09:00-13:00", "12:00-18:00"]
""", 4, "business_hours.mon-fri", "overlap"),
    ("day-twice", """\
tenant: zulu
name: Zulu
business_hours:
  mon-fri: "09:00-18:00"
  fri: "09:00-12:00"
""", 3, "business_hours", "'fri' is given twice"),
    ("duplicate-key", """\
tenant: zulu
name: Zulu
timezone: Europe/Paris
timezone: Europe/London
""", 4, "timezone", "duplicate key (first written on line 3)"),
    ("bad-sla", """\
tenant: zulu
name: Zulu
queues:
  - name: general
    sla: soon
""", 5, "queues[0].sla", "duration"),
    ("duplicate-queue", """\
tenant: zulu
name: Zulu
queues:
  - name: general
  - name: general
""", 1, None, "queue names must be unique"),
    ("bad-slug", """\
tenant: Zulu Corp
name: Zulu
""", 1, "tenant", "pattern"),
    ("missing-name", """\
tenant: zulu
timezone: Europe/Paris
""", 1, "name", "required key is missing"),
    ("plain-secret", """\
tenant: zulu
name: Zulu
plugins:
  email:
    enabled: false
    imap_password: hunter2
""", 6, "plugins.email.imap_password", "${ENV_VAR}"),
    ("plugin-not-installed", """\
tenant: zulu
name: Zulu
plugins:
  whatsapp:
    enabled: true
""", 4, "plugins.whatsapp", "not installed"),
    ("bad-locale", """\
tenant: zulu
name: Zulu
locale: french
""", 3, "locale", "locale like fr_FR"),
    ("bad-holidays", """\
tenant: zulu
name: Zulu
holidays: XX
""", 3, "holidays", "public-holiday calendar"),
]


@pytest.mark.parametrize("text,line,key,reason", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_config_exits_2_names_file_line_key_and_applies_nothing(
        ccctl, write_yaml, snapshot, text, line, key, reason):
    # An existing tenant, then a folder holding its changed file and one bad file:
    # neither the update nor the bad file may reach the database.
    ccctl("tenant", "apply", "-f", write_yaml("clients/a-acme.yaml", GOOD).parent)
    before = snapshot()
    write_yaml("clients/a-acme.yaml", GOOD.replace("Europe/Paris", "America/Martinique"))
    bad = write_yaml("clients/b-zulu.yaml", text)
    result = ccctl("tenant", "apply", "-f", bad.parent, code=2)
    message = result.stderr
    assert f"{bad}:{line}:" in message, message
    if key:
        assert f"key '{key}'" in message, message
    assert reason in message, message
    assert "Traceback" not in message
    assert snapshot() == before


def test_same_tenant_in_two_files_is_refused(ccctl, write_yaml, snapshot):
    write_yaml("clients/one.yaml", GOOD)
    second = write_yaml("clients/two.yaml", "# a copy\n" + GOOD)
    before = snapshot()
    message = ccctl("tenant", "apply", "-f", second.parent, code=2).stderr
    assert f"{second}:2: key 'tenant': tenant 'acme' is also defined in" in message
    assert "one.yaml" in message
    assert snapshot() == before


def test_missing_path_and_empty_folder_exit_2(ccctl, tmp_path):
    assert "no such file" in ccctl("tenant", "apply", "-f", tmp_path / "nope.yaml", code=2).stderr
    (tmp_path / "empty").mkdir()
    assert "no .yaml" in ccctl("tenant", "apply", "-f", tmp_path / "empty", code=2).stderr


def test_not_utf8_and_not_a_mapping(ccctl, tmp_path, write_yaml):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("tenant: zulu\nname: Société\n".encode("latin-1"))
    assert f"{latin}: not UTF-8" in ccctl("tenant", "apply", "-f", latin, code=2).stderr
    listed = write_yaml("list.yaml", "- tenant: zulu\n")
    assert f"{listed}:1: the file must be a mapping" in ccctl("tenant", "apply", "-f", listed, code=2).stderr


def test_dry_run_shows_the_diff_and_changes_nothing(ccctl, write_yaml, snapshot):
    path = write_yaml("acme.yaml", GOOD)
    before = snapshot()
    out = ccctl("tenant", "apply", "-f", path, "--dry-run", "--format", "table").stdout
    assert "acme: create (dry run)" in out
    assert "+ name: 'Acme'" in out and "+ queues[general].name: 'general'" in out
    # What the file leaves (or sets) at the defaults is counted, not listed.
    assert "+ queues[general].sla: '24h'" not in out and "+ business_hours.mon" not in out
    counted = re.search(r"\((\d+) more keys at their default values: --verbose lists them\)", out)
    verbose = ccctl("tenant", "apply", "-f", path, "--dry-run", "--verbose", "--format", "table").stdout
    assert "+ queues[general].sla: '24h'" in verbose and "+ business_hours.mon: ['09:00-18:00']" in verbose
    assert "more keys at their default" not in verbose
    assert len(verbose.splitlines()) == len(out.splitlines()) - 1 + int(counted.group(1))
    as_json = ccctl.json("tenant", "apply", "-f", path, "--dry-run")[0]
    assert as_json["at_defaults"] == int(counted.group(1)) and len(as_json["diff"]) == as_json["changes"]
    assert snapshot() == before
    assert ccctl.json("tenant", "list") == []


def test_dropping_a_queue_that_holds_items_is_refused_unless_forced(ccctl, write_yaml, app):
    from ccctl.queue.items import create_item

    path = write_yaml("acme.yaml", GOOD + "  - name: claims\n")
    ccctl("tenant", "apply", "-f", path)
    with app.session() as session:
        tenant = app.tenant(session, "acme")
        create_item(app.context(session, tenant), "email", subject="stranded?", queue="claims")
        session.commit()
    write_yaml("acme.yaml", GOOD)
    dry = ccctl("tenant", "apply", "-f", path, "--dry-run", "--format", "table")
    assert "! queue 'claims' is removed but holds 1 item(s) not closed" in dry.stderr
    refused = ccctl("tenant", "apply", "-f", path, code=2)
    assert "nothing applied" in refused.stderr and "acme: queue 'claims' is removed but holds 1" in refused.stderr
    assert [q["name"] for q in ccctl.json("tenant", "show", "acme")["queues"]] == ["general", "claims"]
    assert ccctl.json("tenant", "apply", "-f", path, "--force")[0]["action"] == "update"
    assert [q["name"] for q in ccctl.json("tenant", "show", "acme")["queues"]] == ["general"]


def test_apply_is_idempotent_and_an_update_shows_a_tilde_diff(ccctl, write_yaml, snapshot):
    path = write_yaml("acme.yaml", GOOD)
    first = ccctl.json("tenant", "apply", "-f", path)
    assert [(r["tenant"], r["action"]) for r in first] == [("acme", "create")]
    after_first = snapshot()
    again = ccctl.json("tenant", "apply", "-f", path)
    assert again == [{"tenant": "acme", "action": "unchanged", "changes": 0, "at_defaults": 0, "warnings": [],
                      "diff": []}]
    assert snapshot() == after_first  # not even updated_at moved

    write_yaml("acme.yaml", GOOD.replace("Europe/Paris", "America/Martinique"))
    dry = ccctl("tenant", "apply", "-f", path, "--dry-run", "--format", "table").stdout
    assert "acme: update (dry run)" in dry
    assert "~ timezone: 'Europe/Paris' -> 'America/Martinique'" in dry
    assert snapshot() == after_first
    ccctl("tenant", "apply", "-f", path)
    assert ccctl.json("tenant", "show", "acme")["timezone"] == "America/Martinique"


def test_removed_keys_show_a_minus_diff(ccctl, write_yaml):
    path = write_yaml("acme.yaml", GOOD + "  - name: claims\n    sla: 8h\n")
    ccctl("tenant", "apply", "-f", path)
    write_yaml("acme.yaml", GOOD)
    diff = ccctl.json("tenant", "apply", "-f", path, "--dry-run")[0]["diff"]
    assert "- queues[claims].sla: '8h'" in diff


def test_one_transaction_for_many_files(ccctl, write_yaml):
    write_yaml("clients/a.yaml", GOOD)
    path = write_yaml("clients/b.yaml", GOOD.replace("acme", "bravo").replace("Acme", "Bravo"))
    rows = ccctl.json("tenant", "apply", "-f", path.parent)
    assert [r["tenant"] for r in rows] == ["acme", "bravo"]
    assert [t["tenant"] for t in ccctl.json("tenant", "list")] == ["acme", "bravo"]


def test_tenant_show_prints_yaml_on_a_table_and_json_otherwise(example_tenants):
    import yaml

    table = example_tenants("tenant", "show", "voyages-lumiere", "--format", "table").stdout
    data = yaml.safe_load(table)
    assert data["tenant"] == "voyages-lumiere" and data["queues"][0]["name"] == "reservations"
    assert data["business_hours"]["sat"] == ["10:00-13:00"]
    as_json = json.loads(example_tenants("tenant", "show", "voyages-lumiere", "--format", "json").stdout)
    assert as_json == data


def test_unknown_tenant_names_the_known_ones(example_tenants):
    message = example_tenants("tenant", "show", "nobody", code=2).stderr
    assert "no tenant 'nobody'" in message and "assurance-horizon, voyages-lumiere" in message


def test_dry_run_json_says_what_would_happen(ccctl, write_yaml):
    path = write_yaml("acme.yaml", GOOD)
    assert [r["action"] for r in ccctl.json("tenant", "apply", "-f", path, "--dry-run")] == ["would create"]
    ccctl("tenant", "apply", "-f", path)
    assert [r["action"] for r in ccctl.json("tenant", "apply", "-f", path, "--dry-run")] == ["unchanged"]


def test_a_plugin_section_is_validated_once_per_content_and_never_served_stale():
    from types import SimpleNamespace

    from ccctl_site.config import SiteConfig

    def tenant(section):
        return SimpleNamespace(plugin_config=lambda name: dict(section) if name == "site" else {})

    first = SiteConfig.of(tenant({"enabled": True, "context_events": 3}), "site")
    assert SiteConfig.of(tenant({"context_events": 3, "enabled": True}), "site") is first  # same content
    edited = SiteConfig.of(tenant({"enabled": True, "context_events": 7}), "site")
    assert (first.context_events, edited.context_events) == (3, 7)
