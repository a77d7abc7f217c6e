"""Routing rules: the first rule whose every condition holds picks the queue (pure functions)."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

from ccctl.contacts import name_key
from ccctl.queue.config import RoutingRule, is_comparison, parse_comparison

OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq,
       "!=": operator.ne}


@dataclass
class Sample:
    """What routing looks at: the item's fields and its customer's attributes."""

    channel: str
    subject: str = ""
    body: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    customer: dict[str, Any] = field(default_factory=dict)


@dataclass
class Decision:
    rule: str | None  # None: no rule matched, the tenant's first queue was used
    queue: str
    priority: int | None = None
    skills: list[str] = field(default_factory=list)


def _same(actual: Any, wanted: Any) -> bool:
    if isinstance(wanted, str) or isinstance(actual, str):
        return str(actual).strip().casefold() == str(wanted).strip().casefold()
    return actual == wanted


def _accepts(actual: Any, wanted: Any) -> bool:
    choices = wanted if isinstance(wanted, list) else [wanted]
    return any(_compares(actual, choice) if is_comparison(choice) else _same(actual, choice) for choice in choices)


def _compares(actual: Any, text: str) -> bool:
    """``actual`` is a number that satisfies comparison ``text`` (a non-number never does)."""
    number = as_number(actual)
    if number is None:
        return False
    op, bound = parse_comparison(text)
    return OPS[op](number, bound)


def as_number(value: Any) -> float | None:
    """1200, "1200", "1 200,50" → a float; anything else → None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def why_not(rule: RoutingRule, sample: Sample) -> str | None:
    """None when ``rule`` matches ``sample``, else the first condition that fails."""
    match = rule.match
    if match.channel and sample.channel not in match.channel:
        return f"channel is {sample.channel}, not {'/'.join(match.channel)}"
    if match.keywords:
        text = f" {name_key(sample.subject)} {name_key(sample.body)} "
        if not any(f" {name_key(word)} " in text for word in match.keywords):
            return f"none of the keywords {match.keywords} in subject or body"
    for where, wanted_map, actual_map in (("customer", match.customer, sample.customer),
                                          ("attribute", match.attributes, sample.attributes)):
        for key, wanted in wanted_map.items():
            if key not in actual_map:
                return f"{where} {key} is missing"
            if not _accepts(actual_map[key], wanted):
                verb = "fails" if is_comparison(wanted) else "not"
                return f"{where} {key} is {actual_map[key]!r}, {verb} {wanted!r}"
    for key, comparisons in match.numbers.items():
        raw = sample.attributes.get(key, sample.customer.get(key))
        number = as_number(raw)
        if number is None:
            return f"{key} is {'missing' if raw is None else f'not a number ({raw!r})'}"
        for text in comparisons:
            op, bound = parse_comparison(text)
            if not OPS[op](number, bound):
                return f"{key} = {raw} fails {text}"
    return None


def parse_rules(config: dict[str, Any]) -> list[RoutingRule]:
    return [RoutingRule.model_validate(rule) for rule in config.get("routing") or []]


def needs_customer(rules: list[RoutingRule]) -> bool:
    return any(rule.match.customer or rule.match.numbers for rule in rules)


def route(rules: list[RoutingRule], queues: list[dict[str, Any]], sample: Sample) -> Decision:
    """The first matching rule's decision, else the first queue with its own settings."""
    for rule in rules:
        if why_not(rule, sample) is None:
            return Decision(rule.name, rule.queue, rule.priority, list(rule.skills))
    if not queues:
        raise LookupError("no queue")
    return Decision(None, queues[0]["name"])


def explain(rules: list[RoutingRule], sample: Sample) -> list[dict[str, Any]]:
    """One row per rule, in order: does it match, and if not, why."""
    rows, chosen = [], False
    for rule in rules:
        reason = why_not(rule, sample)
        rows.append({"rule": rule.name, "queue": rule.queue, "matches": reason is None,
                     "chosen": reason is None and not chosen, "why_not": reason or ""})
        chosen = chosen or reason is None
    return rows
