"""Fixtures for report and privacy tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.report_helpers import BILLING_TENANT


@pytest.fixture
def billing_tenant(ccctl, tmp_path) -> Path:
    path = tmp_path / "voyages.yaml"
    path.write_text(BILLING_TENANT, encoding="utf-8")
    ccctl("tenant", "apply", "-f", str(path))
    return path
