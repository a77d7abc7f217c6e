"""Customers: add, find (phone, email, fuzzy name), show (one timeline, open items, tenant zone), merge."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ccctl.customers import record_interaction
from ccctl.db.models import WorkItem
from ccctl.queue.items import create_item

T = ("-t", "voyages-lumiere")


@pytest.fixture
def voyages(example_tenants):
    cli = example_tenants
    cli("customer", "import", "examples/customers-voyages.csv", *T)
    return cli


def ids_by_name(cli) -> dict[str, int]:
    return {c["name"]: c["id"] for c in cli.json("customer", "find", "e", "--limit", "100", *T)}


def test_add_normalises_and_refuses_a_taken_contact(example_tenants):
    cli = example_tenants
    row = cli.json("customer", "add", "Inès Haddad", "--email", " Ines.Haddad@Example.FR",
                   "--phone", "07 81 00 00 01", "--phone", "+33 7 81 00 00 02", *T)
    assert row["emails"] == ["ines.haddad@example.fr"]
    assert row["phones"] == ["+33781000001", "+33781000002"]
    taken = cli("customer", "add", "Someone Else", "--phone", "+33781000002", *T, code=1).stderr
    assert f"+33781000002 already belongs to customer {row['id']} (Inès Haddad)" in taken
    bad = cli("customer", "add", "X", "--phone", "06 12", *T, code=2).stderr
    assert "'06 12' is not a valid phone number" in bad


@pytest.mark.parametrize("query", ["06 12 34 56 78", "+33612345678", "0033 6 12 34 56 78",
                                   "ELODIE.MARTIN@example.fr", "elodie martin", "elodie martn", "MARTIN Élodie"])
def test_find_by_phone_email_or_fuzzy_name(voyages, query):
    names = [c["name"] for c in voyages.json("customer", "find", query, *T)]
    assert "Élodie Martin" in names
    assert "Karim Benali" not in names


def test_find_exact_contact_returns_only_its_owner_and_unknown_returns_nothing(voyages):
    assert [c["name"] for c in voyages.json("customer", "find", "06 12 34 56 78", *T)] == ["Élodie Martin"]
    assert voyages.json("customer", "find", "06 00 00 00 00", *T) == []
    assert voyages.json("customer", "find", "nobody@example.fr", *T) == []
    assert voyages.json("customer", "find", "Zébulon Quatrezéros", *T) == []
    assert "give a name" in voyages("customer", "find", "  --  ", *T, code=2).stderr


def test_find_formats(voyages):
    csv_out = voyages("customer", "find", "karim", "--format", "csv", *T).stdout
    assert csv_out.splitlines() == ["id,name,emails,phones", "2,Karim Benali,karim.benali@example.fr,+33781223344"]
    jsonl = voyages("customer", "find", "martin", "--format", "jsonl", *T).stdout.splitlines()
    assert len(jsonl) == 2
    table = voyages("customer", "find", "karim", "--format", "table", *T).stdout
    assert "Karim Benali" in table and "----" in table


@pytest.fixture
def martinique(ccctl, tenant_yaml):
    path = tenant_yaml("antilles")
    text = path.read_text().replace("Europe/Paris", "America/Martinique")
    path.write_text(text + "default_region: MQ\n")
    ccctl("tenant", "apply", "-f", path)
    return ccctl


def test_show_one_timeline_newest_first_with_open_items_in_the_tenant_zone(martinique, app):
    cli = martinique
    customer = cli.json("customer", "add", "Line Joseph", "--phone", "0696 20 12 34", "-t", "antilles")
    assert customer["phones"] == ["+596696201234"]  # read with the tenant's default_region
    with app.session() as session:
        tenant = app.tenant(session, "antilles")
        events = [("email", "2026-03-01T12:00:00+00:00", "Demande de devis"),
                  ("sms", "2026-03-03T09:30:00+00:00", "Confirmation envoyée"),
                  ("callback", "2026-03-02T15:00:00+00:00", "Rappel effectué")]
        for channel, when, summary in events:
            record_interaction(session, tenant, channel, customer_id=customer["id"], summary=summary,
                               occurred_at=datetime.fromisoformat(when))
        ctx = app.context(session, tenant)
        open_item, _ = create_item(ctx, "email", subject="Devis en attente", customer_id=customer["id"])
        closed, _ = create_item(ctx, "sms", subject="Déjà traité", customer_id=customer["id"])
        closed.state = "closed"
        session.commit()
    shown = cli.json("customer", "show", customer["id"], "-t", "antilles")
    mine = [e for e in shown["timeline"] if e["summary"] in {s for _c, _w, s in events}]
    assert [e["channel"] for e in mine] == ["sms", "callback", "email"]
    assert mine[0]["time"] == "2026-03-03T09:30:00+00:00"   # JSON stays UTC
    times = [e["time"] for e in shown["timeline"]]
    assert times == sorted(times, reverse=True)  # other events (item created...) fit in the one order
    assert [i["subject"] for i in shown["open_items"]] == ["Devis en attente"]
    assert shown["open_items"][0]["id"] == open_item.id
    table = cli("customer", "show", customer["id"], "-t", "antilles", "--format", "table").stdout
    assert "2026-03-03 05:30 AST" in table and "2026-03-01 08:00 AST" in table   # UTC-4
    assert "Devis en attente" in table and "Déjà traité" not in table
    assert len(cli.json("customer", "show", customer["id"], "-t", "antilles", "--limit", "2")["timeline"]) == 2


def test_show_as_csv_keeps_every_contact_point_in_the_columns_of_list(example_tenants, app):
    cli = example_tenants
    row = cli.json("customer", "add", "Inès Haddad", "--email", "ines@example.fr", "--email", "ines.h@example.com",
                   "--phone", "07 81 00 00 01", "--phone", "+33 7 81 00 00 02", *T)
    with app.session() as session:
        tenant = app.tenant(session, "voyages-lumiere")
        create_item(app.context(session, tenant), "email", subject="Devis", customer_id=row["id"])
        session.commit()
    result = cli("customer", "show", str(row["id"]), "--format", "csv", *T)
    import csv
    import io

    header, values = list(csv.reader(io.StringIO(result.stdout)))
    shown = dict(zip(header, values, strict=True))
    assert header[:4] == ["id", "name", "emails", "phones"]  # as customer list --format csv
    assert shown["emails"] == "ines@example.fr, ines.h@example.com"
    assert shown["phones"] == "+33781000001, +33781000002"
    assert not {"timeline", "open_items", "context"} & set(header)  # nested tables: json and table only
    assert "timeline: --format json or table" in result.stderr
    listed = cli("customer", "list", "--name", "haddad", "--format", "csv", *T).stdout.splitlines()
    assert listed[1].startswith(f'{row["id"]},Inès Haddad,"{shown["emails"]}","{shown["phones"]}"')
    agent = cli("agent", "add", "marie", "--skill", "booking,fr", "--serves", "voyages-lumiere", "--format", "csv")
    assert '"booking, fr"' in agent.stdout  # one record's list values are kept by every command


def test_show_unknown_customer_fails_cleanly(voyages):
    assert "no customer 999 for tenant voyages-lumiere" in voyages("customer", "show", "999", *T, code=1).stderr


@pytest.fixture
def pair(voyages, app):
    """Two Élodie Martins with history and a work item each: (runner, source id, target id)."""
    ids = ids_by_name(voyages)
    source, target = ids["Elodie Martin"], ids["Élodie Martin"]
    with app.session() as session:
        tenant = app.tenant(session, "voyages-lumiere")
        ctx = app.context(session, tenant)
        for cid, channel, ext in ((source, "email", "<a@x>"), (source, "sms", "SM1"), (target, "email", "<b@x>")):
            record_interaction(session, tenant, channel, customer_id=cid, summary=f"{channel} {ext}",
                               external_id=ext)
        create_item(ctx, "email", subject="Remboursement", customer_id=source)
        session.commit()
    return voyages, source, target


def test_merge_moves_contacts_history_and_items_and_leaves_a_trace(pair, app):
    cli, source, target = pair
    source_events = len(cli.json("customer", "show", str(source), *T)["timeline"])
    assert source_events >= 2
    result = cli.json("customer", "merge", str(source), str(target), "--actor", "marie", *T)
    assert result["merged"] == source and result["into"] == target
    assert result["contacts"] == ["email:e.martin@example.com"]
    assert result["interactions"] == source_events and result["work_items"] == 1
    shown = cli.json("customer", "show", str(target), *T)
    assert sorted(shown["emails"]) == ["e.martin@example.com", "elodie.martin@example.fr"]
    summaries = [e["summary"] for e in shown["timeline"]]
    assert {"email <a@x>", "sms SM1", "email <b@x>"} <= set(summaries)
    assert summaries[0].startswith(f"Merged customer {source} (Elodie Martin) into this one")
    assert shown["timeline"][0]["actor"] == "marie"
    assert [i["subject"] for i in shown["open_items"]] == ["Remboursement"]
    # The old id still leads somewhere, the old contact finds the target, the source is out of searches.
    via_old = cli.json("customer", "show", str(source), *T)
    assert via_old["id"] == target and via_old["merged_from"] == source
    assert [c["id"] for c in cli.json("customer", "find", "e.martin@example.com", *T)] == [target]
    assert source not in [c["id"] for c in cli.json("customer", "find", "martin", *T)]
    from sqlalchemy import select

    from ccctl.db.models import CustomerMerge

    with app.session() as session:
        trace = session.scalars(select(CustomerMerge)).one()
        assert (trace.source_id, trace.target_id, trace.actor) == (source, target, "marie")
        assert session.scalars(select(WorkItem.customer_id)).all() == [target]


def test_merge_twice_into_itself_unknown_and_across_tenants_fail_cleanly(pair, snapshot):
    cli, source, target = pair
    other = cli.json("customer", "add", "Client Assurance", "--email", "c@example.fr", "-t", "assurance-horizon")
    before = snapshot()
    assert "into itself" in cli("customer", "merge", str(target), str(target), *T, code=2).stderr
    assert "no customer 999" in cli("customer", "merge", "999", str(target), *T, code=1).stderr
    assert "no customer 999" in cli("customer", "merge", str(source), "999", *T, code=1).stderr
    message = cli("customer", "merge", str(other["id"]), str(target), *T, code=1).stderr
    assert f"no customer {other['id']} for tenant voyages-lumiere" in message
    assert "no customer" in cli("customer", "merge", str(source), str(other["id"]), *T, code=1).stderr
    assert snapshot() == before

    cli("customer", "merge", str(source), str(target), *T)
    after_merge = snapshot()
    message = cli("customer", "merge", str(source), str(target), *T, code=1).stderr
    assert f"customer {source} was already merged into {target}" in message
    # The merged source's id now leads to the target: merging the target "into" it is into itself.
    assert "into itself" in cli("customer", "merge", str(target), str(source), *T, code=2).stderr
    assert snapshot() == after_merge


def test_same_external_id_is_stored_once_per_tenant_and_channel(example_tenants, app):
    with app.session() as session:
        voyages = app.tenant(session, "voyages-lumiere")
        horizon = app.tenant(session, "assurance-horizon")
        first, created = record_interaction(session, voyages, "email", summary="Bonjour", external_id="<m1@x>")
        again, created_again = record_interaction(session, voyages, "email", summary="Bonjour (re-run)",
                                                  external_id="<m1@x>")
        other_channel, created_sms = record_interaction(session, voyages, "sms", external_id="<m1@x>")
        other_tenant, created_other = record_interaction(session, horizon, "email", external_id="<m1@x>")
        no_id_1, _ = record_interaction(session, voyages, "email", summary="sans id")
        no_id_2, _ = record_interaction(session, voyages, "email", summary="sans id")
        session.commit()
        assert (created, created_again, created_sms, created_other) == (True, False, True, True)
        assert again.id == first.id and again.summary == "Bonjour"
        assert len({first.id, other_channel.id, other_tenant.id, no_id_1.id, no_id_2.id}) == 5
        assert first.occurred_at.tzinfo is not None and first.occurred_at <= datetime.now(timezone.utc)
