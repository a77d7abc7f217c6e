"""Shared fixtures for ccctl's own suite, on top of ccctl.testing (the pytest plugin shipped with
ccctl, loaded through ``[project.entry-points.pytest11]``): it gives ``db_url``, ``app``,
``session``, ``ccctl``, ``ccctl_with``, ``make_app``, ``make_runner``, ``tenant_file``,
``live_server`` and ``free_port``.

``CCCTL_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test`` runs the
suite on PostgreSQL inside a private schema that is dropped at the end, so runs never
see each other's rows.  Without it every test gets its own SQLite file.
"""

from __future__ import annotations

import inspect
import os
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from ccctl.testing import Runner  # noqa: F401 - older tests import it from here

ROOT = Path(__file__).resolve().parent.parent
# Lets tests import shared servers as ``from support.twilio_server import ...``.
sys.path.insert(0, str(Path(__file__).resolve().parent))
EXAMPLES = ROOT / "examples"
pytest_plugins = ["pytester"]  # tests/core/test_testing_kit.py runs a plugin author's project
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


@pytest.fixture
def example_tenants(ccctl) -> Runner:
    """The two example clients applied; returns the runner."""
    ccctl("tenant", "apply", "-f", str(EXAMPLES / "clients"))
    return ccctl


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


# `pytest -m "not slow"` is the fast loop: tests that start processes (ccctl serve, a ccctl
# subprocess, a crash), drive chromium, or run a pytest of their own are marked slow here,
# so new tests of those kinds are marked without anyone remembering to.
SLOW_FIXTURES = {"live_server", "browser", "page", "pytester"}
SLOW_CALLS = re.compile(r"\b(subprocess\.|Popen\(|running_server\(|run_ccctl\(|sys\.executable|os\.kill\(|multiprocessing|Process\(|ProcessPool)")


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("slow"):
            continue
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("browser") \
                or "crash" in item.path.name or _starts_processes(getattr(item, "function", None)):
            item.add_marker(pytest.mark.slow)


def _starts_processes(function) -> bool:
    try:
        return bool(SLOW_CALLS.search(inspect.getsource(function)))
    except (OSError, TypeError):
        return False
