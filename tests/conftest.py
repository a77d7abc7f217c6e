"""Shared fixtures: a clean database per test on SQLite or PostgreSQL, and a CLI runner.

``CCCTL_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test`` runs the
suite on PostgreSQL inside a private schema that is dropped at the end, so runs never
see each other's rows.  Without it every test gets its own SQLite file.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings
from sqlalchemy import text

from ccctl.cli import create_cli
from ccctl.context import App
from ccctl.db.engine import make_engine
from ccctl.db.schema import upgrade
from ccctl.db.scratch import scratch_schema
from ccctl.plugins import get_plugin_manager

ROOT = Path(__file__).resolve().parent.parent
# Lets tests import shared servers as ``from support.twilio_server import ...``.
sys.path.insert(0, str(Path(__file__).resolve().parent))
EXAMPLES = ROOT / "examples"
PG_URL = os.environ.get("CCCTL_TEST_DATABASE_URL")

# Property-based tests: the same examples on every run (derandomize: a fixed seed per test),
# no example database between runs, and a budget that keeps CI short.
# HYPOTHESIS_PROFILE=deep runs many more examples by hand.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile("deep", parent=settings.get_profile("ci"), derandomize=False, max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_report_header(config):
    return f"ccctl database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite (one file per test)'}"


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Cache files (plugin entry points, holiday dates) go to this run's temporary folder, not ~/.cache."""
    folder = tmp_path_factory.mktemp("cache")
    previous = os.environ.get("CCCTL_CACHE_DIR")
    os.environ["CCCTL_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("CCCTL_CACHE_DIR", None)
    else:
        os.environ["CCCTL_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def _migrated(tmp_path_factory):
    """A migrated template database: a SQLite file, or a PostgreSQL schema."""
    pm = get_plugin_manager()
    if PG_URL:
        with scratch_schema(PG_URL, "ccctl_test") as url:
            engine = make_engine(url)
            upgrade(engine, pm)
            engine.dispose()
            yield {"kind": "postgresql", "url": url}
    else:
        template = tmp_path_factory.mktemp("template") / "template.db"
        engine = make_engine(f"sqlite:///{template}")
        upgrade(engine, pm)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        yield {"kind": "sqlite", "template": template}


@pytest.fixture
def db_url(_migrated, tmp_path) -> str:
    """URL of an empty, migrated database for this test only."""
    if _migrated["kind"] == "sqlite":
        target = tmp_path / "ccctl.db"
        shutil.copy(_migrated["template"], target)
        return f"sqlite:///{target}"
    engine = make_engine(_migrated["url"])
    with engine.begin() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename != 'alembic_version'"))]
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()
    return _migrated["url"]


@pytest.fixture
def app(db_url) -> App:
    application = App(get_plugin_manager(), db_url)
    yield application
    if "engine" in application.__dict__:
        application.engine.dispose()


@pytest.fixture
def session(app):
    with app.session() as s:
        yield s


class Runner:
    """Runs the real CLI in-process against the test database."""

    def __init__(self, db_url: str, pm=None) -> None:
        self.db_url, self.pm = db_url, pm

    def __call__(self, *args: str, input: str | None = None, code: int = 0, env: dict | None = None):
        cli = create_cli(self.pm or get_plugin_manager())
        result = CliRunner().invoke(
            cli, ["--database-url", self.db_url, *map(str, args)], input=input,
            env={"CCCTL_TENANT": None, **(env or {})}, catch_exceptions=False,
        )
        assert result.exit_code == code, (
            f"ccctl {' '.join(map(str, args))} exited {result.exit_code}, wanted {code}\n"
            f"stdout: {result.stdout}\nstderr: {result.stderr}"
        )
        return result

    def json(self, *args: str, **kwargs):
        import json

        return json.loads(self(*args, "--format", "json", **kwargs).stdout)


@pytest.fixture
def ccctl(db_url) -> Runner:
    return Runner(db_url)


@pytest.fixture
def ccctl_with(db_url):
    """ccctl_with(pm) → a runner like ``ccctl`` whose CLI is built on plugin manager ``pm``
    (use it instead of ``from conftest import Runner``, which picks whichever conftest loaded last)."""
    return lambda pm: Runner(db_url, pm)


@pytest.fixture
def example_tenants(ccctl) -> Runner:
    """The two example clients applied; returns the runner."""
    ccctl("tenant", "apply", "-f", str(EXAMPLES / "clients"))
    return ccctl


@pytest.fixture
def live_server(db_url) -> str:
    """`ccctl serve` (uvicorn, own process) on 127.0.0.1 at a free port against the test database.

    Yields its base URL, e.g. ``http://127.0.0.1:41234``; stopped afterwards. For other serve
    options use ``support.live_server.running_server(db_url, "--rate-limit", "5/60")``.
    """
    from support.live_server import running_server

    with running_server(db_url) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium (Playwright, /usr/bin/chromium), one per test module; skips if missing.

    Module scope, not session: Playwright's sync API cannot run two instances at once."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from support.browser import launch

    with sync_api.sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies) and page for one test."""
    context = browser.new_context()
    yield context.new_page()
    context.close()
