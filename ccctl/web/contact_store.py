"""Turning a valid information request into a customer, a history event and a queue item."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from ccctl.context import TenantContext
from ccctl.customers import add_customer, find_or_create, find_or_create_many, owner_of
from ccctl.db.models import ContactPoint, Customer, WorkItem
from ccctl.db.upsert import insert_or_skip
from ccctl.errors import CcctlError
from ccctl.queue.items import create_items
from ccctl.web.contact_form import ContactForm

CHANNEL = "web"


def store_contacts(ctx: TenantContext, submissions: list[tuple[ContactForm, dict[str, Any]]],
                   ) -> list[tuple[WorkItem, bool]]:
    """Store contact-form submissions: [(item, created)] aligned with the (form, request context) pairs.

    Sending the same submission twice (double click, retry) creates nothing new.

    The bulk helpers do it with a few statements whatever the number of forms: customers with
    one query and one INSERT per kind of contact point, items with one INSERT, their "created"
    steps and contact events with one more. A submission id repeated in the batch makes one item.
    """
    customers = customers_for(ctx, [form for form, _context in submissions])
    specs, events = [], []
    for (form, context), customer in zip(submissions, customers):
        attributes = {"referral_code": form.referral_code or None, "page": form.page or None,
                      "form": "contact", **context}
        ref = f"contact:{form.submission_id}"
        specs.append(dict(channel=CHANNEL, subject=f"Information request from {form.name}", body=form.message,
                          customer_id=customer.id, attributes=attributes, external_ref=ref))
        events.append(dict(channel=CHANNEL, customer_id=customer.id, direction="in", external_id=ref, actor=None,
                           summary=f"Contact form: {form.message[:120]}",
                           payload={"name": form.name, "email": form.email_value, "phone": form.phone_value,
                                    "message": form.message, **attributes}))
    return create_items(ctx, specs, history=lambda n, item: [{**events[n], "item_id": item.id}])


def customers_for(ctx: TenantContext, forms: list[ContactForm]) -> list[Customer]:
    """:func:`customer_for` of each form; those giving one contact point are found or made in bulk."""
    single: dict[str, dict[str, str]] = {}  # kind → {value: name}
    for form in forms:
        points = _points(form)
        if len(points) == 1:
            [(kind, value)] = points
            single.setdefault(kind, {}).setdefault(value, form.name)
    found = {kind: find_or_create_many(ctx.session, ctx.tenant, kind, names) for kind, names in single.items()}
    out = []
    for form in forms:
        points = _points(form)
        out.append(found[points[0][0]][points[0][1]] if len(points) == 1 else customer_for(ctx, form))
    return out


def _points(form: ContactForm) -> list[tuple[str, str]]:
    return [(k, v) for k, v in (("email", form.email_value), ("phone", form.phone_value)) if v]


def customer_for(ctx: TenantContext, form: ContactForm) -> Customer:
    """The customer owning the email or else the phone given, created with both if neither is known;
    a contact point nobody owns yet is added to the customer found."""
    session, tenant = ctx.session, ctx.tenant
    points = _points(form)
    owners = {point: owner_of(session, tenant, *point) for point in points}
    customer = next((c for c in owners.values() if c is not None), None)
    if customer is None:
        try:
            with session.begin_nested():
                return add_customer(session, tenant, form.name, emails=[form.email_value or ""],
                                    phones=[form.phone_value or ""])
        except (IntegrityError, CcctlError):  # another writer added one of them meanwhile (PostgreSQL);
            # kept: a customer and its contact points are several rows (see customers.find_or_create)
            customer, _created = find_or_create(session, tenant, *points[0], name=form.name)
    for (kind, value), owner in owners.items():
        if owner is None and owner_of(session, tenant, kind, value) is None:
            # Skipped when it became someone else's meanwhile: duplicates are for `customer duplicates` to find.
            insert_or_skip(session, ContactPoint, dict(tenant_id=tenant.id, customer_id=customer.id, kind=kind,
                                                       value=value),
                           conflict=("tenant_id", "kind", "value"), returning=ContactPoint.id)
    return customer
