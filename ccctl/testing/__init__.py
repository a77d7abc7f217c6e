"""Test kit for ccctl and its plugins, shipped with ccctl and loaded by pytest by itself
(``[project.entry-points.pytest11]``: ``pip install ccctl`` is enough).

Fixtures (see :mod:`ccctl.testing.fixtures`):

* ``db_url``: an empty, migrated database for one test (SQLite file; PostgreSQL when
  ``CCCTL_TEST_DATABASE_URL`` is set, in a private schema).  ``app``/``session`` on it.
* ``ccctl``: the real CLI in-process (``ccctl("tenant", "apply", "-f", path)``,
  ``ccctl.json("plugins")``, ``code=2`` for an expected failure); ``ccctl_with(pm)``.
* ``make_app(("chat", my_plugin))``: an ``App`` whose plugin manager holds your plugin,
  installed or not; ``make_runner(...)`` the same for the CLI.
* ``tenant_file("client-a", plugins={"chat": {...}})``: a tenant YAML file (text from
  :func:`tenant_yaml`); ``live_server``: ``ccctl serve`` in its own process; ``free_port``.
* ``twilio_server``: a Twilio-compatible REST server on loopback (the real twilio SDK talks to
  it), with programmable failures, signed webhooks and a check of its traffic against Twilio's
  OpenAPI description (``contract_problems()``).

Catalogues (:mod:`ccctl.testing.catalogues`, needs Babel): ``assert problems("ccctl_mine") == []``
checks a plugin's gettext catalogues against its sources (docs/developing.md, locales).

Helpers: :func:`tenant_yaml`, :func:`plugin_manager`, :class:`Runner`, :func:`running_server`,
:func:`threaded_server`, :func:`free_port`, :class:`TwilioTestServer`.  Mark long tests
``@pytest.mark.slow``.
"""

from ccctl.testing.runner import Runner, plugin_manager
from ccctl.testing.server import free_port, running_server, threaded_server
from ccctl.testing.tenants import tenant_yaml
from ccctl.testing.twilio_server import TwilioTestServer

__all__ = ["Runner", "TwilioTestServer", "free_port", "plugin_manager", "running_server", "tenant_yaml",
           "threaded_server"]
