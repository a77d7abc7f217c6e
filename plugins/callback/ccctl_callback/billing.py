"""Billable call-back minutes for ``ccctl report billing`` (the ``ccctl_report_usage`` hook).

Each call is billed per **started minute**, as telecom operators do: 1 to 60 s is one minute,
61 s is two; a call with no talk time (no answer, or duration unknown) bills nothing. A call
belongs to the period in which it ended (``ended_at``, when its outcome was recorded: the
same moment as its history entry). A period without any ended attempt reports no line, so
the report's history fallback still counts call-backs recorded elsewhere.
"""

from __future__ import annotations

import math
import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ccctl.db.models import Tenant
from ccctl.errors import InputError
from ccctl_callback.models import CallbackAttempt

MANUAL_DURATION = re.compile(r"^\s*(\d{1,5})\s*(s|m|min)?\s*$")


def billed_minutes(seconds: int | None) -> int:
    """Started minutes of one call: 0 s → 0, 1–60 s → 1, 61 s → 2."""
    return math.ceil(seconds / 60) if seconds and seconds > 0 else 0


def parse_manual_duration(text: str) -> int:
    """``--duration`` of a manual call → seconds: a bare number is minutes (``4``), ``95s`` seconds, ``4m`` minutes."""
    match = MANUAL_DURATION.match(text or "")
    if not match:
        raise InputError(f"--duration '{text}' is not a talk time like 4 (minutes), 4m or 95s")
    amount, unit = int(match.group(1)), match.group(2)
    return amount if unit == "s" else amount * 60


def parse_call_duration(value: str | None) -> int | None:
    """Twilio's ``CallDuration`` (whole seconds) → seconds, or None when absent or unreadable."""
    text = (value or "").strip()
    return int(text) if text.isdigit() else None


def usage_lines(session: Session, tenant: Tenant, start: datetime, end: datetime) -> list[dict]:
    ended, minutes = session.execute(
        select(func.count(CallbackAttempt.id),
               func.sum((CallbackAttempt.duration_seconds + 59) // 60).filter(CallbackAttempt.duration_seconds > 0))
        .where(CallbackAttempt.tenant_id == tenant.id, CallbackAttempt.ended_at >= start,
               CallbackAttempt.ended_at < end)).one()
    if not ended:
        return []
    return [{"unit": "callback_minute", "quantity": int(minutes or 0),
             "description": "call-back talk time, per started minute of each call"}]
