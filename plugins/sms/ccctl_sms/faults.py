"""What a dispatch run did per tenant, and how long a retryable error is retried.

A dispatcher serves many tenants at once; one tenant's broken secret or refused credentials
must stop that tenant only, and every message left pending or failed must be told by tenant.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

MAX_BACKOFF = 900.0     # seconds; retries of an unreachable provider settle at one per 15 min


@dataclass
class TenantFaults:
    slug: str
    skipped: str | None = None            # settings or secrets unusable: nothing was tried
    fatal: str | None = None              # the provider refused the credentials: the rest stays pending
    failed: int = 0
    last_failure: str | None = None
    pending: dict[int, str] = field(default_factory=dict)  # row id -> why it is waiting for a retry

    def problems(self) -> list[str]:
        out = []
        if self.skipped:
            out.append(f"skipped: {self.skipped}")
        if self.fatal:
            out.append(f"stopped, messages left pending: {self.fatal}")
        if self.failed:
            out.append(f"{self.failed} message(s) failed (last: {self.last_failure})")
        if self.pending:
            reason = next(reversed(self.pending.values()))
            out.append(f"{len(self.pending)} message(s) left pending for a retry (last error: {reason})")
        return out


def retry_decision(now: datetime, first_attempt: datetime, attempts: int, backoff: float, max_age_minutes: int,
                   max_attempts: int | None) -> datetime | None:
    """When to try again after a retryable error, or None when the message is too old to keep trying."""
    if max_attempts is not None and attempts >= max_attempts:
        return None
    if now - first_attempt >= timedelta(minutes=max_age_minutes):
        return None
    delay = min(MAX_BACKOFF, backoff * 2 ** min(attempts - 1, 30)) * random.uniform(0.8, 1.2)
    return now + timedelta(seconds=delay)
