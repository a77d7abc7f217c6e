"""Typed YAML for the queue: routing rules and per-queue escalation (pydantic only, no database)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

COMPARISON = re.compile(r"^\s*(>=|<=|!=|==|>|<|=)\s*(-?\d+(?:\.\d+)?)\s*$")
RULE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str | int | float | bool) else value


def is_comparison(value: Any) -> bool:
    """A string that starts with an operator (``">= 2000"``): a numeric condition, not a value to equal."""
    return isinstance(value, str) and value.lstrip()[:1] in ("<", ">", "=", "!")


def parse_comparison(text: str) -> tuple[str, float]:
    """``">= 1000"`` → (">=", 1000.0); a bare number means equality."""
    match = COMPARISON.match(str(text))
    if not match:
        try:
            return "==", float(text)
        except ValueError:
            raise ValueError(f"'{text}' is not a comparison like '>= 1000' or '< 50'") from None
    op, number = match.groups()
    return {"=": "=="}.get(op, op), float(number)


class RuleMatch(_Strict):
    """Every condition given must hold (an empty match catches everything)."""

    channel: list[str] = Field(default=[], description="Any of these channels (email, sms, callback, web...).")
    keywords: list[str] = Field(default=[], description="Any of these words or phrases in the subject or body "
                                "(case- and accent-insensitive, whole words).")
    customer: dict[str, Any] = Field(default={}, description="Customer attributes: a value or a list of accepted values.")
    attributes: dict[str, Any] = Field(default={}, description="Item attributes (e.g. a referral or partner code, "
                                       "a site event's destination): a value, a list of accepted values, or a "
                                       "numeric comparison like '>= 2000'.")
    numbers: dict[str, list[str]] = Field(default={}, description="Numeric item (else customer) attributes with "
                                          "comparisons, e.g. amount: '>= 1000' or ['>= 100', '< 1000'].")

    @field_validator("channel", "keywords", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("attributes")
    @classmethod
    def _attribute_comparisons(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key, wanted in value.items():
            for one in wanted if isinstance(wanted, list) else [wanted]:
                if is_comparison(one):
                    try:
                        parse_comparison(one)
                    except ValueError as exc:
                        raise ValueError(f"attributes.{key}: {exc}") from None
        return value

    @field_validator("numbers", mode="before")
    @classmethod
    def _numbers(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out = {}
        for key, spec in value.items():
            specs = _as_list(spec)
            if not isinstance(specs, list):
                raise ValueError(f"numbers.{key}: give a comparison like '>= 1000' or a list of them")
            for one in specs:
                parse_comparison(str(one))
            out[key] = [str(s) for s in specs]
        return out


class RoutingRule(_Strict):
    """First matching rule wins: it picks the queue, and may set the priority and add skills."""

    name: str = Field(pattern=RULE_NAME, description="Shown by `ccctl route test` and stored on the item.")
    match: RuleMatch = RuleMatch()
    queue: str
    priority: int | None = Field(default=None, ge=-100, le=100, description="Instead of the queue's priority.")
    skills: list[str] = Field(default=[], description="Skills required on top of the queue's.")


class Escalation(_Strict):
    """What ``ccctl queue escalate`` does to this queue's late items (an open item past due,
    or a scheduled item whose ``not_before`` passed more than ``late_after`` ago)."""

    raise_by: int = Field(default=10, ge=0, le=200, description="Priority added per step.")
    every: str = Field(default="1h", description="Lateness that makes one more step.")
    max_priority: int = Field(default=100, ge=-100, le=300)
    late_after: str = Field(default="30m", description="A scheduled item counts as late this long after not_before.")
    move_to: str | None = Field(default=None, description="Queue that receives the item on its first step.")

    @field_validator("every", "late_after")
    @classmethod
    def _duration(cls, value: str) -> str:
        from ccctl.config.durations import parse_duration

        if parse_duration(value) <= 0:
            raise ValueError(f"'{value}' must be longer than zero")
        return value


SlaClock = Literal["business", "calendar"]


def check_rule_queues(rules: list[RoutingRule], queue_names: list[str]) -> None:
    for index, rule in enumerate(rules):
        if rule.queue not in queue_names:
            raise ValueError(f"routing[{index}] (rule '{rule.name}'): no queue '{rule.queue}' "
                             f"(queues: {', '.join(queue_names) or 'none'})")
    names = [r.name for r in rules]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"rule names must be unique: {', '.join(dupes)}")
