"""customer list / update / find --attr / find - / duplicates / merge --dry-run / unmerge / match_or_create."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from ccctl.customers import record_interaction
from ccctl.db.models import CustomerMerge, WorkItem
from ccctl.queue.items import create_item

T = ("-t", "assure")
RULES = """\
customers:
  external_keys: [policy]
  indexed: [booking]
"""
PEOPLE = """\
name,email,phone,policy,booking,address,postcode
Anne Petit,anne@example.fr,06 11 11 11 11,AP-100146,B-1,3 rue des Lilas,69001
Anne Petit,anne.petit@gmail.com,,AP-100999,,,
Paul Martin,paul@example.fr,06 22 22 22 22,AP-100147,B-2,8 avenue Foch,75016
Paul Martin,paul.martin@example.com,,AP-100148,,8 avenue Foch,75016
Léa Durand,lea@example.fr,06 33 33 33 33,AP-100149,,,
Lea Durand,lea+promo@example.fr,,AP-100150,,,
"""


@pytest.fixture
def assure(ccctl, tenant_yaml, write_yaml):
    ccctl("tenant", "apply", "-f", tenant_yaml("assure", RULES))
    ccctl("customer", "import", write_yaml("people.csv", PEOPLE), *T)
    return ccctl


def ids(cli) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for c in cli.json("customer", "list", *T):
        out.setdefault(c["name"], []).append(c["id"])
    return out


def test_list_filters_pages_and_formats(assure):
    everyone = assure.json("customer", "list", *T)
    assert [c["id"] for c in everyone] == sorted(c["id"] for c in everyone) and len(everyone) == 6
    page = assure("customer", "list", "--limit", "2", "--page", "2", "--format", "json", *T)
    assert [c["id"] for c in json.loads(page.stdout)] == [everyone[2]["id"], everyone[3]["id"]]
    assert "3-4 of 6 customers" in page.stderr
    after = assure.json("customer", "list", "--after", str(everyone[4]["id"]), *T)
    assert [c["id"] for c in after] == [everyone[5]["id"]]
    assert [c["name"] for c in assure.json("customer", "list", "--name", "DURAND", *T)] == ["Léa Durand", "Lea Durand"]
    assert [c["name"] for c in assure.json("customer", "list", "--attr", "booking=B-2", *T)] == ["Paul Martin"]
    csv_out = assure("customer", "list", "--name", "lea", "--format", "csv", *T).stdout.splitlines()
    assert csv_out[0] == "id,name,emails,phones,attributes" and len(csv_out) == 3
    assert "not indexed for tenant assure" in assure("customer", "list", "--attr", "city=Lyon", *T, code=2).stderr


def test_update_keeps_the_change_in_history_and_the_index_follows(assure):
    anne = assure.json("customer", "find", "--attr", "policy=AP-100146", *T)[0]
    done = assure.json("customer", "update", str(anne["id"]), "--set", "policy=AP-200000", "--set", "city=Lyon",
                       "--actor", "marie", *T)
    assert done["changed"] == [{"field": "policy", "old": "AP-100146", "new": "AP-200000"},
                               {"field": "city", "old": None, "new": "Lyon"}]
    assert assure.json("customer", "find", "--attr", "policy=AP-100146", *T) == []
    assert [c["id"] for c in assure.json("customer", "find", "AP-200000", *T)] == [anne["id"]]
    timeline = assure.json("customer", "show", str(anne["id"]), *T)["timeline"]
    assert timeline[0]["actor"] == "marie" and "policy: 'AP-100146' → 'AP-200000'" in timeline[0]["summary"]
    assert assure.json("customer", "update", str(anne["id"]), "--set", "city=Lyon", *T)["changed"] == []
    removed = assure.json("customer", "update", str(anne["id"]), "--set", "city=", *T)
    assert removed["changed"] == [{"field": "city", "old": "Lyon", "new": None}] and "city" not in removed["attributes"]
    assert "not KEY=VALUE" in assure("customer", "update", str(anne["id"]), "--set", "city", *T, code=2).stderr
    assert "not an attribute name" in assure("customer", "update", str(anne["id"]), "--set", "email=x@y.fr", *T,
                                             code=2).stderr
    assert "no customer 999" in assure("customer", "update", "999", "--set", "a=b", *T, code=1).stderr


def test_find_by_attribute_and_plain_policy_number(assure):
    assert [c["name"] for c in assure.json("customer", "find", "AP-100147", *T)] == ["Paul Martin"]
    assert [c["name"] for c in assure.json("customer", "find", "--attr", "booking=B-1", *T)] == ["Anne Petit"]
    both = assure.json("customer", "find", "--attr", "booking=B-1", "--attr", "policy=AP-100147", *T)
    assert both == []
    assert assure.json("customer", "find", "--attr", "policy=AP-0", *T) == []


def test_reindex_after_declaring_a_new_attribute(assure, tenant_yaml):
    assert "not indexed" in assure("customer", "find", "--attr", "postcode=75016", *T, code=2).stderr
    path = tenant_yaml("assure", RULES.replace("indexed: [booking]", "indexed: [booking, postcode]"))
    assure("tenant", "apply", "-f", path)
    assert assure.json("customer", "find", "--attr", "postcode=75016", *T) == []  # declared, not built yet
    assert assure.json("customer", "reindex", *T)["indexed_values"] == 6 + 2 + 3
    assert len(assure.json("customer", "find", "--attr", "postcode=75016", *T)) == 2


def test_find_stdin_answers_one_json_line_per_query(assure):
    queries = ["06 11 11 11 11", "ANNE@example.fr", "AP-100147", "nobody@example.fr", "", "06 99 99 99 99", "AP-100146"]
    out = assure("customer", "find", "-", *T, input="\n".join(queries) + "\n").stdout.splitlines()
    answers = [json.loads(line) for line in out]
    assert [a["query"] for a in answers] == queries
    names = [[c["name"] for c in a["customers"]] for a in answers]
    assert names == [["Anne Petit"], ["Anne Petit"], ["Paul Martin"], [], [], [], ["Anne Petit"]]
    assert answers[0]["customers"][0]["phones"] == ["+33611111111"]
    assert assure("customer", "find", "-", *T, input="").stdout == ""


def test_duplicates_need_more_than_a_name(assure):
    rows = assure.json("customer", "duplicates", *T)
    pairs = {(r["name_a"], r["name_b"]): r for r in rows}
    assert set(pairs) == {("Paul Martin", "Paul Martin"), ("Léa Durand", "Lea Durand")}
    assert pairs[("Paul Martin", "Paul Martin")]["signals"] == ["name", "address"]
    assert pairs[("Léa Durand", "Lea Durand")]["signals"] == ["email", "name"]  # same mailbox without +tag
    assert all(r["score"] >= 50 for r in rows)
    namesakes = assure.json("customer", "duplicates", "--include-namesakes", "--min-score", "20", *T)
    assert not [r for r in assure.json("customer", "duplicates", "--min-score", "20", *T) if r["name_a"] == "Anne Petit"]
    anne = [r for r in namesakes if r["name_a"] == "Anne Petit"]
    assert len(anne) == 1 and anne[0]["signals"] == ["name"]
    assert len(assure.json("customer", "duplicates", "--min-score", "80", *T)) == 1


def test_merge_dry_run_changes_nothing_then_unmerge_restores_everything(assure, app, snapshot):
    people = ids(assure)
    source, target = people["Lea Durand"][0], people["Léa Durand"][0]
    with app.session() as session:
        tenant = app.tenant(session, "assure")
        record_interaction(session, tenant, "email", customer_id=source, summary="Bonjour", external_id="<m@x>")
        create_item(app.context(session, tenant), "email", subject="Remboursement", customer_id=source)
        session.commit()
    before = snapshot()
    plan = assure.json("customer", "merge", str(source), str(target), "--dry-run", *T)
    assert plan["dry_run"] is True and plan["contacts"] == ["email:lea+promo@example.fr"]
    assert plan["interactions"] >= 1 and plan["work_items"] == 1
    assert plan["attributes_differing"] == {"policy": {"kept": "AP-100149", "dropped": "AP-100150"}}
    assert snapshot() == before
    done = assure.json("customer", "merge", str(source), str(target), *T)
    assert [c["id"] for c in assure.json("customer", "find", "AP-100150", *T)] == [target]
    assert [c["id"] for c in assure.json("customer", "find", "lea+promo@example.fr", *T)] == [target]
    undone = assure.json("customer", "unmerge", str(done["merge_id"]), "--actor", "marie", *T)
    assert undone["contacts"] == 1 and undone["work_items"] == 1 and undone["attributes"] == 1
    assert [c["id"] for c in assure.json("customer", "find", "lea+promo@example.fr", *T)] == [source]
    assert [c["id"] for c in assure.json("customer", "find", "AP-100150", *T)] == [source]
    shown = assure.json("customer", "show", str(source), *T)
    assert shown["id"] == source and [i["subject"] for i in shown["open_items"]] == ["Remboursement"]
    assert "Bonjour" in [e["summary"] for e in shown["timeline"]]
    assert shown["timeline"][0]["summary"].startswith(f"Merge {done['merge_id']} undone")
    with app.session() as session:
        assert session.scalars(select(WorkItem.customer_id)).all() == [source]
        trace = session.get(CustomerMerge, done["merge_id"])
        assert trace.undone_at is not None
    assert "already undone" in assure("customer", "unmerge", str(done["merge_id"]), *T, code=1).stderr
    assert "no merge 999" in assure("customer", "unmerge", "999", *T, code=1).stderr


def test_match_or_create_follows_the_rules(assure, app):
    from ccctl.errors import InputError
    from ccctl.identity.match import match_or_create

    with app.session() as session:
        tenant = app.tenant(session, "assure")
        known = match_or_create(session, tenant, {"name": "anne petit", "email": "ANNE@example.fr"}, where="site")
        assert known.action == "unchanged" and known.customer_id is not None
        household = match_or_create(session, tenant, {"name": "Marc Petit", "phone": "06 11 11 11 11"})
        assert household.action == "conflict" and household.customer_id is None
        assert "shared phone" in household.why[0]
        separate = match_or_create(session, tenant, {"name": "Marc Petit", "phone": "06 11 11 11 11",
                                                     "email": "marc@example.fr"}, on_conflict="new")
        assert separate.customer_id not in (None, known.customer_id) and separate.resolution == "new"
        added = match_or_create(session, tenant, {"policy": "AP-100147", "phone": "07 81 00 00 09"})
        assert added.action == "updated" and added.changes == [{"field": "phone", "old": None, "new": "+33781000009"}]
        with pytest.raises(InputError, match="phone: '12' is not"):
            match_or_create(session, tenant, {"name": "X", "phone": "12"})
        session.commit()


def test_quick_find_answers_like_the_full_path_on_sqlite(assure, app, db_url):
    from ccctl.customers import customer_row, find_customers
    from ccctl.identity.quickfind import quick_find

    queries = ["06 11 11 11 11", "+33 6 22 22 22 22", "PAUL@example.fr", "nobody@example.fr", "06 99 99 99 99"]
    with app.session() as session:
        tenant = app.tenant(session, "assure")
        full = [[customer_row(c) for c in find_customers(session, tenant, q)] for q in queries]
    quick = [quick_find(app, "assure", q) for q in queries]
    if db_url.startswith("sqlite"):
        assert quick == full and [len(r) for r in quick] == [1, 1, 1, 0, 0]
    else:
        assert quick == [None] * len(queries)  # PostgreSQL: the ordinary path answers
    assert quick_find(app, "assure", "Anne Petit") is None     # names go the ordinary way
    assert quick_find(app, "nope", "06 11 11 11 11") is None    # so do unknown tenants (their error message)
    assert "no tenant 'nope'" in assure("customer", "find", "06 11 11 11 11", "-t", "nope", code=2).stderr


def test_quick_find_many_answers_like_the_full_path(assure, app, db_url):
    from ccctl.identity import directory, quickfind

    queries = ["06 11 11 11 11", "ANNE@example.fr", "AP-100147", "B-2", "nobody@example.fr", "", "Anne Petit"]
    with app.session() as session:
        tenant = app.tenant(session, "assure")
        full = directory.find_many(session, tenant, queries)
    assert [[c["name"] for c in found] for found in full] == [["Anne Petit"], ["Anne Petit"], ["Paul Martin"],
                                                             ["Paul Martin"], [], [], []]
    opened = quickfind.open_quick(app, "assure")
    if not db_url.startswith("sqlite"):
        assert opened is None
        return
    conn, tenant_id, region = opened
    try:
        assert quickfind.find_many(conn, tenant_id, region, queries) == full
    finally:
        conn.close()
