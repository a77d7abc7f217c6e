"""customer export / erase through the real CLI and the real channel plugins; then grep the database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, insert, select, text, update

from reports.report_helpers import add_item, paris, runner_with

from ccctl.hookspecs import hookimpl

NAME = "Zoé Quintard-Lebrun"
EMAIL = "zoe.quintard@example.fr"
PHONE = "06 71 23 45 89"
# Lower-case byte strings that betray the person: the surname (also inside the email), the number.
NEEDLES = [b"quintard", b"671234589", b"71 23 45 89", b"zo\\u00e9", "zoé".encode()]

EML = f"""\
From: =?utf-8?q?Zo=C3=A9_Quintard-Lebrun?= <{EMAIL}>
To: reservations@voyages.example
Subject: =?utf-8?q?R=C3=A9servation_Rome_pour_Zo=C3=A9_Quintard-Lebrun?=
Message-ID: <zoe-1@example.fr>
Date: Mon, 23 Nov 2026 10:00:00 +0100
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Bonjour, ici {NAME}, rappelez-moi au {PHONE} ou écrivez à {EMAIL}.
"""

fax_meta = MetaData()
fax_log = Table("fax_log", fax_meta, Column("id", Integer, primary_key=True), Column("tenant_id", Integer),
                Column("customer_id", Integer), Column("number", String(40)), Column("note", Text))


class Faxes:
    """A plugin the tenant switched off, still holding data from when it was on.

    Its erase hook forgets the ``note`` column: the sweep must catch what it leaves.
    """

    def __init__(self):
        self.erased = []

    @hookimpl
    def ccctl_export_customer(self, customer, ctx):
        rows = ctx.session.execute(select(fax_log).where(fax_log.c.customer_id == customer.id)).mappings().all()
        return {"faxes": [dict(r) for r in rows]} if rows else None

    @hookimpl
    def ccctl_erase_customer(self, customer, ctx):
        self.erased.append(customer.id)
        ctx.session.execute(update(fax_log).where(fax_log.c.customer_id == customer.id).values(number=""))


@pytest.fixture
def faxes():
    return Faxes()


@pytest.fixture
def cli(db_url, example_tenants, ccctl_with, faxes):
    engine = create_engine(db_url)
    fax_meta.create_all(engine)  # the plugin's own table
    engine.dispose()
    return runner_with(ccctl_with, faxes, "faxes")


@pytest.fixture
def person(cli, app, db_url, tmp_path) -> dict:
    """One person known through email, a call-back (with its SMS confirmation), a merge, an SMS and a fax."""
    eml = tmp_path / "zoe.eml"
    eml.write_text(EML, encoding="utf-8")
    cli("email", "ingest", "-t", "voyages-lumiere", "--no-ack", str(eml), "--format", "json")
    by_email = cli.json("customer", "find", EMAIL, "-t", "voyages-lumiere")[0]["id"]
    with app.session() as s:
        from ccctl_callback.requests import RequestInput, create_request

        tenant = app.tenant(s, "voyages-lumiere")
        request, _ = create_request(app.context(s, tenant), RequestInput(
            phone=PHONE, name=NAME, reason=f"Rappeler {NAME} au {PHONE}", referral_code="BLOG",
            context={"page": "https://voyages.example/rome", "email": EMAIL}), now=paris(2026, 11, 23, 10, 30))
        s.commit()
    by_phone = cli.json("customer", "find", PHONE, "-t", "voyages-lumiere")[0]["id"]
    assert by_phone != by_email
    cli("customer", "merge", str(by_phone), str(by_email), "-t", "voyages-lumiere", "--actor", "marie")
    cli("sms", "schedule", "-", "-t", "voyages-lumiere", "--format", "json",
        input=json.dumps({"to": PHONE, "body": f"Bonjour {NAME}, votre rappel est noté", "kind": "transactional"}))
    bystander = cli.json("customer", "add", "Paul Martin", "--email", "paul@example.fr", "-t", "voyages-lumiere")
    with app.session() as s:
        from ccctl.db.models import Customer

        s.get(Customer, bystander["id"]).attributes = {"travels_with": f"{NAME} ({EMAIL})", "seat": "12A"}
        s.commit()
    with app.session() as s:
        tenant = app.tenant(s, "voyages-lumiere")
        s.execute(insert(fax_log).values(tenant_id=tenant.id, customer_id=by_email, number="+33671234589",
                                         note=f"Fax de {NAME}"))
        # Someone else's item that mentions her: the sweep blanks her address, keeps the rest.
        add_item(s, tenant, created=paris(2026, 11, 23, 11), customer_id=bystander["id"],
                 body=f"Paul voyage avec {EMAIL}")
        s.commit()
    return {"id": by_email, "merged": by_phone, "bystander": bystander["id"]}


def database_text(db_url: str, vacuum: bool = True) -> bytes:
    """Every byte of the SQLite file and its WAL (optionally after VACUUM), or every PostgreSQL row as text."""
    if db_url.startswith("sqlite"):
        path = Path(db_url.split("///", 1)[1])
        if vacuum:
            con = sqlite3.connect(path)
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.execute("VACUUM")
            con.close()
        data = path.read_bytes()
        wal = path.with_name(path.name + "-wal")
        return (data + (wal.read_bytes() if wal.exists() else b"")).lower()
    engine = create_engine(db_url)
    chunks = []
    with engine.connect() as conn:
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars()
        for table in list(tables):
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value))
                    else:
                        chunks.append(json.dumps(value, default=str).encode())  # escapes like \u00e9
                        chunks.append(str(value).encode())
    engine.dispose()
    return b"\n".join(chunks).lower()


def found(db_url: str, vacuum: bool = True) -> list[bytes]:
    data = database_text(db_url, vacuum)
    return [n for n in NEEDLES if n in data]


def test_export_holds_everything_from_every_plugin(cli, person):
    data = cli.json("customer", "export", str(person["merged"]), "-t", "voyages-lumiere", "--actor", "dpo")
    assert data["customer"]["id"] == person["id"]  # a merged id leads to the person
    assert data["customer"]["name"] == NAME
    contacts = {c["value"] for c in data["customer"]["contacts"]}
    assert contacts == {EMAIL, "+33671234589"}
    assert [c["id"] for c in data["merged_customers"]] == [person["merged"]]
    assert {"email", "faxes"} <= set(data["customer"]["plugins"])  # faxes: disabled for this tenant
    assert data["customer"]["plugins"]["faxes"]["faxes"][0]["note"] == f"Fax de {NAME}"
    assert "callback" in data["merged_customers"][0]["plugins"] or "callback" in data["customer"]["plugins"]
    channels = {i["channel"] for i in data["interactions"]}
    assert {"email", "callback", "system"} <= channels
    assert {i["channel"] for i in data["work_items"]} == {"email", "callback"}
    assert data["merges"][0]["details"]["source_name"] == NAME
    entry = cli.json("audit", "--tenant", "voyages-lumiere")[0]
    assert (entry["actor"], entry["action"], entry["target"]) == ("dpo", "customer.export", f"customer:{person['merged']}")


def test_erase_leaves_no_trace_anywhere(cli, person, db_url, faxes):
    before = cli.json("report", "kpi", "-t", "voyages-lumiere", "--from", "2026-11-01", "--to", "2026-12-31")["rows"][-1]
    assert found(db_url) == NEEDLES  # the check sees every spelling of her before
    result = cli.json("customer", "erase", str(person["id"]), "-t", "voyages-lumiere", "--yes", env={"USER": "dpo"})
    assert sorted(result["customers"]) == sorted([person["id"], person["merged"]])
    assert set(faxes.erased) == {person["id"], person["merged"]}
    assert {"email", "callback", "sms", "faxes"} <= set(result["plugins"])
    assert result["swept"] == {"fax_log": 1, "work_items": 1, "customers": 1}
    # secure_delete and the WAL checkpoint already cleaned the file as the erase left it...
    assert found(db_url, vacuum=False) == []
    # ...and nothing comes back from free pages after a VACUUM.
    assert found(db_url) == []
    # The figures stay (the call-back plugin cancels her pending call: nobody rings an erased person).
    after = cli.json("report", "kpi", "-t", "voyages-lumiere", "--from", "2026-11-01", "--to", "2026-12-31")["rows"][-1]
    assert [after[k] for k in ("items", "ch_email", "ch_callback")] == \
        [before[k] for k in ("items", "ch_email", "ch_callback")]
    # The bystander keeps his record, minus her address.
    paul = cli.json("customer", "show", str(person["bystander"]), "-t", "voyages-lumiere")
    assert paul["name"] == "Paul Martin" and paul["emails"] == ["paul@example.fr"]
    assert paul["attributes"] == {"travels_with": "*** (***)", "seat": "12A"}
    entry = cli.json("audit", "--action", "customer.erase")[0]
    assert entry["actor"] == "dpo" and entry["target"] == f"customer:{person['id']}"


def test_erase_twice_and_other_tenant(cli, person):
    other = cli("customer", "erase", str(person["id"]), "-t", "assurance-horizon", "--yes", code=1)
    assert f"no customer {person['id']} for tenant assurance-horizon" in other.stderr
    assert cli.json("customer", "show", str(person["id"]), "-t", "voyages-lumiere")["name"] == NAME
    cli("customer", "erase", str(person["id"]), "-t", "voyages-lumiere", "--yes", "--actor", "dpo", "--format", "json")
    again = cli("customer", "erase", str(person["id"]), "-t", "voyages-lumiere", "--yes", code=1)
    assert f"customer {person['id']} was erased on" in again.stderr and "by dpo" in again.stderr
    merged = cli("customer", "export", str(person["merged"]), "-t", "voyages-lumiere", code=1)
    assert "was erased" in merged.stderr


def test_erase_asks_first(cli, person):
    result = cli("customer", "erase", str(person["id"]), "-t", "voyages-lumiere", input="n\n", code=1)
    assert "Aborted" in result.stderr
    assert cli.json("customer", "show", str(person["id"]), "-t", "voyages-lumiere")["name"] == NAME
    assert cli.json("audit", "--action", "customer.erase") == []


def test_unknown_ids_and_tenants(cli):
    assert "no customer 999" in cli("customer", "export", "999", "-t", "voyages-lumiere", code=1).stderr
    assert "no tenant 'ghost'" in cli("customer", "erase", "1", "-t", "ghost", "--yes", code=2).stderr
    assert "not a valid integer" in cli("customer", "erase", "abc", "--yes", code=2).stderr


def test_namesake_and_other_tenant_keep_their_data(cli, app):
    for tenant, email in [("voyages-lumiere", EMAIL), ("voyages-lumiere", "autre.zoe@example.fr"),
                          ("assurance-horizon", EMAIL)]:
        cli("customer", "add", NAME, "--email", email, "-t", tenant)
    target = cli.json("customer", "find", EMAIL, "-t", "voyages-lumiere")[0]["id"]
    namesake = cli.json("customer", "find", "autre.zoe@example.fr", "-t", "voyages-lumiere")[0]["id"]
    with app.session() as s:
        tenant = app.tenant(s, "voyages-lumiere")
        add_item(s, tenant, created=paris(2026, 11, 23, 9), customer_id=namesake, body=f"{NAME} rappelle")
        s.commit()
    result = cli.json("customer", "erase", str(target), "-t", "voyages-lumiere", "--yes")
    assert result["name_shared_with_another_customer"] is True
    assert cli.json("customer", "show", str(namesake), "-t", "voyages-lumiere")["name"] == NAME
    with app.session() as s:
        from ccctl.db.models import WorkItem

        assert s.scalar(select(WorkItem.body).where(WorkItem.customer_id == namesake)) == f"{NAME} rappelle"
    kept = cli.json("customer", "find", EMAIL, "-t", "assurance-horizon")
    assert [c["name"] for c in kept] == [NAME]
    assert cli.json("customer", "find", EMAIL, "-t", "voyages-lumiere") == []


def test_audit_filters_and_bad_since(cli, person):
    cli("customer", "export", str(person["id"]), "-t", "voyages-lumiere", env={"USER": "camille"})
    cli("report", "kpi", "-t", "assurance-horizon", "--actor", "lea")
    rows = cli.json("audit", "--since", "2000-01-01")
    assert [(r["tenant"], r["actor"], r["action"]) for r in rows] == [
        ("assurance-horizon", "lea", "report.kpi"), ("voyages-lumiere", "camille", "customer.export")]
    assert cli.json("audit", "--tenant", "assurance-horizon", "--action", "customer.") == []
    assert cli.json("audit", "--since", "2999-01-01") == []
    assert "--since: 'last week' is not a date" in cli("audit", "--since", "last week", code=2).stderr
    assert "no tenant 'ghost'" in cli("audit", "--tenant", "ghost", code=2).stderr
    out = cli("audit", "--format", "csv").stdout
    assert out.splitlines()[0] == "at,tenant,actor,action,target,details"


class BrokenEraser:
    @hookimpl
    def ccctl_erase_customer(self, customer, ctx):
        raise RuntimeError("archive server unreachable")


def test_a_failing_plugin_stops_the_erasure_whole(example_tenants, ccctl_with):
    cli = runner_with(ccctl_with, BrokenEraser(), "archive")
    added = cli.json("customer", "add", NAME, "--email", EMAIL, "-t", "voyages-lumiere")
    result = cli("customer", "erase", str(added["id"]), "-t", "voyages-lumiere", "--yes", code=1)
    assert "plugin 'archive' failed in ccctl_erase_customer: archive server unreachable" in result.stderr
    assert cli.json("customer", "show", str(added["id"]), "-t", "voyages-lumiere")["emails"] == [EMAIL]
    assert cli.json("audit", "--action", "customer.erase") == []
