"""Sending a document for an information request: e-mailed with the PDF attached (through whichever
plugin answers ``ccctl_send_email``) or put in the postal mailing batch; then the follow-up item."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ccctl.context import TenantContext
from ccctl.contacts import name_key
from ccctl.db.models import WorkItem, utcnow
from ccctl.errors import CcctlError, ConfigError, InputError
from ccctl_fulfil.config import Document, FulfilConfig, fulfil_config
from ccctl_fulfil.models import BATCHED, QUEUED, FulfilRequest

ADDRESS_KEYS = ("address", "address2", "postcode", "city", "country")


def fulfil(ctx: TenantContext, item: WorkItem, name: str, config: FulfilConfig | None = None,
           now: datetime | None = None) -> FulfilRequest:
    """Send document ``name`` to ``item``'s customer (once per item and document) and schedule the
    follow-up (counted from ``now``, default: the current time)."""
    from ccctl.customers import get_customer, record_interaction

    config = config or fulfil_config(ctx.tenant)
    document = config.documents.get(name)
    if document is None:
        known = ", ".join(sorted(config.documents)) or "none"
        raise InputError(f"no document '{name}' in plugins.fulfil.documents of tenant {ctx.tenant.slug} (known: {known})")
    done = ctx.session.scalar(select(FulfilRequest).where(
        FulfilRequest.tenant_id == ctx.tenant.id, FulfilRequest.item_id == item.id, FulfilRequest.document == name))
    if done is not None:
        return done
    if item.customer_id is None:
        raise InputError(f"item {item.id} has no customer to send '{name}' to")
    customer = get_customer(ctx.session, ctx.tenant, item.customer_id)
    attributes = {**(customer.attributes or {}), **(item.attributes or {})}
    language, path = pick_file(document, attributes.get("language"), config.default_language)
    emails = [c.value for c in customer.contacts if c.kind == "email"]
    row = FulfilRequest(tenant_id=ctx.tenant.id, customer_id=customer.id, item_id=item.id, document=name,
                        language=language)
    if document.send_by == "email" and emails:
        row.method, row.state, row.recipient = "email", QUEUED, {"email": emails[0]}
        row.outbox_id = _email(ctx, config, item, document, customer.name, emails[0], path)
        sent = f"{document.title} ({language}) e-mailed to {emails[0]}"
    else:
        address = postal_address(customer.name, attributes)
        if address is None:
            how = "no e-mail address and no" if document.send_by == "email" else "no"
            raise InputError(f"customer {customer.id} has {how} postal address (address, postcode, city) "
                             f"to send '{name}' to")
        row.method, row.state, row.recipient = "post", BATCHED, address
        sent = f"{document.title} ({language}) added to the postal mailing batch"
    ctx.session.add(row)
    ctx.session.flush()
    record_interaction(ctx.session, ctx.tenant, "fulfil", customer_id=customer.id, direction="out", item_id=item.id,
                       summary=f"Brochure {sent}", external_id=f"request:{row.id}", actor=ctx.actor,
                       payload={"document": name, "language": language, "method": row.method, "file": path.name})
    from ccctl_fulfil.follow_up import schedule

    row.follow_up_item_id = schedule(ctx, config, item, sent, row.id, now or utcnow())
    return row


def pick_file(document: Document, wanted: str | None, default: str) -> tuple[str, Path]:
    """(language, path): the customer's language, else the tenant's default, else the first listed."""
    for language in (str(wanted or "")[:2].lower(), default, *document.files):
        if language in document.files:
            path = Path(document.files[language]).expanduser()
            if not path.is_file():
                raise ConfigError(f"plugins.fulfil.documents: {path} ({document.title}, {language}) is not a file")
            return language, path
    raise ConfigError(f"plugins.fulfil.documents: {document.title} has no file")  # files is never empty


def postal_address(name: str, attributes: dict[str, Any]) -> dict[str, str] | None:
    found = {key: " ".join(str(attributes.get(key) or "").split()) for key in ADDRESS_KEYS}
    if not (found["address"] and found["postcode"] and found["city"]):
        return None
    return {"name": name, **found}


def _email(ctx: TenantContext, config: FulfilConfig, item: WorkItem, document: Document, name: str, to: str,
           path: Path) -> int:
    from ccctl_fulfil.render import render

    data = {"name": name or "", "title": document.title, "item": item.id}
    outbox_id = ctx.hook("ccctl_send_email")(
        item=item, to=to, subject=render(config.email.subject, data), body=render(config.email.body_for(ctx.tenant.config.get("locale")), data),
        attachments=[(path.name, path.read_bytes(), "application/pdf")], kind="brochure", ctx=ctx)
    if outbox_id is None:
        raise CcctlError(f"tenant {ctx.tenant.slug}: no plugin sends e-mail (enable email with an smtp section)")
    return outbox_id


def matching_document(config: FulfilConfig, item: WorkItem) -> str | None:
    """The document an information request names: its ``brochure`` attribute, else a product of a
    document found in its ``product`` attribute, subject or body (whole words, accents ignored)."""
    attributes = item.attributes or {}
    if attributes.get("brochure"):
        return str(attributes["brochure"])
    text = f" {name_key(str(attributes.get('product') or ''))} {name_key(item.subject)} {name_key(item.body)} "
    for name, document in config.documents.items():
        if any(f" {name_key(product)} " in text for product in document.products if name_key(product)):
            return name
    return None
