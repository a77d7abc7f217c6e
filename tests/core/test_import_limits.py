"""Customer import refuses, alike on SQLite and PostgreSQL, what only one of them would store."""

from __future__ import annotations


def test_nul_and_overlong_values_are_invalid_rows_on_every_database(example_tenants, tmp_path):
    ccctl = example_tenants
    source = tmp_path / "people.csv"
    source.write_text("name,email,phone\nZo\x00e,z@example.fr,\n" + "N" * 201 + ",n@example.fr,\n"
                      "Ana,a@example.fr,\n", encoding="utf-8")
    refused = ccctl("customer", "import", str(source), "-t", "voyages-lumiere", code=2)
    assert f"{source}:2: name: holds a NUL character" in refused.stderr
    assert f"{source}:3: name: is at most 200 characters" in refused.stderr
    assert "Traceback" not in refused.stderr
    kept = ccctl.json("customer", "import", str(source), "-t", "voyages-lumiere", "--skip-invalid")
    assert (kept["created"], kept["invalid"]) == (1, 2)
