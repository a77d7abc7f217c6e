"""The tenant's guard on when a call may be placed.

Defaults follow the French rules (DESIGN.md): calls nobody asked for only Mon-Fri
10-13h and 14-20h, never on public holidays.  A call-back request is the person's
consent, so with ``consent_overrides`` its calls only need to fall within the hours
the person could book (the slot hours).  All of it is tenant settings, not hard-coded law.
"""

from __future__ import annotations

from datetime import datetime

from ccctl.config.model import DAYS
from ccctl.db.models import Tenant
from ccctl_callback.config import CallbackConfig
from ccctl_callback.slots import holiday_name, local_zone, slot_hours, within


def refusal(tenant: Tenant, cfg: CallbackConfig, when: datetime, consent: bool) -> str | None:
    """Why a call at ``when`` is not allowed, or None when it is."""
    zone = local_zone(tenant)
    local = when.astimezone(zone)
    shown = local.strftime("%a %Y-%m-%d %H:%M")
    guard = cfg.calling_hours
    if consent and guard.consent_overrides:
        hours = slot_hours(tenant, cfg)
        if within(hours, when, zone) and not holiday_name(tenant, local.date()):
            return None
        return (f"{shown} is outside the call-back opening hours "
                f"({DAYS[local.weekday()]}: {', '.join(hours.get(DAYS[local.weekday()], [])) or 'closed'})")
    holiday = holiday_name(tenant, local.date())
    if holiday and not guard.on_holidays:
        return f"{shown} is a public holiday ({holiday}): no calls without the person's consent"
    if not within(guard.hours, when, zone):
        allowed = ", ".join(guard.hours.get(DAYS[local.weekday()], [])) or "none"
        return (f"{shown} is outside the calling hours for calls without consent "
                f"({DAYS[local.weekday()]}: {allowed}; plugins.callback.calling_hours)")
    return None
