"""customer import: matching rules, conflicts shown and not applied, dry run, idempotent re-imports,
files as offices export them (BOM, cp1252 with ';', mapped French headers), bad rows by file:line: column."""

from __future__ import annotations

import json

T = ("-t", "voyages-lumiere")

CSV = """\
name,email,phone,city
Élodie Martin,elodie.martin@example.fr,06 12 34 56 78,Lyon
Karim Benali,KARIM.benali@example.fr,+33 7 81 22 33 44,Marseille
"""

HOUSEHOLD = """\
name,email,phone
Alice Martin,alice@example.fr,06 12 34 56 78
Bob Durand,bob@example.fr,06 12 34 56 78
"""


def counts(report: dict) -> tuple[int, int, int, int, int]:
    return tuple(report[k] for k in ("created", "updated", "unchanged", "conflicts", "invalid"))


def test_invalid_rows_are_named_by_file_line_and_column_and_nothing_is_imported(example_tenants, write_yaml, snapshot):
    path = write_yaml("people.csv", CSV + "Bad Phone,bad.phone@example.fr,06 12,Paris\n"
                      ",,,Nowhere\n" + "Bad Mail,not-an-email,,Lille\n" + "Too,many@example.fr,,x,y,z\n")
    before = snapshot()
    result = example_tenants("customer", "import", path, *T, "--format", "json", code=2)
    assert "tenant voyages-lumiere: nothing imported: 4 invalid rows" in result.stderr
    assert f"{path}:4: phone: '06 12' is not a valid phone number" in result.stderr
    assert f"{path}:5: needs a name, an email, a phone or an external key" in result.stderr
    assert f"{path}:6: email: 'not-an-email' is not an email address" in result.stderr
    assert f"{path}:7: column 5: 6 fields but the header has 4" in result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(result.stdout)["written"] is False
    assert snapshot() == before


def test_skip_invalid_imports_the_rest_and_reports_what_it_skipped(example_tenants, write_yaml):
    path = write_yaml("people.csv", CSV + "Bad Phone,,06 12,Paris\n")
    result = example_tenants("customer", "import", path, "--skip-invalid", "--format", "json", *T)
    assert counts(json.loads(result.stdout)) == (2, 0, 0, 0, 1)
    assert f"skipped {path}:4: phone:" in result.stderr
    found = example_tenants.json("customer", "find", "karim.benali@example.fr", *T)
    assert found[0]["phones"] == ["+33781223344"]


def test_reimport_changes_nothing_and_a_changed_file_shows_each_field(example_tenants, write_yaml):
    path = write_yaml("people.csv", CSV)
    assert counts(example_tenants.json("customer", "import", path, *T)) == (2, 0, 0, 0, 0)
    second = example_tenants.json("customer", "import", path, *T)
    assert counts(second) == (0, 0, 2, 0, 0) and second["details"] == []
    write_yaml("people.csv", CSV.replace("Lyon", "Annecy").replace("+33 7 81 22 33 44", "+33 7 81 22 33 44;07 81 00 00 01"))
    dry = example_tenants.json("customer", "import", path, "--dry-run", *T)
    assert counts(dry) == (0, 2, 0, 0, 0) and dry["written"] is False
    changes = {d["line"].rsplit(":", 1)[1]: d["changes"] for d in dry["details"]}
    assert changes == {"2": [{"field": "city", "old": "Lyon", "new": "Annecy"}],
                       "3": [{"field": "phone", "old": None, "new": "+33781000001"}]}
    real = example_tenants.json("customer", "import", path, *T)
    assert {k: v for k, v in real.items() if k != "written"} == {k: v for k, v in dry.items() if k != "written"}
    assert counts(example_tenants.json("customer", "import", path, *T)) == (0, 0, 2, 0, 0)
    elodie = example_tenants.json("customer", "find", "elodie.martin@example.fr", *T)[0]
    shown = example_tenants.json("customer", "show", str(elodie["id"]), *T)
    assert shown["attributes"]["city"] == "Annecy"
    assert any("city: 'Lyon' → 'Annecy'" in e["summary"] for e in shown["timeline"])  # history keeps the change
    karim = example_tenants.json("customer", "find", "07 81 00 00 01", *T)
    assert karim[0]["phones"] == ["+33781223344", "+33781000001"]


def test_accents_and_case_are_never_normalised_away(example_tenants, write_yaml):
    example_tenants("customer", "import", write_yaml("a.csv", CSV), *T)
    plain = write_yaml("b.csv", "name,email\nELODIE MARTIN,elodie.martin@example.fr\nkarim benali,karim.benali@example.fr\n")
    assert counts(example_tenants.json("customer", "import", plain, *T)) == (0, 0, 2, 0, 0)
    names = sorted(c["name"] for c in example_tenants.json("customer", "list", *T))
    assert names == ["Karim Benali", "Élodie Martin"]


def test_two_people_sharing_a_phone_are_a_conflict_not_one_customer(example_tenants, write_yaml, snapshot):
    path = write_yaml("household.csv", HOUSEHOLD)
    before = snapshot()
    result = example_tenants("customer", "import", path, *T, "--format", "json", code=2)
    report = json.loads(result.stdout)
    assert counts(report) == (1, 0, 0, 1, 0) and report["written"] is False
    conflict = next(d for d in report["details"] if d["action"] == "conflict")
    assert conflict["line"] == f"{path}:3"
    assert conflict["row"]["name"] == "Bob Durand" and conflict["customer"]["name"] == "Alice Martin"
    assert any("name differs: 'Alice Martin' on record, 'Bob Durand' in the file" in w
               and "shared phone" in w for w in conflict["why"])
    assert conflict["resolution"] == "not applied"
    assert "--on-conflict" in result.stderr
    assert snapshot() == before
    table = example_tenants("customer", "import", path, *T, "--format", "table", code=2).stdout
    assert f"conflict  {path}:3  Bob Durand <bob@example.fr, +33612345678> vs customer" in table


def test_on_conflict_new_keeps_both_people_and_the_phone_with_its_owner(example_tenants, write_yaml):
    path = write_yaml("household.csv", HOUSEHOLD)
    report = example_tenants.json("customer", "import", path, "--on-conflict", "new", *T)
    assert counts(report) == (1, 0, 0, 1, 0)
    people = {c["name"]: c for c in example_tenants.json("customer", "list", *T)}
    assert people["Alice Martin"]["emails"] == ["alice@example.fr"]
    assert people["Alice Martin"]["phones"] == ["+33612345678"]
    assert people["Bob Durand"]["emails"] == ["bob@example.fr"] and people["Bob Durand"]["phones"] == []
    again = example_tenants.json("customer", "import", path, *T, code=2)  # still a conflict: shown every time
    assert counts(again) == (0, 0, 1, 1, 0)


def test_on_conflict_skip_and_update(example_tenants, write_yaml):
    path = write_yaml("household.csv", HOUSEHOLD)
    assert counts(example_tenants.json("customer", "import", path, "--on-conflict", "skip", *T)) == (1, 0, 0, 1, 0)
    assert [c["name"] for c in example_tenants.json("customer", "list", *T)] == ["Alice Martin"]
    report = example_tenants.json("customer", "import", path, "--on-conflict", "update", *T)
    conflict = next(d for d in report["details"] if d["action"] == "conflict")
    assert {"field": "name", "old": "Alice Martin", "new": "Bob Durand"} in conflict["changes"]
    assert {"field": "email", "old": None, "new": "bob@example.fr"} in conflict["changes"]


def test_duplicate_rows_in_one_file_never_overwrite_each_others_keys(tenant_yaml, ccctl, write_yaml, snapshot):
    ccctl("tenant", "apply", "-f", tenant_yaml("assure", "customers:\n  external_keys: [policy]\n"))
    rows = ("name,email,policy\nAnne Petit,anne@example.fr,AP-1\n"
            "Anne Petit,anne@example.fr,AP-1\n"          # an exact duplicate: unchanged
            "Anne Petit,anne@example.fr,AP-2\n"          # same email, another policy: conflict
            "Paul Petit,paul@example.fr,AP-1\n")         # AP-1 is Anne's: name differs, conflict
    path = write_yaml("policies.csv", rows)
    report = ccctl.json("customer", "import", path, "-t", "assure", code=2)
    assert counts(report) == (1, 0, 1, 2, 0)
    whys = [d["why"] for d in report["details"] if d["action"] == "conflict"]
    assert any("policy differs: 'AP-1' on record, 'AP-2' in the file" in w for w in whys[0])
    assert any("name differs" in w for w in whys[1])
    skipped = ccctl.json("customer", "import", path, "-t", "assure", "--on-conflict", "skip")
    assert counts(skipped) == (1, 0, 1, 2, 0)
    anne = ccctl.json("customer", "find", "--attr", "policy=AP-1", "-t", "assure")
    assert [c["name"] for c in anne] == ["Anne Petit"]
    assert ccctl.json("customer", "find", "--attr", "policy=AP-2", "-t", "assure") == []


def test_external_key_wins_over_email(tenant_yaml, ccctl, write_yaml):
    ccctl("tenant", "apply", "-f", tenant_yaml("assure", "customers:\n  external_keys: [policy]\n"))
    ccctl("customer", "import", write_yaml("a.csv", "name,email,policy\nAnne Petit,anne@example.fr,AP-1\n"), "-t", "assure")
    moved = write_yaml("b.csv", "name,email,policy\nAnne Petit,anne.petit@example.com,AP-1\n")
    report = ccctl.json("customer", "import", moved, "-t", "assure")
    assert counts(report) == (0, 1, 0, 0, 0)
    anne = ccctl.json("customer", "find", "AP-1", "-t", "assure")
    assert anne[0]["emails"] == ["anne@example.fr", "anne.petit@example.com"]


def test_a_row_joining_two_customers_is_a_conflict_naming_both(example_tenants, write_yaml, snapshot):
    example_tenants("customer", "import", write_yaml("people.csv", CSV), *T)
    before = snapshot()
    joined = write_yaml("joined.csv", "name,email,phone\nÉlodie Martin,karim.benali@example.fr,06 12 34 56 78\n")
    report = example_tenants.json("customer", "import", joined, *T, code=2)
    [conflict] = report["details"]
    assert f"{joined}:2" == conflict["line"]
    names = {conflict["customer"]["name"]} | {o["name"] for o in conflict["others"]}
    assert names == {"Élodie Martin", "Karim Benali"}
    assert any("belongs to customer" in w for w in conflict["why"])
    assert snapshot() == before


def test_bom_file_is_read(example_tenants, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + CSV.encode("utf-8"))
    report = example_tenants.json("customer", "import", path, *T)
    assert counts(report) == (2, 0, 0, 0, 0)
    assert "Élodie Martin" in [c["name"] for c in example_tenants.json("customer", "list", *T)]


def test_excel_cp1252_semicolon_file_with_french_headers_is_mapped(example_tenants, tmp_path):
    text = ("Nom;Courriel;Téléphone;Police;Ville\r\n"
            "Élodie Martin;elodie.martin@example.fr;06 12 34 56 78;AP-100146;Orléans\r\n"
            "François Lefèvre;f.lefevre@example.fr;07 81 22 33 44;AP-100147;Besançon\r\n")
    path = tmp_path / "export excel.csv"
    path.write_bytes(text.encode("cp1252"))
    args = ("customer", "import", path, "--map", "Nom=name,Courriel=email,Téléphone=phone", "--map", "Police=policy", *T)
    report = example_tenants.json(*args)
    assert counts(report) == (2, 0, 0, 0, 0) and report["encoding"] in ("cp1252", "latin_1", "iso8859_15")
    people = {c["name"]: c for c in example_tenants.json("customer", "list", *T)}
    assert set(people) == {"Élodie Martin", "François Lefèvre"}
    assert people["François Lefèvre"]["attributes"] == {"policy": "AP-100147", "Ville": "Besançon"}
    assert counts(example_tenants.json(*args)) == (0, 0, 2, 0, 0)
    explicit = example_tenants.json(*args, "--encoding", "cp1252")
    assert explicit["encoding"] == "cp1252" and counts(explicit) == (0, 0, 2, 0, 0)


def test_mapping_from_the_tenant_yaml_and_tab_delimiter(ccctl, tenant_yaml, write_yaml):
    ccctl("tenant", "apply", "-f", tenant_yaml("maison", "customers:\n  import_map: {Nom: name, Tel: phone}\n"))
    path = write_yaml("people.tsv", "Nom\tTel\tVille\nInès Haddad\t07 81 00 00 01\tNice\n")
    assert counts(ccctl.json("customer", "import", path, "-t", "maison")) == (1, 0, 0, 0, 0)
    assert ccctl.json("customer", "find", "07 81 00 00 01", "-t", "maison")[0]["name"] == "Inès Haddad"


def test_bad_files_and_options_fail_cleanly(example_tenants, write_yaml, tmp_path, snapshot):
    before = snapshot()
    no_identity = write_yaml("x.csv", "Nom,Ville\nA,B\n")
    message = example_tenants("customer", "import", no_identity, *T, code=2).stderr
    assert f"{no_identity}:1: the header has no name, email or phone column" in message and "--map" in message
    assert "not COLUMN=FIELD" in example_tenants("customer", "import", no_identity, "--map", "Nom", *T, code=2).stderr
    missing = example_tenants("customer", "import", no_identity, "--map", "Prénom=name", *T, code=2).stderr
    assert "--map names column 'Prénom', which is not in the header" in missing
    both = example_tenants("customer", "import", no_identity, "--map", "Nom=name,Ville=name", *T, code=2).stderr
    assert "both give 'name'" in both
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name,city\nÉlodie,Orléans\n".encode("latin-1"))
    assert "is not valid utf-8" in example_tenants("customer", "import", latin, "--encoding", "utf-8", *T,
                                                   code=2).stderr
    assert "unknown encoding" in example_tenants("customer", "import", latin, "--encoding", "klingon", *T,
                                                 code=2).stderr
    assert "cannot read" in example_tenants("customer", "import", tmp_path / "nope.csv", *T, code=2).stderr
    assert "the file is empty" in example_tenants("customer", "import", write_yaml("e.csv", "\n\n"), *T,
                                                  code=2).stderr
    assert snapshot() == before


def test_jsonl_from_stdin(example_tenants):
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"name": "Sophie Lefèvre", "emails": ["sophie@example.fr", "S.Lefevre@Example.com"], "vip": True},
        {"name": "Hugo Roux", "phone": "+33 6 98 76 54 32"},
    ]) + "\n\n"
    report = example_tenants.json("customer", "import", "-", *T, input=lines)
    assert report["created"] == 2
    sophie = example_tenants.json("customer", "find", "s.lefevre@example.com", *T)[0]
    assert sophie["emails"] == ["sophie@example.fr", "s.lefevre@example.com"]
    assert example_tenants.json("customer", "show", str(sophie["id"]), *T)["attributes"] == {"vip": True}
    assert counts(example_tenants.json("customer", "import", "-", *T, input=lines)) == (0, 0, 2, 0, 0)


def test_csv_from_stdin_is_sniffed(example_tenants):
    assert example_tenants.json("customer", "import", "-", *T, input=CSV)["created"] == 2


def test_broken_jsonl_names_the_line(example_tenants, snapshot):
    before = snapshot()
    bad = '{"name": "A", "email": "a@example.fr"}\n{"name": "B",\n'
    message = example_tenants("customer", "import", "-", "--input-format", "jsonl", *T, input=bad, code=2).stderr
    assert "<stdin>:2: invalid JSON" in message
    message = example_tenants("customer", "import", "-", "--input-format", "jsonl", *T,
                              input='["not", "an object"]\n', code=2).stderr
    assert "<stdin>:1: each line must be a JSON object" in message
    message = example_tenants("customer", "import", "-", "--input-format", "jsonl", *T,
                              input='{"name": 42}\n', code=2).stderr
    assert "<stdin>:1: name: must be text" in message
    assert snapshot() == before
