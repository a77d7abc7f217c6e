"""Server-wide web settings, passed from `ccctl serve` to every uvicorn worker through the environment."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field

ENV_VAR = "CCCTL_WEB_SETTINGS"
SECRET_ENV_VAR = "CCCTL_WEB_SECRET"


@dataclass(frozen=True)
class WebSettings:
    max_body_bytes: int = 64 * 1024
    # Requests per client IP per ``rate_window`` seconds (0 switches the limit off).
    rate_limit: int = 120
    rate_window: float = 60.0
    # Peers (IPs or CIDRs) whose X-Forwarded-For/-Proto/-Host headers are believed.
    trusted_proxies: tuple[str, ...] = ()
    # The public base URL (https://cc.example.com) when it differs from what the server sees;
    # Twilio signs the URL it called, so signatures are checked against this one.
    public_url: str | None = None
    # How long a Twilio request's digest is remembered to refuse a replay.
    replay_window: int = 7 * 86400
    # Key for CSRF tokens; must be the same in every worker (serve sets one per run if empty).
    secret: str = field(default="", repr=False)

    def to_env(self) -> str:
        """JSON of everything but the secret, which travels in its own variable."""
        return json.dumps({k: v for k, v in asdict(self).items() if k != "secret"})

    @classmethod
    def from_env(cls) -> WebSettings:
        data = json.loads(os.environ.get(ENV_VAR) or "{}")
        data["trusted_proxies"] = tuple(data.get("trusted_proxies") or ())
        data["secret"] = os.environ.get(SECRET_ENV_VAR, "")
        return cls(**data)

    def with_secret(self) -> WebSettings:
        """These settings with a CSRF key: the configured one, else a random one."""
        from dataclasses import replace

        if self.secret:
            return self
        return replace(self, secret=os.environ.get(SECRET_ENV_VAR) or secrets.token_urlsafe(32))
