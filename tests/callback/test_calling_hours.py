"""The calling-hours guard with the French defaults, at fixed instants."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ccctl.db.models import Tenant
from ccctl_callback.calling_hours import refusal
from ccctl_callback.config import CallbackConfig

PARIS = ZoneInfo("Europe/Paris")
TENANT = Tenant(slug="t", name="T", config={
    "timezone": "Europe/Paris", "holidays": "FR",
    "business_hours": {d: ["08:00-21:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}})
CFG = CallbackConfig.model_validate({"enabled": True})


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


@pytest.mark.parametrize("when, why", [
    ("2026-11-23 11:00", None),                      # Monday morning
    ("2026-11-23 19:59", None),
    ("2026-11-23 09:30", "outside the calling hours"),  # before 10h
    ("2026-11-23 13:30", "outside the calling hours"),  # lunch break
    ("2026-11-23 20:00", "outside the calling hours"),
    ("2026-11-28 11:00", "outside the calling hours"),  # Saturday
    ("2026-12-25 11:00", "public holiday (Christmas Day)"),
    ("2026-11-11 11:00", "public holiday (Armistice Day)"),
])
def test_without_consent_french_defaults(when, why):
    result = refusal(TENANT, CFG, at(when), consent=False)
    assert (result is None) if why is None else (why in result)


@pytest.mark.parametrize("when, allowed", [
    ("2026-11-23 09:30", True),    # asked: business hours are enough
    ("2026-11-28 11:00", True),    # Saturday, open for call-backs
    ("2026-11-23 21:30", False),   # after closing
    ("2026-11-29 11:00", False),   # Sunday: closed
    ("2026-12-25 11:00", False),   # holiday: closed
])
def test_consent_allows_the_opening_hours(when, allowed):
    assert (refusal(TENANT, CFG, at(when), consent=True) is None) is allowed


def test_consent_can_be_made_to_count_for_nothing():
    strict = CallbackConfig.model_validate({"enabled": True, "calling_hours": {"consent_overrides": False,
                                                                               "on_holidays": True}})
    assert "outside the calling hours" in refusal(TENANT, strict, at("2026-11-23 09:30"), consent=True)
    assert refusal(TENANT, strict, at("2026-11-11 11:00"), consent=False) is None
