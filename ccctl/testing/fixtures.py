"""The pytest fixtures of :mod:`ccctl.testing` (registered as the ``ccctl`` pytest11 plugin).

A project's own ``conftest.py`` may override any of them by defining the same name.
"""

from __future__ import annotations

import os

import pytest

from ccctl.testing.database import configured_url, fresh_database, migrated_template
from ccctl.testing.runner import Runner, plugin_manager
from ccctl.testing.tenants import tenant_yaml


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds (subprocess, browser, crash); "
                                       "pytest -m 'not slow' skips them")


def pytest_report_header(config):
    url = configured_url()
    return f"ccctl database: {'PostgreSQL ' + url if url else 'SQLite (one file per test)'}"


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
    """A migrated template database (every installed plugin's tables): a SQLite file or a PostgreSQL schema."""
    with migrated_template(tmp_path_factory.mktemp("template")) as template:
        yield template


@pytest.fixture
def db_url(_migrated, tmp_path) -> str:
    """URL of an empty, migrated database for this test only."""
    return fresh_database(_migrated, tmp_path)


@pytest.fixture
def make_app(db_url):
    """make_app(*plugins) → an ``App`` on the test database whose plugin manager holds the installed
    plugins plus ``plugins`` (``("chat", module_or_object)`` pairs); its tables are migrated on first use."""
    from ccctl.context import App

    made = []

    def make(*plugins):
        made.append(App(plugin_manager(*plugins), db_url))
        return made[-1]

    yield make
    for application in made:
        application.close()


@pytest.fixture
def app(make_app):
    """An ``App`` (installed plugins) on the test database."""
    return make_app()


@pytest.fixture
def session(app):
    with app.session() as s:
        yield s


@pytest.fixture
def ccctl(db_url) -> Runner:
    """The real CLI on the test database: ``ccctl("customer", "find", "lea")``, ``ccctl.json(...)``."""
    return Runner(db_url)


@pytest.fixture
def ccctl_with(db_url):
    """ccctl_with(pm) → a runner like ``ccctl`` whose CLI is built on plugin manager ``pm``."""
    return lambda pm: Runner(db_url, pm)


@pytest.fixture
def make_runner(db_url):
    """make_runner(*plugins) → a runner whose CLI holds the installed plugins plus ``plugins``."""
    return lambda *plugins: Runner(db_url, plugin_manager(*plugins))


@pytest.fixture
def tenant_file(tmp_path):
    """tenant_file(slug, **keys) → the path of a tenant YAML file written by ``tenant_yaml(slug, **keys)``."""
    def write(slug: str, **keys):
        path = tmp_path / "clients" / f"{slug}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(tenant_yaml(slug, **keys), encoding="utf-8")
        return path

    return write


@pytest.fixture
def free_port() -> int:
    """A TCP port free on 127.0.0.1."""
    from ccctl.testing.server import free_port as find

    return find()


@pytest.fixture
def twilio_server():
    """A Twilio-compatible REST server on 127.0.0.1 (a free port) for this test; stopped afterwards.

    Point your tenant's Twilio settings at it (``account_sid: twilio_server.account_sid``, the auth
    token ``twilio_server.auth_token``, the API base URL ``twilio_server.url``) or use
    ``twilio_server.client()``; read what it received (``created_messages()``, ``calls``,
    ``requests``), program failures (``fail_next(429)``, ``down()``, ``lose_response()``), post
    signed webhooks (``inbound_sms``, ``set_message_status``) and check every request and answer
    against Twilio's OpenAPI description (``contract_problems() == []``, needs ``ccctl[test]``).
    See :class:`ccctl.testing.twilio_server.TwilioTestServer`.
    """
    from ccctl.testing.twilio_server import TwilioTestServer

    with TwilioTestServer() as server:
        yield server


@pytest.fixture
def live_server(db_url) -> str:
    """`ccctl serve` (uvicorn, own process) on 127.0.0.1 at a free port against the test database.

    Yields its base URL, e.g. ``http://127.0.0.1:41234``; stopped afterwards. For other serve
    options use ``ccctl.testing.running_server(db_url, "--rate-limit", "5/60")``.
    """
    from ccctl.testing.server import running_server

    with running_server(db_url) as base_url:
        yield base_url
