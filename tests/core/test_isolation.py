"""Tenant isolation: every command, given tenant A's ids and contacts while acting for tenant B,
shows nothing of A and changes nothing of A.

The harness builds two tenants that look alike (same queues, same customer names, phones
and emails, each with history and a work item) plus data only A has.  Everything of A
carries marker strings ("A-ONLY", "A-RESA"...) that must never appear in an output for B,
and a snapshot of every row holding A's ``tenant_id`` (core and plugin tables alike) must
not move.

Other areas add their own cases without editing this file: a module
``tests/<area>/isolation_cases.py`` may define

* ``CASES``: a list of dicts ``{"id": ..., "args": [...], "code": 0, "input": None, "check": None}``
  where ``args`` (and ``input``) are templates filled from the world (``{a_customer}``,
  ``{a_item}``, ``{tenant_b}``... see ``world`` below) and ``check(result, world)`` may
  assert more;
* ``populate(app, session, tenant, side, world)``: called for side "a" then "b" to add the
  area's own rows (e.g. an SMS in the outbox) and put their ids into ``world``
  (as ``world[f"{side}_sms"] = id``).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from ccctl.customers import add_customer, record_interaction
from ccctl.queue.items import create_item

TESTS = Path(__file__).resolve().parent.parent
EXAMPLE = TESTS.parent / "examples" / "clients" / "voyages-lumiere.yaml"
A, B = "iso-a", "iso-b"
# Strings only tenant A's rows contain.
A_MARKERS = ["A-ONLY", "a-only.example", "+33611111111", "A-RESA", "A-DOSSIER"]

CORE_CASES = [
    {"id": "show-a-customer", "args": ["customer", "show", "{a_customer}", "-t", B], "code": 1},
    {"id": "show-a-only-customer", "args": ["customer", "show", "{a_only}", "-t", B], "code": 1},
    {"id": "find-a-only-phone", "args": ["customer", "find", "{a_only_phone}", "-t", B],
     "check": lambda r, w: _json(r) == []},
    {"id": "find-a-only-phone-national", "args": ["customer", "find", "06 11 11 11 11", "-t", B],
     "check": lambda r, w: _json(r) == []},
    {"id": "find-a-only-email", "args": ["customer", "find", "{a_only_email}", "-t", B],
     "check": lambda r, w: _json(r) == []},
    {"id": "find-a-only-name", "args": ["customer", "find", "Aurore Aonly", "-t", B],
     "check": lambda r, w: _json(r) == []},
    {"id": "find-a-only-fuzzy-name", "args": ["customer", "find", "aurore aonli", "-t", B],
     "check": lambda r, w: _json(r) == []},
    {"id": "find-shared-phone-gives-b", "args": ["customer", "find", "{shared_phone}", "-t", B],
     "check": lambda r, w: [c["id"] for c in _json(r)] == [w["b_customer"]]},
    {"id": "find-shared-email-gives-b", "args": ["customer", "find", "{shared_email}", "-t", B],
     "check": lambda r, w: [c["id"] for c in _json(r)] == [w["b_customer"]]},
    {"id": "find-shared-name-gives-b", "args": ["customer", "find", "martin", "-t", B],
     "check": lambda r, w: {c["id"] for c in _json(r)} == {w["b_customer"], w["b_dupe"]}},
    {"id": "merge-a-into-b", "args": ["customer", "merge", "{a_dupe}", "{b_customer}", "-t", B], "code": 1},
    {"id": "merge-b-into-a", "args": ["customer", "merge", "{b_dupe}", "{a_customer}", "-t", B], "code": 1},
    {"id": "merge-a-into-a-as-b", "args": ["customer", "merge", "{a_dupe}", "{a_customer}", "-t", B], "code": 1},
    {"id": "duplicates", "args": ["customer", "duplicates", "--include-namesakes", "--min-score", "20", "-t", B],
     "check": lambda r, w: {(p["customer_a"], p["customer_b"]) for p in _json(r)}
     == {tuple(sorted((w["b_customer"], w["b_dupe"])))}},
    {"id": "add-with-a-contacts", "args": ["customer", "add", "Quelqu'un", "--phone", "{a_only_phone}",
                                           "--email", "{a_only_email}", "-t", B],
     "check": lambda r, w: _json(r)["id"] not in w["a_ids"]},
    {"id": "import-a-contacts", "args": ["customer", "import", "-", "-t", B],
     "input": "name,email,phone\nAutre Personne,{a_only_email},{a_only_phone}\nÉlodie Martin,{shared_email},\n",
     "check": lambda r, w: [_json(r)[k] for k in ("created", "updated", "unchanged", "conflicts", "invalid")]
     == [1, 0, 1, 0, 0]},
    {"id": "item-show-a-item", "args": ["item", "show", "{a_item}", "-t", B], "code": 1},
    {"id": "customer-export-a", "args": ["customer", "export", "{a_customer}", "-t", B], "code": 1},
    {"id": "customer-erase-a", "args": ["customer", "erase", "{a_customer}", "--yes", "-t", B], "code": 1},
    {"id": "tenant-list-shows-both-slugs-only", "args": ["tenant", "list"],
     "check": lambda r, w: [t["tenant"] for t in _json(r)] == [A, B]},
]


def _json(result):
    return json.loads(result.stdout)


def _area_modules():
    for path in sorted(TESTS.glob("*/isolation_cases.py")):
        spec = importlib.util.spec_from_file_location(f"isolation_cases_{path.parent.name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield path.parent.name, module


AREAS = list(_area_modules())
CASES = [("core", case) for case in CORE_CASES] + [
    (area, case) for area, module in AREAS for case in getattr(module, "CASES", [])]


def _tenant_file(tmp_path, slug):
    text = EXAMPLE.read_text(encoding="utf-8").replace("tenant: voyages-lumiere", f"tenant: {slug}")
    path = tmp_path / "clients" / f"{slug}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _populate_side(app, session, slug, side, world):
    """The same-looking data on both sides; markers and the extra customer only on A."""
    tenant = app.tenant(session, slug)
    mark = side.upper()
    elodie = add_customer(session, tenant, "Élodie Martin", ["elodie.martin@example.fr"], ["06 12 34 56 78"],
                          {"dossier": f"{mark}-DOSSIER-17"})
    dupe = add_customer(session, tenant, "Elodie Martin", ["e.martin@example.com"], [])
    record_interaction(session, tenant, "email", customer_id=elodie.id, summary=f"Réservation {mark}-RESA-001",
                       external_id="<resa-001@example.fr>")
    ctx = app.context(session, tenant)
    item, _ = create_item(ctx, "email", subject=f"Annulation {mark}-RESA-001", customer_id=elodie.id,
                          external_ref="<resa-001@example.fr>")
    world.update({f"{side}_customer": elodie.id, f"{side}_dupe": dupe.id, f"{side}_item": item.id})
    if side == "a":
        only = add_customer(session, tenant, "Aurore Aonly", ["aurore@a-only.example"], ["+33 6 11 11 11 11"],
                            {"note": "A-ONLY"})
        record_interaction(session, tenant, "sms", customer_id=only.id, summary="A-ONLY rappel", external_id="SMA1")
        world["a_only"] = only.id
    for _area, module in AREAS:
        if hasattr(module, "populate"):
            module.populate(app, session, tenant, side, world)
    session.commit()


@pytest.fixture
def world(ccctl, app, tmp_path):
    """Two look-alike tenants; returns the template values (ids, contacts, slugs)."""
    ccctl("tenant", "apply", "-f", _tenant_file(tmp_path, A), "-f", _tenant_file(tmp_path, B))
    values = {"tenant_a": A, "tenant_b": B, "a_only_phone": "+33611111111", "a_only_email": "aurore@a-only.example",
              "shared_phone": "+33612345678", "shared_email": "elodie.martin@example.fr"}
    with app.session() as session:
        _populate_side(app, session, A, "a", values)
        _populate_side(app, session, B, "b", values)
    values["a_ids"] = {values["a_customer"], values["a_dupe"], values["a_only"]}
    return values


@pytest.mark.parametrize("area,case", CASES, ids=[f"{area}:{case['id']}" for area, case in CASES])
def test_tenant_b_never_sees_or_changes_tenant_a(world, ccctl, snapshot, area, case):
    before = snapshot(A)
    args = [str(a).format(**world) for a in case["args"]]
    stdin = case["input"].format(**world) if case.get("input") else None
    if _takes_format(args):
        args.extend(["--format", "json"])
    result = ccctl(*args, input=stdin, code=case.get("code", 0))
    shown = result.stdout + result.stderr
    # A value the case itself typed (A's phone given to B's `customer add`) may be echoed back.
    given = " ".join(args) + (stdin or "")
    leaked = [marker for marker in A_MARKERS if marker in shown and marker not in given]
    assert not leaked, f"tenant A's {leaked} shown to tenant B:\n{shown}"
    assert snapshot(A) == before, "a command acting for tenant B changed tenant A's rows"
    if case.get("check"):
        assert case["check"](result, world), f"check failed; output:\n{shown}"


def _takes_format(args: list[str]) -> bool:
    from ccctl.cli import create_cli
    from ccctl.plugins import get_plugin_manager

    command = create_cli(get_plugin_manager())
    for word in args:
        if not hasattr(command, "commands") or word not in command.commands:
            break
        command = command.commands[word]
    return any(p.name == "fmt" for p in command.params)


def test_the_harness_would_see_a_leak(world, ccctl):
    """The same commands for tenant A do show A's markers: the checks above are not vacuous."""
    shown = ccctl("customer", "show", str(world["a_only"]), "-t", A, "--format", "json").stdout
    assert "A-ONLY" in shown and "+33611111111" in shown
    assert "A-RESA" in ccctl("customer", "show", str(world["a_customer"]), "-t", A, "--format", "json").stdout
