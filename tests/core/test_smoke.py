"""The core tour works end to end through the real CLI."""


def test_apply_import_find_show(example_tenants):
    ccctl = example_tenants
    report = ccctl.json("customer", "import", "examples/customers-voyages.csv", "-t", "voyages-lumiere")
    assert [report[k] for k in ("created", "updated", "unchanged", "conflicts", "invalid")] == [5, 0, 0, 0, 0]
    found = ccctl.json("customer", "find", "06 12 34 56 78", "-t", "voyages-lumiere")
    assert [c["name"] for c in found] == ["Élodie Martin"]
    assert found[0]["phones"] == ["+33612345678"]
    # The same phone is unknown to the other client.
    assert ccctl.json("customer", "find", "06 12 34 56 78", "-t", "assurance-horizon") == []
