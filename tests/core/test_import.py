"""customer import: CSV or JSONL, file or stdin; all rows validated first; re-imports update."""

from __future__ import annotations

import json

T = ("-t", "voyages-lumiere")

CSV = """\
name,email,phone,city
Élodie Martin,elodie.martin@example.fr,06 12 34 56 78,Lyon
Karim Benali,KARIM.benali@example.fr,+33 7 81 22 33 44,Marseille
"""


def test_invalid_rows_are_named_by_line_and_nothing_is_imported(example_tenants, write_yaml, snapshot):
    path = write_yaml("people.csv", CSV + "Bad Phone,bad.phone@example.fr,06 12,Paris\n"
                      ",,,Nowhere\n" + "Bad Mail,not-an-email,,Lille\n")
    before = snapshot()
    message = example_tenants("customer", "import", path, *T, code=2).stderr
    assert "nothing imported" in message
    assert f"{path}:4: '06 12' is not a valid phone number" in message
    assert f"{path}:5: needs a name, an email or a phone" in message
    assert f"{path}:6: 'not-an-email' is not an email address" in message
    assert snapshot() == before


def test_skip_invalid_imports_the_rest_and_reports_what_it_skipped(example_tenants, write_yaml):
    path = write_yaml("people.csv", CSV + "Bad Phone,,06 12,Paris\n")
    result = example_tenants("customer", "import", path, "--skip-invalid", "--format", "json", *T)
    assert json.loads(result.stdout) == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 1}
    assert f"skipped {path}:4:" in result.stderr
    found = example_tenants.json("customer", "find", "karim.benali@example.fr", *T)
    assert found[0]["phones"] == ["+33781223344"]


def test_reimport_updates_instead_of_duplicating(example_tenants, write_yaml):
    path = write_yaml("people.csv", CSV)
    assert example_tenants.json("customer", "import", path, *T)["created"] == 2
    assert example_tenants.json("customer", "import", path, *T) == {
        "created": 0, "updated": 0, "unchanged": 2, "skipped": 0}
    # A changed attribute, and a known customer's row bringing a second phone.
    write_yaml("people.csv", CSV.replace("Lyon", "Annecy").replace("+33 7 81 22 33 44", "+33 7 81 22 33 44;07 81 00 00 01"))
    assert example_tenants.json("customer", "import", path, *T) == {
        "created": 0, "updated": 2, "unchanged": 0, "skipped": 0}
    everyone = example_tenants.json("customer", "find", "e", *T)
    assert sorted(c["name"] for c in everyone) == ["Karim Benali", "Élodie Martin"]
    elodie = next(c for c in everyone if c["name"] == "Élodie Martin")
    assert example_tenants.json("customer", "show", str(elodie["id"]), *T)["attributes"]["city"] == "Annecy"
    karim = example_tenants.json("customer", "find", "07 81 00 00 01", *T)
    assert karim[0]["phones"] == ["+33781223344", "+33781000001"]


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
    assert snapshot() == before


def test_csv_without_a_name_column_is_refused(example_tenants, write_yaml):
    path = write_yaml("people.csv", "email,phone\na@example.fr,\n")
    assert f"{path}:1: the CSV header must have a 'name' column" in example_tenants(
        "customer", "import", path, *T, code=2).stderr


def test_a_row_joining_two_customers_is_an_error(example_tenants, write_yaml, snapshot):
    example_tenants("customer", "import", write_yaml("people.csv", CSV), *T)
    before = snapshot()
    joined = write_yaml("joined.csv", "name,email,phone\nÉlodie K,karim.benali@example.fr,06 12 34 56 78\n")
    message = example_tenants("customer", "import", joined, *T, code=2).stderr
    assert "belong to different customers" in message and "merge them first" in message
    assert snapshot() == before
