"""Typed tenant configuration. Plugins validate their own section (``ccctl_register_config_schema``)."""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ccctl.config.durations import DURATION, parse_duration  # noqa: F401 - its old home; plugins import it here
from ccctl.config.secrets import is_reference, looks_secret
from ccctl.errors import ConfigError
from ccctl.identity.rules import CustomerRules
from ccctl.queue.config import Escalation, RoutingRule, SlaClock, check_rule_queues

if TYPE_CHECKING:  # annotations only: validating stored config (e.g. email ingest) needs no YAML parser
    from ccctl.config.yamlsource import Located

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def expand_days(spec: str) -> list[str]:
    """``mon-fri`` → five days; ``sat`` → one; ``mon,wed`` → two."""
    days: list[str] = []
    for part in spec.lower().split(","):
        part = part.strip()
        if "-" in part:
            start, end = (p.strip() for p in part.split("-", 1))
            if start not in DAYS or end not in DAYS:
                raise ValueError(f"'{spec}' is not a day range like mon-fri")
            i, j = DAYS.index(start), DAYS.index(end)
            if j < i:
                raise ValueError(f"'{spec}': the range runs backwards")
            days.extend(DAYS[i : j + 1])
        elif part in DAYS:
            days.append(part)
        else:
            raise ValueError(f"'{part}' is not a day (use {', '.join(DAYS)})")
    return days


def parse_ranges(value: str | list[str]) -> list[tuple[time, time]]:
    items = [value] if isinstance(value, str) else list(value)
    out = []
    for item in items:
        match = RANGE.match(str(item).replace(" ", ""))
        if not match:
            raise ValueError(f"'{item}' is not a time range like 09:00-18:00")
        h1, m1, h2, m2 = map(int, match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"'{item}' has an impossible time")
        start = time(h1, m1)
        end = time.max if h2 == 24 else time(h2, m2)
        if end <= start:
            raise ValueError(f"'{item}' ends before it starts")
        out.append((start, end))
    out.sort()
    for (_, end), (start, _) in zip(out, out[1:]):
        if start < end:
            raise ValueError(f"time ranges {items} overlap")
    return out


class Queue(Strict):
    name: str = Field(pattern=SLUG)
    description: str = ""
    skills: list[str] = []
    sla: str = "24h"
    priority: int = Field(default=0, ge=-100, le=100)
    # "business": the SLA clock runs only in business hours; "calendar": around the clock.
    sla_clock: SlaClock = "business"
    escalation: Escalation = Escalation()

    @field_validator("sla")
    @classmethod
    def _sla(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def sla_minutes(self) -> int:
        return parse_duration(self.sla)


class Billing(Strict):
    """Rates the outsourcer invoices this client (``ccctl report billing``); money as decimals."""

    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    monthly_fee: Decimal = Field(default=Decimal("0"), ge=0, decimal_places=4)
    # Price of one handled (closed) item, by channel; a channel not named is not billed per item.
    per_item: dict[str, Decimal] = {}
    per_sms_segment: Decimal = Field(default=Decimal("0"), ge=0, decimal_places=4)
    per_callback_minute: Decimal = Field(default=Decimal("0"), ge=0, decimal_places=4)
    # Outcomes not billed as handled (e.g. spam, duplicate).
    free_outcomes: list[str] = []
    # Prices of further usage units reported by plugins through ``ccctl_report_usage``.
    extra: dict[str, Decimal] = {}

    @field_validator("per_item", "extra")
    @classmethod
    def _rates(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for key, rate in value.items():
            if rate < 0:
                raise ValueError(f"rate for '{key}' must not be negative")
            if rate.as_tuple().exponent < -4:
                raise ValueError(f"rate for '{key}' has more than 4 decimal places")
        return value


# What `item close --outcome` accepts when the tenant's YAML names no list of its own.
DEFAULT_OUTCOMES = ["resolved", "info-sent", "sale", "no-answer", "wrong-number", "cancelled", "duplicate", "spam"]


def _period(value: str) -> str:
    from ccctl.retention import parse_period

    parse_period(value)  # ValueError: pydantic reports it at retention.<kind>
    return value


class TenantConfig(Strict):
    tenant: str = Field(pattern=SLUG, description="Short id used on the command line")
    name: str
    timezone: str = "Europe/Paris"
    locale: str = "fr_FR"
    # Further languages public pages may speak, picked from the visitor's Accept-Language (ccctl.i18n).
    languages: list[str] = []
    default_region: str | None = None
    business_hours: dict[str, list[str] | str] = {"mon-fri": ["09:00-18:00"]}
    holidays: str | None = "FR"
    queues: list[Queue] = []
    routing: list[RoutingRule] = []
    plugins: dict[str, dict[str, Any]] = {}
    billing: Billing | None = None
    # How long this client's data is kept, by kind (ccctl.retention; plugins add kinds): {"history": "2y"}.
    retention: dict[str, Annotated[str, AfterValidator(_period)]] = {}
    # The outcomes agents may close items with (billing's free_outcomes should be among them).
    outcomes: list[str] = Field(default_factory=lambda: list(DEFAULT_OUTCOMES), min_length=1)
    customers: CustomerRules | None = None  # matching rules; defaults in docs/customers.md

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}' (use an IANA name like Europe/Paris)") from None
        return value

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if not re.match(r"^[a-z]{2}(_[A-Z]{2})?$", value):
            raise ValueError(f"'{value}' is not a locale like fr_FR or en_GB")
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        from ccctl.i18n import LANGUAGES

        unknown = [lang for lang in value if lang not in LANGUAGES]
        if unknown:
            raise ValueError(f"no catalogue for {', '.join(map(repr, unknown))} (languages: {', '.join(LANGUAGES)})")
        return value

    @field_validator("holidays")
    @classmethod
    def _holidays(cls, value: str | None) -> str | None:
        if value is None:
            return None
        import holidays

        value = value.upper()
        if value not in holidays.list_supported_countries():
            raise ValueError(f"no public-holiday calendar for country '{value}'")
        return value

    @field_validator("business_hours")
    @classmethod
    def _hours(cls, value: dict[str, Any]) -> dict[str, list[str]]:
        normalised: dict[str, list[str]] = {}
        for spec, ranges in value.items():
            parsed = parse_ranges(ranges)
            for day in expand_days(spec):
                if day in normalised:
                    raise ValueError(f"'{day}' is given twice")
                normalised[day] = [f"{a:%H:%M}-{'24:00' if b == time.max else f'{b:%H:%M}'}" for a, b in parsed]
        return {day: normalised[day] for day in DAYS if day in normalised}

    @model_validator(mode="after")
    def _derived(self) -> TenantConfig:
        if not self.default_region:
            self.default_region = self.locale.split("_")[1] if "_" in self.locale else "FR"
        names = [q.name for q in self.queues]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"queue names must be unique: {', '.join(sorted(dupes))}")
        return self

    @field_validator("outcomes")
    @classmethod
    def _outcomes(cls, value: list[str]) -> list[str]:
        from ccctl.queue.closing import OUTCOME

        bad = [o for o in value if not re.match(OUTCOME, o)]
        if bad:
            raise ValueError(f"outcomes must be short lower-case words like resolved or no-answer: {bad[0]!r}")
        if len(set(value)) != len(value):
            raise ValueError("outcomes must not repeat")
        return value

    @field_validator("routing")
    @classmethod
    def _routing(cls, value: list[RoutingRule], info) -> list[RoutingRule]:
        check_rule_queues(value, [q.name for q in info.data.get("queues", [])])
        return value

    @field_validator("queues")
    @classmethod
    def _escalation_targets(cls, value: list[Queue]) -> list[Queue]:
        names = [q.name for q in value]
        for queue in value:
            target = queue.escalation.move_to
            if target is not None and (target not in names or target == queue.name):
                raise ValueError(f"queue '{queue.name}': escalation.move_to '{target}' must be another queue "
                                 f"(queues: {', '.join(names)})")
        return value

    def queue(self, name: str) -> Queue | None:
        return next((q for q in self.queues if q.name == name), None)


class PluginSection(BaseModel):
    """Base for plugin sections: ``enabled`` plus the plugin's own keys."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = False

    @classmethod
    def of(cls, tenant: Any, name: str) -> Any:
        """The tenant's section ``name`` validated into ``cls``, validated once per distinct section:
        a web request or a batch asks for it every time, and the section changes only with
        ``tenant apply``. Keyed by the section's content, so an edited section is never served stale."""
        import json

        section = tenant.plugin_config(name)
        key = (cls, json.dumps(section, sort_keys=True, default=str))
        found = _SECTIONS.get(key)
        if found is None:
            if len(_SECTIONS) > 512:  # many tenants: start over rather than grow without bound
                _SECTIONS.clear()
            found = _SECTIONS[key] = cls.model_validate(section)
        return found


_SECTIONS: dict[tuple, PluginSection] = {}


def _loc_path(loc: tuple, prefix: tuple = ()) -> tuple:
    return prefix + tuple(p for p in loc if not (isinstance(p, str) and "[" in p))


def _raise_first(exc: ValidationError, located: Located, prefix: tuple = ()) -> None:
    err = exc.errors()[0]
    path = _loc_path(err["loc"], prefix)
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key (check its spelling and indentation)"
    elif err["type"] == "missing":
        message = "required key is missing"
    more = len(exc.errors()) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    raise located.error(path, message) from None


def _check_plain_secrets(data: Any, located: Located, path: tuple = ()) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str) and looks_secret(str(key)) and value and not is_reference(value):
                raise located.error(
                    path + (key,),
                    "secrets must not be written in the file: use ${ENV_VAR} or file:/path",
                )
            _check_plain_secrets(value, located, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _check_plain_secrets(value, located, path + (index,))


def _check_hours(located: Located) -> None:
    """Each business-hours line on its own, so that an error names its day key and line."""
    hours = located.data.get("business_hours")
    if not isinstance(hours, dict):
        return  # the model reports the wrong type
    for spec, ranges in hours.items():
        try:
            expand_days(str(spec))
            if not isinstance(ranges, str | list):
                raise ValueError("give a time range like 09:00-18:00, or a list of them")
            parse_ranges(ranges)
        except ValueError as exc:
            raise located.error(("business_hours", str(spec)), str(exc)) from None


def validate_tenant(located: Located, schemas: dict[str, type[BaseModel]],
                    installed: set[str]) -> TenantConfig:
    """Validate one tenant file; plugin sections by the schemas plugins registered."""
    if not isinstance(located.data, dict):
        raise located.error((), "the file must be a mapping with at least 'tenant' and 'name'")
    _check_plain_secrets(located.data, located)
    _check_hours(located)
    try:
        config = TenantConfig.model_validate(located.data)
    except ValidationError as exc:
        _raise_first(exc, located)
    for name, section in list(config.plugins.items()):
        prefix = ("plugins", name)
        if not isinstance(section, dict):
            raise located.error(prefix, "a plugin section must be a mapping with 'enabled'")
        if name not in installed:
            if section.get("enabled"):
                raise located.error(
                    prefix, f"plugin '{name}' is not installed (installed: "
                    f"{', '.join(sorted(installed)) or 'none'}); install it or set enabled: false",
                )
            continue
        model = schemas.get(name, PluginSection)
        try:
            config.plugins[name] = model.model_validate(section).model_dump(mode="json")
        except ValidationError as exc:
            _raise_first(exc, located, prefix)
    return config


def config_error_from(exc: ValidationError, what: str) -> ConfigError:
    err = exc.errors()[0]
    return ConfigError(err["msg"], what, None, ".".join(str(p) for p in err["loc"]))
