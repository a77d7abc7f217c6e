"""The events API's JSON body: one event, validated into :class:`SiteEvent`, or an error naming the field.

    {"id": "evt-8812", "type": "pre_reservation", "occurred_at": "2026-12-06T10:15:00Z",
     "customer": {"email": "anna@example.fr", "phone": "+33612345678", "name": "Anna Petit"},
     "data": {"product": "Circuit Japon", "amount": 2450, "destination": "asie", "departure": "2027-04-02"}}
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from ccctl.contacts import normalize_email, normalize_phone
from ccctl.errors import InputError

EventType = Literal["pre_reservation", "order", "quote", "page_view", "info_request"]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Scalar = Annotated[str, StringConstraints(max_length=500)] | int | float | bool | None
MAX_EXTRA_KEYS = 30


class EventError(ValueError):
    """A body the API refuses: ``field`` is the dotted path of the bad value ("" for the body itself)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field, self.message = field, message


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Person(_Strict):
    """Who the event is about. Besides these, the tenant's external keys (``customers.external_keys``,
    e.g. ``customer_ref``) may be given: they identify the customer first, as in an import."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)
    email: Text | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""

    @model_validator(mode="after")
    def _reachable(self) -> Person:
        for key, value in (self.model_extra or {}).items():
            if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip() \
                    or len(str(value)) > 100:
                raise ValueError(f"{key[:50]} must be a non-empty string or an integer (at most 100 characters)")
        if not (self.email or self.phone or self.model_extra):
            raise ValueError("give an email or a phone, so the customer can be found")
        return self

    def identity_fields(self) -> dict[str, Any]:
        """The fields customer matching reads (``ccctl.identity``), as an import row names them."""
        return {"name": self.name, "email": self.email, "phone": self.phone,
                **{key: str(value).strip() for key, value in (self.model_extra or {}).items()}}


class EventData(_Strict):
    """What the site knows; known keys are typed, a few more scalar keys are kept as they are."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)
    product: Text | None = None
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    amount: float | None = Field(default=None, ge=0, le=10**9, allow_inf_nan=False)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    destination: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000, pattern=r"^https?://\S+$")] | None = None
    title: Text | None = None
    referral: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] | None = None
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] | None = None
    brochure: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None

    @field_validator("amount", mode="before")
    @classmethod
    def _no_bool(cls, value: Any) -> Any:
        if isinstance(value, bool | str):  # "2450" or true would pass as numbers: say so instead
            raise ValueError("must be a JSON number")
        return value

    @model_validator(mode="after")
    def _extra_scalars(self) -> EventData:
        extra = self.model_extra or {}
        if len(extra) > MAX_EXTRA_KEYS:
            raise ValueError(f"at most {MAX_EXTRA_KEYS} extra keys")
        for key, value in extra.items():
            if not isinstance(key, str) or not key.replace("_", "").isalnum() or len(key) > 50:
                raise ValueError(f"key {key[:50]!r} must be letters, digits and _ (at most 50)")
            if not (value is None or isinstance(value, bool | int | float)
                    or (isinstance(value, str) and len(value) <= 500)):
                raise ValueError(f"{key} must be a string (at most 500 characters), a number or a boolean")
        return self


class SiteEvent(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")]
    type: EventType
    occurred_at: datetime | None = None
    customer: Person
    data: EventData = EventData()

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.utcoffset() is None:
            raise ValueError("must carry a time zone, e.g. 2026-12-06T10:15:00Z")
        return value

    @model_validator(mode="after")
    def _needs(self) -> SiteEvent:
        data = self.data
        if self.type == "page_view" and not (data.url or data.product):
            raise ValueError("a page_view needs data.url or data.product")
        if self.type in ("pre_reservation", "order", "quote") and not (data.product or data.reference):
            raise ValueError(f"a {self.type} needs data.product or data.reference")
        return self

    def attributes(self) -> dict[str, Any]:
        """The event's data as item attributes (what routing rules look at), Nones left out."""
        return {"event_type": self.type, **{k: v for k, v in self.data.model_dump().items() if v is not None}}


def parse_event(body: bytes, region: str, external_keys: tuple[str, ...] | list[str] = ("customer_ref",),
                ) -> tuple[SiteEvent, list[tuple[str, str]]]:
    """(event, contact points as (kind, normalised value)); :class:`EventError` naming the field.

    ``external_keys``: the tenant's customer keys (``customers.external_keys``), the only other
    fields ``customer`` may carry."""
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EventError("", f"the body is not JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise EventError("", "the body must be one JSON object")
    try:
        event = SiteEvent.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-"))
        raise EventError(field, first["msg"].removeprefix("Value error, ")) from None
    unknown = [key for key in event.customer.model_extra or {} if key not in external_keys]
    if unknown:
        known = ", ".join(["email", "phone", "name", *external_keys])
        raise EventError(f"customer.{unknown[0][:50]}", f"unknown field (a customer has: {known})")
    points = []
    try:
        if event.customer.email:
            points.append(("email", normalize_email(event.customer.email)))
    except InputError as exc:
        raise EventError("customer.email", str(exc)) from None
    try:
        if event.customer.phone:
            points.append(("phone", normalize_phone(event.customer.phone, region)))
    except InputError as exc:
        raise EventError("customer.phone", str(exc)) from None
    return event, points
