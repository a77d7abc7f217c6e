"""The tenant YAML section ``plugins.sms``, validated on ``ccctl tenant apply``.

Example::

    plugins:
      sms:
        enabled: true
        backend: twilio                    # twilio | console | file (default: twilio if account_sid)
        account_sid: AC0123...
        auth_token: "${VL_TWILIO_TOKEN}"
        from: "+33757000000"               # or messaging_service_sid: MG...
        status_callback_url: https://ccctl.example.fr/t/voyages-lumiere/sms/status
        rate_per_second: 10                # per sender, across every dispatcher; omit for no limit
        max_age: 6h                        # retry an unreachable provider this long, then fail
        quiet_hours: ["22:00-24:00", "00:00-08:00"]   # nothing at all is sent then
        marketing_hours: {mon-sat: ["10:00-20:00"]}   # marketing only then; never on holidays
        templates:
          confirmation:
            fr: "Bonjour {{ name }}, votre rappel est prévu le {{ slot }}."
            en: "Hello {{ name }}, we will call you on {{ slot }}."
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from ccctl.config.model import PluginSection, expand_days, parse_duration, parse_ranges
from ccctl.config.secrets import is_reference

BACKENDS = ("twilio", "console", "file")


def _reference(value: str) -> str:
    if not is_reference(value):
        raise ValueError("must be a reference like ${ENV_VAR} or file:/path, never the token itself")
    return value


SecretRef = Annotated[str, AfterValidator(_reference)]


def _ranges(value: list[str]) -> list[str]:
    # "22:00-08:00" wraps midnight: store it as two ranges so every check is a plain range test.
    out: list[str] = []
    for item in value:
        start, _, end = str(item).replace(" ", "").partition("-")
        if start and end and end < start and end != "24:00":
            out += [f"{start}-24:00", f"00:00-{end}"]
        else:
            out.append(str(item))
    parse_ranges(out)
    return out


class SmsConfig(PluginSection):
    """Settings of the sms plugin for one tenant."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    # Default: twilio when an account is configured, else console (a dry run that prints).
    backend: Literal["twilio", "console", "file"] | None = None
    account_sid: str | None = Field(default=None, pattern=r"^AC[0-9a-fA-F]{32}$")
    auth_token: SecretRef | None = None
    sender: str | None = Field(default=None, alias="from", description="E.164 sender number or alphanumeric id")
    messaging_service_sid: str | None = Field(default=None, pattern=r"^MG[0-9a-fA-F]{32}$")
    api_url: str | None = Field(default=None, description="Twilio API base URL (a local test server)")
    status_callback_url: str | None = None
    file_path: str | None = Field(default=None, description="file backend: JSON lines written here")
    rate_per_second: float | None = Field(default=None, gt=0, le=1000)
    # Retryable errors (timeouts, connection refused, 429, 5xx) back off, doubling up to 15 min, until
    # the message is max_age old (from its first attempt); Twilio itself queues for up to 10 h.
    max_age: Annotated[int, BeforeValidator(parse_duration)] = Field(
        default=360, ge=1, le=7 * 1440, description="minutes, or a duration like 6h or 1d")
    max_attempts: int | None = Field(default=None, ge=1, le=1000, description="also give up after N attempts")
    retry_backoff: float = Field(default=2.0, ge=0, le=3600, description="seconds before the first retry; doubles")
    # How long the provider's message list may lag behind a create: a row left "sending" by a dead
    # dispatcher is reconciled (searched in that list) only once its claim is this old.
    reconcile_after: float = Field(default=10.0, ge=0, le=3600)
    quiet_hours: list[str] = []
    quiet_days: list[str] = []
    marketing_hours: dict[str, list[str]] = Field(default={"mon-sat": ["10:00-20:00"]}, validate_default=True)
    marketing_on_holidays: bool = False
    extra_holidays: list[date] = []
    marketing_footer: str = "STOP au 36173"
    templates: dict[str, dict[str, str]] = {}

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: list[str]) -> list[str]:
        return _ranges(value)

    @field_validator("quiet_days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        return [day for spec in value for day in expand_days(spec)]

    @field_validator("marketing_hours")
    @classmethod
    def _marketing(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for spec, ranges in value.items():
            ranges = _ranges([ranges] if isinstance(ranges, str) else ranges)
            for day in expand_days(spec):
                if day in out:
                    raise ValueError(f"'{day}' is given twice")
                out[day] = ranges
        return out

    @field_validator("templates")
    @classmethod
    def _templates(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        from ccctl_sms.templates import check_template

        for name, by_locale in value.items():
            for locale, text in by_locale.items():
                try:
                    check_template(text)
                except ValueError as exc:
                    raise ValueError(f"template '{name}' ({locale}): {exc}") from None
        return value

    @model_validator(mode="after")
    def _backend_settings(self) -> SmsConfig:
        if self.backend is None:
            self.backend = "twilio" if self.account_sid else "console"
        if self.enabled and self.backend == "twilio":
            missing = [k for k in ("account_sid", "auth_token") if not getattr(self, k)]
            if missing:
                raise ValueError(f"the twilio backend needs {' and '.join(missing)}")
            if not (self.sender or self.messaging_service_sid):
                raise ValueError("the twilio backend needs 'from' or 'messaging_service_sid'")
        return self

    @property
    def sender_key(self) -> str:
        """What the rate limit is counted against: the number or the messaging service."""
        return self.messaging_service_sid or self.sender or self.backend


def sms_config(tenant) -> SmsConfig:
    """The tenant's validated settings (tenant apply validated them; this re-reads the stored dict)."""
    return SmsConfig.model_validate(tenant.plugin_config("sms"))
