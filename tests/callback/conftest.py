"""Call-back test tenants (helpers in callback_helpers.py, importable from these tests)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from callback_helpers import write_tenant  # noqa: E402


@pytest.fixture
def cb(ccctl, tmp_path):
    """Tenants 'rappel' (callback + sms) and 'nosms' (callback only); returns the runner."""
    folder = tmp_path / "clients"
    folder.mkdir()
    write_tenant(folder, "rappel")
    write_tenant(folder, "nosms", name="Sans SMS", sms=False)
    ccctl("tenant", "apply", "-f", str(folder))
    return ccctl

