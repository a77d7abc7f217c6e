"""ccctl.testing as a plugin author meets it: a project with no conftest of its own, whose
tests get ccctl's fixtures from the pytest11 entry point alone."""

from __future__ import annotations

import os

import pytest

from ccctl.testing import tenant_yaml

PLUGIN = '''\
from ccctl.hookspecs import hookimpl


@hookimpl
def ccctl_register_migrations(register):
    from pathlib import Path

    register(Path(__file__).parent / "migrations")


@hookimpl
def ccctl_register_commands(cli):
    import click

    @cli.command("kitdemo-count")
    def count():
        """How many notes."""
        from sqlalchemy import func, select

        from ccctl_kitdemo.models import Note

        app = click.get_current_context().obj
        with app.session() as session:
            click.echo(session.scalar(select(func.count()).select_from(Note)))
'''

MODELS = '''\
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ccctl.db.models import Base


class Note(Base):
    __tablename__ = "kitdemo_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    text: Mapped[str] = mapped_column(String(100))
'''

MIGRATION = '''\
import sqlalchemy as sa
from alembic import op

revision = "kitdemo_0001"
down_revision = None
branch_labels = ("kitdemo",)
depends_on = "0001_core"


def upgrade():
    op.create_table("kitdemo_notes", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id")),
                    sa.Column("text", sa.String(100)))


def downgrade():
    op.drop_table("kitdemo_notes")
'''

TESTS = '''\
from sqlalchemy import inspect

import ccctl_kitdemo


def test_1_app_with_my_plugin_not_installed(make_app, make_runner, tenant_file):
    app = make_app(("kitdemo", ccctl_kitdemo))
    assert "kitdemo_notes" in inspect(app.engine).get_table_names()   # its migration ran
    cli = make_runner(("kitdemo", ccctl_kitdemo))
    cli("tenant", "apply", "-f", tenant_file("client-a", plugins={"kitdemo": True}))
    assert cli("kitdemo-count").stdout == "0\\n"


def test_2_next_test_starts_clean(app, ccctl, db_url):
    assert "kitdemo_notes" not in inspect(app.engine).get_table_names()
    assert ccctl.json("tenant", "list") == []
    ccctl("kitdemo-count", code=2)   # not a command without the plugin


def test_3_free_port_is_an_int(free_port):
    assert 1024 < free_port < 65536


def test_4_the_twilio_server_answers_the_real_sdk(twilio_server):
    sent = twilio_server.client().messages.create(to="+33612345678", from_="+33757000001", body="Bonjour")
    assert [m["sid"] for m in twilio_server.created_messages()] == [sent.sid]
    assert twilio_server.contract_problems() == []
    twilio_server.requests[-1].params["Colour"] = "blue"          # a field Twilio does not describe
    assert "Colour" in " ".join(twilio_server.contract_problems())
'''


@pytest.mark.slow
def test_a_third_party_project_gets_the_fixtures_from_the_entry_point(pytester):
    pytester.makepyfile(**{"ccctl_kitdemo/__init__": PLUGIN, "ccctl_kitdemo/models": MODELS,
                           "ccctl_kitdemo/migrations/kitdemo_0001_notes": MIGRATION, "test_mine": TESTS})
    env_db = os.environ.get("CCCTL_TEST_DATABASE_URL")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    assert ("PostgreSQL" if env_db else "SQLite") in result.stdout.str()   # the kit's report header


def test_tenant_yaml_builds_a_file_tenant_apply_accepts(ccctl, tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(tenant_yaml("client-a", name="Client A", holidays=None, plugins={"sms": False},
                                queues=[{"name": "general", "sla": "2h"}, {"name": "claims"}]))
    (row,) = ccctl.json("tenant", "apply", "-f", path)
    assert row["tenant"] == "client-a"
    shown = ccctl.json("tenant", "show", "client-a")
    assert [q["name"] for q in shown["queues"]] == ["general", "claims"]


def test_tenant_yaml_extra_text_is_kept_as_written(ccctl, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(tenant_yaml("client-a", extra="""
        colour: blue
        """))
    line = path.read_text().splitlines().index("colour: blue") + 1   # after the builder's lines
    assert f"{path}:{line}: key 'colour'" in ccctl("tenant", "apply", "-f", path, code=2).stderr
