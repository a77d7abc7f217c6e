"""``ccctl route test``: which routing rule takes a sample item, and why the others do not."""

from __future__ import annotations

import click

from ccctl.commands.options import tenant_option
from ccctl.output import emit_object, output_options


def register(cli: click.Group) -> None:
    cli.add_command(route)


@click.group()
def route() -> None:
    """Routing rules (the `routing` list of the tenant YAML)."""


def _pairs(values, what: str) -> dict:
    import json

    from ccctl.errors import InputError

    out = {}
    for value in values:
        key, sep, raw = value.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{what} '{value}' must look like key=value")
        try:
            out[key.strip()] = json.loads(raw)
        except ValueError:
            out[key.strip()] = raw
    return out


def _sample_from_json(source) -> dict:
    import json

    from ccctl.errors import InputError

    try:
        data = json.load(source)
    except ValueError as exc:
        raise InputError(f"{source.name}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{source.name}: give one JSON object (channel, subject, body, attributes, customer...)")
    unknown = set(data) - {"channel", "subject", "body", "attributes", "customer", "customer_id"}
    if unknown:
        raise InputError(f"{source.name}: unknown key(s) {', '.join(sorted(unknown))}")
    return data


@route.command("test")
@click.option("--channel", default=None, help="email, sms, callback, web... (default: email)")
@click.option("--subject", default=None)
@click.option("--body", default=None)
@click.option("--attr", "attrs", multiple=True, metavar="KEY=VALUE", help="Item attribute (repeatable), e.g. amount=1500.")
@click.option("--customer", "customer_id", type=int, help="Take customer attributes from this customer.")
@click.option("--customer-attr", "customer_attrs", multiple=True, metavar="KEY=VALUE",
              help="Customer attribute (repeatable), e.g. segment=gold.")
@click.option("--json", "json_file", type=click.File("r"), metavar="FILE",
              help="The sample as a JSON object ('-' for stdin); options given as well win.")
@tenant_option
@output_options
def test_cmd(channel, subject, body, attrs, customer_id, customer_attrs, json_file, tenant_slug, fmt) -> None:
    """Show which rule routes a sample item, the queue, priority, skills and due time it would get.

    \b
    Examples:
      ccctl route test -t voyages-lumiere --channel email --subject "Remboursement" --attr amount=1500
      echo '{"channel": "web", "attributes": {"partner": "ACME"}}' | ccctl route test --json -
    """
    from ccctl.commands.options import tenant_session
    from ccctl.customers import get_customer
    from ccctl.db.models import utcnow
    from ccctl.queue.items import queue_spec
    from ccctl.queue.routing import Sample, explain, parse_rules, route as pick
    from ccctl.queue.skills import normalise
    from ccctl.queue.sla import due_at

    data = _sample_from_json(json_file) if json_file else {}
    with tenant_session(tenant_slug, commit=False) as (app, session, tenant):
        customer = dict(data.get("customer") or {})
        customer_id = customer_id or data.get("customer_id")
        if customer_id:
            customer = {**get_customer(session, tenant, int(customer_id)).attributes, **customer}
        customer.update(_pairs(customer_attrs, "--customer-attr"))
        sample = Sample(channel or data.get("channel") or "email", subject or data.get("subject") or "",
                        body or data.get("body") or "", {**(data.get("attributes") or {}), **_pairs(attrs, "--attr")},
                        customer)
        rules = parse_rules(tenant.config)
        decision = pick(rules, tenant.config.get("queues") or [], sample)
        spec = queue_spec(app.context(session, tenant), decision.queue)
        record = {
            "tenant": tenant.slug, "rule": decision.rule or "(none: first queue)", "queue": decision.queue,
            "priority": spec.get("priority", 0) if decision.priority is None else decision.priority,
            "skills": normalise([*spec.get("skills", []), *decision.skills]),
            "due_at_if_now": due_at(utcnow(), spec, tenant.config),
            "rules": explain(rules, sample),
        }
    emit_object(record, fmt)
