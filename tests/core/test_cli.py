"""The command line as a whole: --format on every listing, a light --help, exit codes, output formats."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import datetime, timezone

import click
import pytest

from ccctl.cli import create_cli
from ccctl.output import emit, emit_object
from ccctl.plugins import get_plugin_manager

LISTING_NAMES = {"list", "find", "search", "stats", "duplicates"}
CORE_GROUPS = {"tenant", "customer"}


def leaf_commands(command: click.Command, path=()):
    if isinstance(command, click.Group):
        for name, child in command.commands.items():
            yield from leaf_commands(child, path + (name,))
    else:
        yield path, command


def test_every_listing_takes_format():
    cli = create_cli(get_plugin_manager())
    missing = []
    for path, command in leaf_commands(cli):
        is_core = path[0] in CORE_GROUPS and path[-1] not in ("export", "erase") or path == ("plugins",)
        if (path[-1] in LISTING_NAMES or is_core) and "fmt" not in {p.name for p in command.params}:
            missing.append(" ".join(path))
    assert missing == []


def test_help_loads_no_database_or_heavy_library():
    # Operators call ccctl in loops: --help must stay a click-only start-up (every plugin loaded).
    code = ("import sys\nfrom ccctl.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = ('sqlalchemy', 'pydantic', 'alembic', 'ccctl.context', 'twilio', 'jinja2', 'starlette',"
            " 'phonenumbers', 'yaml', 'tabulate', 'rapidfuzz', 'httpx')\n"
            "print(','.join(m for m in heavy if m in sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "customer" in done.stdout and "tenant" in done.stdout
    assert done.stderr.strip() == ""


def test_the_console_entry_closes_the_database_before_the_process_ends(tmp_path):
    # main() skips the interpreter's collections at exit: connections must be closed before.
    # SQLite deletes a database's WAL file when its last connection closes, and only then.
    url = f"sqlite:///{tmp_path / 'ccctl.db'}"
    done = subprocess.run([sys.executable, "-m", "ccctl", "--database-url", url, "tenant", "list", "--format", "json"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "ccctl.db").exists() and not (tmp_path / "ccctl.db-wal").exists()


def test_unknown_command_and_bad_option_exit_2(ccctl):
    assert ccctl("nonsense", code=2)
    assert ccctl("customer", "find", "x", "--format", "xml", code=2)


def test_several_tenants_need_one_named(example_tenants):
    message = example_tenants("customer", "find", "x", code=2).stderr
    assert "several tenants: pass --tenant SLUG or set CCCTL_TENANT" in message
    assert example_tenants.json("customer", "find", "martin", env={"CCCTL_TENANT": "voyages-lumiere"}) == []


def test_no_tenant_yet_says_what_to_do(ccctl):
    assert "run ccctl tenant apply" in ccctl("customer", "find", "x", code=1).stderr


ROWS = [{"id": 1, "name": "Élodie", "tags": ["a", "b"], "at": datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)}]


@pytest.mark.parametrize("fmt,expected", [
    ("json", '[\n  {\n    "id": 1,\n    "name": "Élodie",\n    "tags": [\n      "a",\n      "b"\n    ],\n'
             '    "at": "2026-03-01T12:00:00+00:00"\n  }\n]\n'),
    ("jsonl", '{"id": 1, "name": "Élodie", "tags": ["a", "b"], "at": "2026-03-01T12:00:00+00:00"}\n'),
    ("csv", 'id,name,tags,at\n1,Élodie,"a, b",2026-03-01T12:00:00+00:00\n'),
])
def test_emit_machine_formats_keep_utc(fmt, expected):
    out = io.StringIO()
    emit(ROWS, fmt=fmt, file=out, tz="Europe/Paris")
    assert out.getvalue() == expected


def test_emit_table_shows_the_tenant_zone_and_picks_columns():
    out = io.StringIO()
    emit(ROWS, ["name", "at"], fmt="table", file=out, tz="Europe/Paris")
    assert "2026-03-01 13:00 CET" in out.getvalue() and "tags" not in out.getvalue()
    out = io.StringIO()
    emit(ROWS, ["at"], fmt="table", file=out)
    assert "2026-03-01 12:00" in out.getvalue()


def test_emit_empty_listings():
    for fmt, expected in (("json", "[]\n"), ("jsonl", ""), ("csv", "id\n")):
        out = io.StringIO()
        emit([], ["id"], fmt=fmt, file=out)
        assert out.getvalue() == expected


def test_emit_object_nests_lists_of_records_on_tables():
    out = io.StringIO()
    emit_object({"id": 7, "name": "Karim", "timeline": ROWS}, fmt="table", file=out, tz="America/Martinique")
    text = out.getvalue()
    assert "name      Karim" in text and "timeline:" in text and "2026-03-01 08:00 AST" in text
    out = io.StringIO()
    emit_object({"id": 7, "timeline": ROWS}, fmt="json", file=out)
    assert json.loads(out.getvalue())["timeline"][0]["at"] == "2026-03-01T12:00:00+00:00"


def test_emit_object_says_none_for_empty_lists():
    out = io.StringIO()
    emit_object({"id": 7, "open_items": [], "phones": []}, fmt="table", file=out)
    assert out.getvalue().splitlines()[1:] == ["open_items  (none)", "phones      (none)"]
