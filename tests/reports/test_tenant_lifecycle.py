"""The end of a contract: archive (no new work), export everything, delete everything; then grep the database.

The person of the privacy tests is reused: known through email, a call-back with its SMS, a
merge, an SMS and the rows of a plugin the tenant switched off (``fax_log``).
"""

from __future__ import annotations

import json

import pytest

from reports.test_privacy import NEEDLES, cli, database_text, faxes, person  # noqa: F401 (fixtures)

from ccctl.errors import CcctlError
from ccctl.hookspecs import hookimpl

TENANT = "voyages-lumiere"


def test_archive_stops_new_work_and_unarchive_reopens(cli, person, app):
    from ccctl.queue.items import create_item
    from ccctl.web.scope import TenantDirectory

    row = cli.json("tenant", "archive", TENANT, "--actor", "ops")
    assert row["archived_at"] is not None
    assert "already archived" in cli("tenant", "archive", TENANT, code=2).stderr
    with app.session() as session:
        ctx = app.context(session, app.tenant(session, TENANT))
        with pytest.raises(CcctlError, match=f"tenant {TENANT} is archived"):
            create_item(ctx, "email", subject="new work")
    assert TenantDirectory(app).lookup(TENANT) is None  # its web pages and webhooks answer 404
    assert cli.json("customer", "show", str(person["id"]), "-t", TENANT)["name"]  # still readable
    cli("tenant", "unarchive", TENANT)
    with app.session() as session:
        item, created = create_item(app.context(session, app.tenant(session, TENANT)), "email", subject="back")
        assert created
    assert [e["action"] for e in cli.json("audit", "--tenant", TENANT)][:2] == ["tenant.unarchive", "tenant.archive"]


def test_export_streams_every_row_of_the_tenant_and_none_of_another(cli, person, tmp_path):
    target = tmp_path / "export.jsonl"
    result = cli("tenant", "export", TENANT, "-o", str(target))
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert f"exported {len(lines)} rows of tenant {TENANT}" in result.stderr
    assert lines[0]["table"] == "tenants" and lines[0]["row"]["slug"] == TENANT
    tenant_id = lines[0]["row"]["id"]
    tables = {line["table"] for line in lines}
    # Core, every channel plugin, and the switched-off plugin's own table.
    assert {"customers", "contact_points", "interactions", "work_items", "email_messages", "callback_requests",
            "sms_outbox", "fax_log"} <= tables
    assert all(line["row"]["tenant_id"] == tenant_id for line in lines[1:] if line["table"] != "audit_log")
    assert any(line["row"].get("note") == "Fax de Zoé Quintard-Lebrun" for line in lines if line["table"] == "fax_log")
    other = cli("tenant", "export", "assurance-horizon").stdout
    assert "quintard" not in other.lower()


def test_delete_needs_archive_and_confirmation_then_leaves_no_row_or_byte(cli, person, db_url, app):
    assert "not archived: archive it first" in cli("tenant", "delete", TENANT, "--yes", code=2).stderr
    cli("tenant", "archive", TENANT)
    dry = cli.json("tenant", "delete", TENANT, "--dry-run")
    assert dry["dry_run"] and dry["rows"]["customers"] >= 3 and dry["rows"]["fax_log"] == 1
    assert "pass --yes in scripts" in cli("tenant", "delete", TENANT, code=2).stderr  # no terminal to ask
    assert [n for n in NEEDLES if n in database_text(db_url, vacuum=False)]  # the dry run deleted nothing
    done = cli.json("tenant", "delete", TENANT, "--yes", "--actor", "dpo")
    assert done["rows"] == {**dry["rows"], "tenants": 1}
    assert [t["tenant"] for t in cli.json("tenant", "list")] == ["assurance-horizon"]
    assert not [n for n in NEEDLES if n in database_text(db_url)]  # nothing left, even in free pages
    entry = cli.json("audit")[0]
    assert (entry["actor"], entry["action"], entry["target"], entry["tenant"]) == (
        "dpo", "tenant.delete", f"tenant:{TENANT}", "")
    # The other client is untouched and still works.
    assert cli.json("tenant", "show", "assurance-horizon")["tenant"] == "assurance-horizon"


def test_export_values_are_exact_in_json():
    import base64
    from datetime import UTC, datetime
    from decimal import Decimal

    from ccctl.lifecycle import _plain

    raw = bytes(range(256))
    assert base64.b64decode(_plain(raw)["base64"]) == raw
    assert _plain(memoryview(b"\x00x"))["base64"] == "AHg="
    assert _plain(datetime(2026, 12, 6, 13, 0, tzinfo=UTC)) == "2026-12-06T13:00:00+00:00"
    assert _plain(Decimal("12.3400")) == "12.3400"
    assert _plain({"a": 1}) == {"a": 1}


def _reapply(cli, tmp_path, slug, plugins):
    """Apply example tenant ``slug`` again with more plugin settings."""
    import yaml

    from reports.report_helpers import EXAMPLES

    document = yaml.safe_load((EXAMPLES / "clients" / f"{slug}.yaml").read_text(encoding="utf-8"))
    for name, section in plugins.items():
        document["plugins"][name] = {**document["plugins"].get(name, {}), **section}
    path = tmp_path / f"{slug}.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    cli("tenant", "apply", "-f", str(path))


def _bytes_under(folder) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()).lower()


def test_delete_removes_the_files_plugins_keep_for_the_tenant_and_keeps_shared_ones(cli, person, tmp_path,
                                                                                    monkeypatch):
    from ccctl_email.tokenstore import TokenRecord, record_path, save

    data = tmp_path / "data"
    (data / "brochures").mkdir(parents=True)
    for name in ("japon-fr.pdf", "commune-fr.pdf"):
        (data / "brochures" / name).write_bytes(b"%PDF-1.4 brochure")
    monkeypatch.setenv("CCCTL_TOKEN_DIR", str(data / "tokens"))
    documents = {"japon": {"title": "Japon", "files": {"fr": str(data / "brochures" / "japon-fr.pdf")}},
                 "commune": {"title": "Commune", "files": {"fr": str(data / "brochures" / "commune-fr.pdf")}}}
    _reapply(cli, tmp_path, TENANT, {"sms": {"backend": "file", "file_path": str(data / "sms-sent.jsonl")},
                                     "fulfil": {"enabled": True, "documents": documents}})
    _reapply(cli, tmp_path, "assurance-horizon", {"fulfil": {"enabled": True, "documents": {  # shares one brochure
        "commune": documents["commune"]}}})
    cli("sms", "dispatch", "-t", TENANT)  # the file backend logs the confirmation: her name and number
    token = record_path(TENANT, "reservations@voyages.example", "https://login.example/token", "app")
    save(token, TokenRecord(user="reservations@voyages.example", client_id="app",
                            token_url="https://login.example/token", access_token="secret-quintard", expires_at=1e10))
    assert [n for n in NEEDLES if n in _bytes_under(data)]  # the files hold her data before
    cli("tenant", "archive", TENANT)
    dry = cli("tenant", "delete", TENANT, "--dry-run", "--format", "json")
    listed = json.loads(dry.stdout)
    assert sorted(listed["files"]) == sorted([str(data / "brochures" / "japon-fr.pdf"), str(data / "sms-sent.jsonl"),
                                             str(data / "tokens" / TENANT)])
    assert listed["shared_files"] == [str(data / "brochures" / "commune-fr.pdf")]
    assert f"kept {data / 'brochures' / 'commune-fr.pdf'}: also used by assurance-horizon" in dry.stderr
    assert token.exists() and (data / "sms-sent.jsonl").exists()  # a dry run deletes nothing
    done = cli.json("tenant", "delete", TENANT, "--yes")
    assert done["files"] == listed["files"]
    left = sorted(str(p.relative_to(data)) for p in data.rglob("*"))
    assert left == ["brochures", "brochures/commune-fr.pdf", "tokens"]  # the token root is every tenant's
    assert not [n for n in NEEDLES if n in _bytes_under(data)] and b"secret-quintard" not in _bytes_under(data)
    assert cli.json("audit")[0]["details"]["files"] == 3


class _Unremovable:
    """A plugin declaring a file the kernel will not let anyone delete, and then a non-path."""

    answer = ["/proc/version"]

    @hookimpl
    def ccctl_list_tenant_files(self, ctx):
        return self.answer if ctx.tenant.slug == TENANT else []


def test_a_file_that_cannot_be_removed_leaves_every_row(person, ccctl_with, db_url):
    from reports.report_helpers import runner_with

    plugin = _Unremovable()
    cli = runner_with(ccctl_with, plugin, "unremovable")
    cli("tenant", "archive", TENANT)
    assert "/proc/version" in cli.json("tenant", "delete", TENANT, "--dry-run")["files"]
    failed = cli("tenant", "delete", TENANT, "--yes", code=1).stderr
    assert f"tenant {TENANT}: 1 file(s) could not be removed, so no row was deleted" in failed
    assert "/proc/version" in failed
    assert TENANT in [t["tenant"] for t in cli.json("tenant", "list")]
    assert [n for n in NEEDLES if n in database_text(db_url, vacuum=False)]
    plugin.answer = [42]
    assert "plugin 'unremovable' declared a file of tenant voyages-lumiere that is not a path: 42" in cli(
        "tenant", "delete", TENANT, "--dry-run", code=1).stderr


class _Remote:
    """A plugin keeping the tenant's data at a provider until its own command deletes it."""

    answer: list = ["3 faxes at the provider: run ccctl fax purge -t voyages-lumiere"]

    @hookimpl
    def ccctl_list_tenant_delete_blockers(self, ctx):
        return self.answer if ctx.tenant.slug == TENANT else None


def test_remote_data_a_plugin_names_blocks_the_deletion_until_it_is_gone(person, ccctl_with, db_url):
    from reports.report_helpers import runner_with

    plugin = _Remote()
    cli = runner_with(ccctl_with, plugin, "remote")
    cli("tenant", "archive", TENANT)
    dry = cli("tenant", "delete", TENANT, "--dry-run", "--format", "json", code=1)
    assert json.loads(dry.stdout)["blockers"] == ["remote: 3 faxes at the provider: run ccctl fax purge -t " + TENANT]
    refused = cli("tenant", "delete", TENANT, "--yes", code=1).stderr
    assert f"tenant {TENANT} still has data outside this machine" in refused and "ccctl fax purge" in refused
    assert [n for n in NEEDLES if n in database_text(db_url, vacuum=False)]  # nothing deleted
    plugin.answer = [""]
    assert "plugin 'remote' answered ccctl_list_tenant_delete_blockers for tenant voyages-lumiere with ''" in cli(
        "tenant", "delete", TENANT, "--dry-run", code=1).stderr
    plugin.answer = []
    assert cli.json("tenant", "delete", TENANT, "--yes")["blockers"] == []
    assert TENANT not in [t["tenant"] for t in cli.json("tenant", "list")]
