"""Turning a valid information request into a customer, a history event and a queue item."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from ccctl.context import TenantContext
from ccctl.customers import add_customer, find_or_create, owner_of, record_interaction
from ccctl.db.models import ContactPoint, Customer, WorkItem
from ccctl.errors import CcctlError
from ccctl.queue.items import create_item
from ccctl.web.contact_form import ContactForm

CHANNEL = "web"


def store_contact(ctx: TenantContext, form: ContactForm, context: dict[str, Any]) -> tuple[WorkItem, bool]:
    """(item, created); sending the same submission twice (double click, retry) creates nothing new."""
    session, tenant = ctx.session, ctx.tenant
    customer = customer_for(ctx, form)
    attributes = {"referral_code": form.referral_code or None, "page": form.page or None,
                  "form": "contact", **context}
    ref = f"contact:{form.submission_id}"
    item, created = create_item(
        ctx, CHANNEL, subject=f"Information request from {form.name}", body=form.message,
        customer_id=customer.id, attributes=attributes, external_ref=ref,
    )
    if created:
        record_interaction(
            session, tenant, CHANNEL, customer_id=customer.id, direction="in", item_id=item.id,
            summary=f"Contact form: {form.message[:120]}", external_id=ref, actor=None,
            payload={"name": form.name, "email": form.email_value, "phone": form.phone_value,
                     "message": form.message, **attributes},
        )
    return item, created


def customer_for(ctx: TenantContext, form: ContactForm) -> Customer:
    """The customer owning the email or else the phone given, created with both if neither is known;
    a contact point nobody owns yet is added to the customer found."""
    session, tenant = ctx.session, ctx.tenant
    points = [(k, v) for k, v in (("email", form.email_value), ("phone", form.phone_value)) if v]
    owners = {point: owner_of(session, tenant, *point) for point in points}
    customer = next((c for c in owners.values() if c is not None), None)
    if customer is None:
        try:
            with session.begin_nested():
                return add_customer(session, tenant, form.name, emails=[form.email_value or ""],
                                    phones=[form.phone_value or ""])
        except (IntegrityError, CcctlError):  # another writer added one of them meanwhile (PostgreSQL)
            customer, _created = find_or_create(session, tenant, *points[0], name=form.name)
    for (kind, value), owner in owners.items():
        if owner is None and owner_of(session, tenant, kind, value) is None:
            try:
                with session.begin_nested():
                    session.add(ContactPoint(tenant_id=tenant.id, customer_id=customer.id, kind=kind, value=value))
                    session.flush()
            except IntegrityError:
                pass  # someone else's meanwhile: duplicates are for `customer duplicates` to find
    return customer
