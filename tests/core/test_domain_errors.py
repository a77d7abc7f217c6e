"""Domain errors are plain exceptions mapped to exit codes by the CLI alone; JSON keeps Decimals exact."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import click
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccctl.errors import CcctlError, ConfigError, DomainError, InputError, exit_code
from ccctl.hookspecs import hookimpl
from ccctl.output import emit, to_json
from ccctl.plugins import get_plugin_manager


def test_domain_errors_are_not_click_errors_and_carry_their_exit_code():
    for error, code in ((CcctlError("x"), 1), (InputError("x"), 2), (ConfigError("x", "a.yaml", 3, "k"), 2)):
        assert not isinstance(error, click.ClickException) and isinstance(error, DomainError)
        assert exit_code(error) == error.exit_code == code
    assert exit_code(ValueError("x")) == 1
    assert str(ConfigError("unknown key", "a.yaml", 3, "plugins.chat.colour")) == \
        "a.yaml:3: key 'plugins.chat.colour': unknown key"
    assert not issubclass(InputError, CcctlError)   # `except CcctlError` never swallows bad input


class Raising:
    @hookimpl
    def ccctl_register_commands(self, cli):
        @cli.command("explode")
        @click.argument("kind")
        def explode(kind):
            """Raise the error named KIND."""
            raise {"input": InputError("bad date '31/02' in line 4"), "config": ConfigError("bad", "t.yaml", 2, "k"),
                   "failure": CcctlError("client-a: provider unreachable")}[kind]


@pytest.mark.parametrize("kind,code,said", [
    ("input", 2, "Error: bad date '31/02' in line 4"),
    ("config", 2, "Error: t.yaml:2: key 'k': bad"),
    ("failure", 1, "Error: client-a: provider unreachable"),
])
def test_the_cli_maps_a_plugins_domain_error_to_its_exit_code(ccctl_with, kind, code, said):
    result = ccctl_with(get_plugin_manager(extra=[Raising()]))("explode", kind, code=code)
    assert said in result.stderr and "Traceback" not in result.stderr


def test_the_web_layer_and_core_apis_do_not_import_click():
    probe = ("import sys, ccctl.web.app, ccctl.web.scope, ccctl.errors, ccctl.customers, ccctl.privacy; "
             "print('click' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_decimals_are_written_as_exact_strings(capsys):
    assert to_json({"rate": Decimal("0.10"), "total": Decimal("1515.48")}, indent=None) == \
        '{"rate": "0.10", "total": "1515.48"}'
    emit([{"amount": Decimal("0.30")}], ["amount"], "json")
    assert json.loads(capsys.readouterr().out) == [{"amount": "0.30"}]


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_a_decimal_survives_json_unchanged(value):
    written = json.loads(to_json({"v": value}))["v"]
    assert Decimal(written) == value and str(Decimal(written)) == str(value)
