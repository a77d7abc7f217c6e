"""One clock: every listing command, walked, shows times with their zone named (the tenant's, or UTC).

Every command with ``--format`` is classified below: a new one fails the first test until it
is walked (READING) or said to act (ACTING, walked by their own tests).
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from ccctl.cli import create_cli
from ccctl.plugins import get_plugin_manager

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
T = ("-t", "voyages-lumiere")

# Commands that only read, with the arguments to walk them ({customer}, {item}: filled in).
READING = {
    "agent list": [], "audit": [], "plugins": [], "tenant list": [], "tenant show": ["voyages-lumiere"],
    "queue list": [*T], "queue show": ["apres-vente", *T], "queue stats": [*T],
    "item show": ["{item}", *T], "customer show": ["{customer}", *T], "customer find": ["06 12 34 56 78", *T],
    "customer duplicates": [*T], "customer list": [*T],
    "callback list": [*T], "callback show": ["{callback}", *T], "callback slots": ["--open", "--days", "2", *T],
    "email outbox": [*T], "email quarantine list": [*T], "email auth status": ["--no-check", *T],
    "faq list": [*T], "faq gaps": [*T], "faq stats": [*T], "faq search": ["annulation", *T],
    "faq show": ["annuler-reservation", *T],
    "sms list": [*T], "sms opt-outs": [*T], "sms status": [*T],
    "report kpi": [*T], "report billing": ["--month", "2026-11"], "report staffing": [*T],
    "report attribution": [*T], "route test": [*T, "--channel", "email", "--subject", "Remboursement"],
    "retention kinds": [],
    "voice calls": [*T], "voice report": [*T], "webhooks list": [*T], "webhooks log": [*T], "fulfil list": [*T],
}
# Commands that change something (their own tests check what they print).
ACTING = {
    "agent add", "agent remove", "agent set", "callback dial", "callback request", "customer add",
    "customer erase", "customer export", "customer import", "customer merge", "email fetch", "email ingest", "email reply",
    "email auth login",
    "email send", "faq suggest", "faq sync", "item close", "item release", "item transfer", "item wait",
    "queue escalate", "queue next", "retention apply", "sms dispatch", "sms preview",
    "sms schedule", "sms send", "sms show", "sms sync", "tenant apply", "tenant archive", "tenant delete",
    "tenant unarchive", "sms retry",
    "status",  # reads, but exits 1 on the examples' unset secrets; tests/sms/test_status.py checks its times say UTC
    "voice purge-recordings", "webhooks deliver", "webhooks replay", "webhooks retry",
    # Read-only, but they need a tenant with the voice plugin or an agent's calls: tests/voice walks them.
    "voice case-number", "voice pop",
    "tenant unarchive", "customer reindex", "customer unmerge", "customer update",
}
# A time as tables print it, and what must follow it: a zone name (CET, UTC) or an offset.
TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?")
ZONE = re.compile(r"\s?(?:[A-Z]{2,5}\b|[+-]\d{2}(?::?\d{2})?|Z\b)")


def listing_commands() -> list[str]:
    found = []

    def walk(group: click.Group, prefix: list[str]) -> None:
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                walk(command, [*prefix, name])
            elif any(p.name == "fmt" for p in command.params):
                found.append(" ".join([*prefix, name]))

    walk(create_cli(get_plugin_manager()), [])
    return sorted(found)


def test_every_listing_command_is_walked_or_said_to_act():
    unknown = [c for c in listing_commands() if c not in READING and c not in ACTING]
    assert not unknown, f"add these to READING (with arguments) or ACTING in {__file__}: {unknown}"


def unlabelled_times(text: str) -> list[str]:
    return [m.group(0) for m in TIME.finditer(text) if not ZONE.match(text, m.end())]


@pytest.mark.parametrize("text, bad", [
    ("due 2026-12-07 13:00 CET", []), ("2026-12-07 12:00 UTC x", []), ("2026-03-29T01:00:00+00:00", []),
    ("due 2026-12-07 12:00", ["2026-12-07 12:00"]), ("at 2026-12-07 12:00 until", ["2026-12-07 12:00"]),
])
def test_the_check_itself_finds_unlabelled_times(text, bad):
    assert unlabelled_times(text) == bad


@pytest.fixture
def day(example_tenants, app):
    """A small day: customers, a mail become an item claimed by marie, a call-back request, an SMS."""
    run = example_tenants
    run("customer", "import", str(EXAMPLES / "customers-voyages.csv"), *T)
    run("email", "ingest", str(EXAMPLES / "mail" / "annulation.eml"), *T, "--no-ack")
    run("faq", "sync", str(EXAMPLES / "faq" / "voyages-lumiere"), *T)
    run("agent", "add", "marie", "--skill", "claims,booking,fr", "--serves", "voyages-lumiere")
    item = run.json("queue", "next", "--agent", "marie")["id"]
    slot = run.json("callback", "slots", "--open", "--days", "8", *T)[0]["start"]
    callback = run.json("callback", "request", *T, "--phone", "06 98 76 54 32", "--name", "Jean-Luc Moreau",
                        "--slot", slot)["item"]
    customer = run.json("customer", "find", "06 12 34 56 78", *T)[0]["id"]
    return run, {"item": item, "customer": customer, "callback": callback}


def _walk(run, ids, *global_options):
    shown = {}
    for command, args in READING.items():
        filled = [a.format(**ids) for a in args]
        shown[command] = run(*global_options, *command.split(), *filled, "--format", "table").stdout
    return shown


# Commands still printing a time without its zone (none left). Strict: a fixed one must go.
KNOWN_GAPS: set[str] = set()


def test_every_table_names_the_zone_of_its_times(day):
    run, ids = day
    shown = _walk(run, ids)
    bad = {command: unlabelled_times(out) for command, out in shown.items() if unlabelled_times(out)}
    assert set(bad) == KNOWN_GAPS, f"times without their zone: {bad}"
    # A command for one tenant shows its clock, not UTC.
    in_utc = {command for command, out in shown.items() if "-t" in READING[command] and " UTC" in out}
    assert in_utc == set(), in_utc
    assert "CET" in shown["queue list"] and "CET" in shown["item show"] and "CET" in shown["customer show"]


def test_utc_shows_table_times_in_utc(day):
    run, ids = day
    shown = _walk(run, ids, "--utc")
    assert {command for command, out in shown.items() if unlabelled_times(out)} == KNOWN_GAPS
    for command in ("queue list", "item show", "customer show"):
        cells = [line for line in shown[command].splitlines()  # stored texts keep the zone they name
                 if "CET" in line and "Call back" not in line and "queued in" not in line]
        assert "UTC" in shown[command] and not cells, (command, cells)
