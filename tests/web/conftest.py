"""Fixtures for the HTTP front: an App with the demo plugin, and tenants enabling it or not."""

from __future__ import annotations

import pytest

from ccctl.context import App
from ccctl.plugins import get_plugin_manager

from .demo_plugin import TENANTS, DemoPlugin


@pytest.fixture
def demo_pm():
    return get_plugin_manager(extra=[("demo", DemoPlugin())])


@pytest.fixture
def demo_app(db_url, demo_pm, tmp_path, ccctl) -> App:
    """An App whose plugin manager has the demo plugin, with tenants with-demo and without-demo."""
    Runner = type(ccctl)  # the shared CLI runner, here with the demo plugin loaded
    folder = tmp_path / "clients"
    folder.mkdir()
    for slug, text in TENANTS.items():
        (folder / f"{slug}.yaml").write_text(text)
    Runner(db_url, demo_pm)("tenant", "apply", "-f", str(folder))
    application = App(demo_pm, db_url)
    yield application
    if "engine" in application.__dict__:
        application.engine.dispose()
