"""``ccctl db revision --plugin NAME``: only that plugin's tables, on that plugin's branch.

Run as a plugin author runs it: a distribution on PYTHONPATH found through its entry point,
``ccctl`` in its own process (the plugin's models must not join this process's metadata),
against a private SQLite file that already holds every built-in plugin's tables, the FAQ
search index included.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

INIT = '''\
from ccctl.hookspecs import hookimpl


@hookimpl
def ccctl_register_migrations(register):
    from pathlib import Path

    register(Path(__file__).parent / "migrations")
'''

MODELS = '''\
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ccctl.db.models import Base


class Room(Base):
    __tablename__ = "chatdemo_rooms"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
'''

MORE = '''

class Message(Base):
    __tablename__ = "chatdemo_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("chatdemo_rooms.id"))
    text: Mapped[str] = mapped_column(String(2000))
'''


@pytest.fixture
def author(tmp_path):
    site = tmp_path / "site"
    package = site / "ccctl_chatdemo"
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text(INIT)
    (package / "models.py").write_text(MODELS)
    info = site / "ccctl_chatdemo-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ccctl-chatdemo\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[ccctl]\nchatdemo = ccctl_chatdemo\n")
    env = {**os.environ, "PYTHONPATH": str(site), "CCCTL_CACHE_DIR": str(tmp_path / "cache"),
           "CCCTL_DATABASE_URL": f"sqlite:///{tmp_path / 'author.db'}"}
    env.pop("CCCTL_LOAD_PLUGINS", None)

    def run(*args, code=0):
        done = subprocess.run([sys.executable, "-m", "ccctl", *args], capture_output=True, text=True,
                              env=env, timeout=120)
        assert done.returncode == code, done.stderr
        return done

    return package, run


def revision_of(path):
    tree = ast.parse(path.read_text())
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = ast.literal_eval(node.value)
    return found


def operations(path):
    return [line.strip() for line in path.read_text().splitlines() if "op." in line]


def tables_touched(path):
    """Every table an op.* call names (create/drop/alter/index), upgrade and downgrade."""
    import re

    return set(re.findall(r"(?:_table|_index)\((?:op\.f\('[^']*'\), )?'([^']+)'", path.read_text())) | set(
        re.findall(r"table_name='([^']+)'", path.read_text()))


def test_plugin_revision_touches_only_its_tables_on_its_own_branch(author):
    package, run = author
    run("db", "upgrade")   # every built-in plugin's tables exist, selfhelp's FTS index too
    said = run("db", "revision", "--plugin", "chatdemo", "-m", "rooms", "--rev-id", "chatdemo_0001").stdout
    (first,) = (package / "migrations").glob("chatdemo_0001*.py")
    assert str(first) in said
    head = revision_of(first)
    assert head["down_revision"] is None and head["branch_labels"] == ("chatdemo",)
    assert head["depends_on"] and head["depends_on"] != "core@head"   # a real core revision id
    ops = operations(first)
    assert any("create_table('chatdemo_rooms'" in op for op in ops), ops
    assert tables_touched(first) == {"chatdemo_rooms"}, ops   # no drop of the FAQ index, nor of sms_*
    run("db", "upgrade")

    # The next revision hangs on the plugin's branch, not on core's head.
    (package / "models.py").write_text(MODELS + MORE)
    run("db", "revision", "--plugin", "chatdemo", "-m", "messages", "--rev-id", "chatdemo_0002")
    (second,) = (package / "migrations").glob("chatdemo_0002*.py")
    assert revision_of(second)["down_revision"] == "chatdemo_0001"
    assert "branch_labels" not in revision_of(second) or revision_of(second)["branch_labels"] is None
    ops = operations(second)
    assert any("create_table('chatdemo_messages'" in op for op in ops), ops
    assert tables_touched(second) == {"chatdemo_messages"}, ops
    assert "upgraded" in run("db", "upgrade").stdout


def test_plugin_revision_refuses_what_it_cannot_do(author):
    package, run = author
    assert "no plugin 'chatdemo2' is loaded" in run(
        "db", "revision", "--plugin", "chatdemo2", "-m", "x", "--rev-id", "x_1", code=2).stderr
    assert "drop --version-path" in run("db", "revision", "--plugin", "chatdemo", "-m", "x", "--rev-id", "x_1",
                                        "--version-path", str(package), code=2).stderr
    (package / "models.py").write_text(textwrap.dedent("# no tables yet\n"))
    refused = run("db", "revision", "--plugin", "chatdemo", "-m", "x", "--rev-id", "x_1", code=2).stderr
    assert "plugin 'chatdemo' defines no table" in refused and "Traceback" not in refused
    assert list((package / "migrations").iterdir()) == []
