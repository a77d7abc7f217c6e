"""Right of access and right to erasure: everything held about a person, then none of it.

A *person* is a customer together with every customer merged into it (a merge keeps
the source row as a trace, and that trace still holds a name).

Erasure, in one transaction:

1. every loaded plugin's ``ccctl_erase_customer`` runs, the plugins the tenant
   disabled included: a plugin switched off last month still holds last month's SMS;
2. the person's interactions and work items are kept for the figures (KPIs, billing)
   but emptied of text, detached from the customer, and their payloads keep only
   numbers and a few non-personal keys; merge traces go; contact points and
   customer rows go;
3. a sweep looks for the person's names (any case, accents or not, surname first),
   phones (any spelling that parses to the same number) and emails in every text, JSON
   and binary column of every table of this tenant, plugin tables included, and masks
   what it finds: a note an agent wrote on someone else's item, a search typed into the
   FAQ, a raw mail in quarantine, a plugin that forgot a column. Matching is done in
   Python (:mod:`ccctl.privacy_match`), row by row: SQL's ``lower() LIKE`` misses
   ``ZOÉ`` on SQLite and every phone spelling everywhere. Export lists the same rows
   under ``mentions``, so the person sees everything erasure touches.

On SQLite, ``secure_delete`` zeroes freed space and the WAL is checkpointed after
the commit, so the bytes are gone from the file, not only from query results.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import JSON, LargeBinary, String, Text, UniqueConstraint, delete, false, func, or_, select, update
from sqlalchemy.orm import Session

from ccctl.context import TenantContext
from ccctl.customers import get_customer
from ccctl.db.models import ContactPoint, Customer, CustomerMerge, Interaction, Tenant, WorkItem
from ccctl.errors import CcctlError
from ccctl.plugins import call_hook
from ccctl.privacy_match import Scrubber

ERASED = "[erased]"
# Payload keys whose short string values are figures, not personal data (kept when clean).
KEEP_KEYS = frozenset({"referral", "referral_code", "partner", "partner_code", "ref", "utm_source",
                       "utm_campaign", "kind", "status", "outcome", "direction", "deflected", "segments",
                       "duration_seconds", "minutes", "template"})
# Tables the sweep never touches: no personal data by design, or identity rows erased by id.
SWEEP_SKIP = frozenset({"alembic_version", "tenants", "audit_log", "contact_points"})
# Columns it leaves alone: another customer's own name (a longer name may contain hers).
SWEEP_KEEP_COLUMNS = frozenset({("customers", "name"), ("customers", "name_key")})
SWEEP_BATCH = 1000


def person(session: Session, tenant: Tenant, customer_id: int) -> list[Customer]:
    """The customer ``customer_id`` leads to, then every customer merged into it (any depth)."""
    root = get_customer(session, tenant, customer_id)
    group, frontier = [root], [root.id]
    while frontier:
        children = list(session.scalars(select(Customer).where(
            Customer.tenant_id == tenant.id, Customer.merged_into_id.in_(frontier))))
        children = [c for c in children if c not in group]
        group += children
        frontier = [c.id for c in children]
    return group


def identifiers(tenant: Tenant, customers: Iterable[Customer], names: bool = True) -> Scrubber:
    """What finds the person in free text: their names (unless a namesake shares them), emails, phones."""
    customers = list(customers)
    return Scrubber(
        names=[c.name for c in customers if names and c.name.strip()],
        emails=[p.value for c in customers for p in c.contacts if p.kind == "email"],
        phones=[p.value for c in customers for p in c.contacts if p.kind == "phone"],
        region=tenant.default_region)


def figures_only(payload: dict[str, Any], scrubber: Scrubber) -> dict[str, Any]:
    """What of a payload survives erasure: numbers, booleans and clean whitelisted strings."""
    kept: dict[str, Any] = {}
    for key, value in (payload or {}).items():
        if isinstance(value, bool | int | float):
            kept[key] = value
        elif key in KEEP_KEYS and isinstance(value, str) and len(value) <= 100 and not scrubber.holds(value):
            kept[key] = value
    kept["erased"] = True
    return kept


def history_of(session: Session, tenant: Tenant, ids: list[int]) -> tuple[list[WorkItem], list[Interaction]]:
    """The person's work items, and the interactions that are theirs or on their items (oldest first)."""
    items = list(session.scalars(select(WorkItem).where(
        WorkItem.tenant_id == tenant.id, WorkItem.customer_id.in_(ids)).order_by(WorkItem.id)))
    item_ids = [i.id for i in items]
    interactions = list(session.scalars(select(Interaction).where(
        Interaction.tenant_id == tenant.id,
        or_(Interaction.customer_id.in_(ids), Interaction.item_id.in_(item_ids) if item_ids else false()))
        .order_by(Interaction.occurred_at, Interaction.id)))
    return items, interactions


def _merges_of(ids: list[int], tenant: Tenant):
    return (CustomerMerge.tenant_id == tenant.id) & or_(CustomerMerge.source_id.in_(ids),
                                                        CustomerMerge.target_id.in_(ids))


# --------------------------------------------------------------------------- export


def export_person(ctx: TenantContext, customer_id: int) -> dict[str, Any]:
    """Everything held about the person: core rows and every loaded plugin's part."""
    session, tenant = ctx.session, ctx.tenant
    group = person(session, tenant, customer_id)
    items, interactions = history_of(session, tenant, [c.id for c in group])
    merges = session.scalars(select(CustomerMerge).where(_merges_of([c.id for c in group], tenant))
                             .order_by(CustomerMerge.id))
    own = {("interactions", i.id) for i in interactions} | {("work_items", i.id) for i in items}
    own |= {("customers", c.id) for c in group}
    mentions = [m for m in find_mentions(session, tenant, identifiers(tenant, group)) if (m["table"], m["id"]) not in own]
    return {
        "tenant": tenant.slug,
        "customer": _customer_dict(ctx, group[0]),
        "merged_customers": [_customer_dict(ctx, c) for c in group[1:]],
        "interactions": [_row_dict(i, ("id", "channel", "direction", "occurred_at", "summary", "payload",
                                       "item_id", "external_id", "actor", "customer_id")) for i in interactions],
        "work_items": [_row_dict(i, ("id", "channel", "queue", "state", "subject", "body", "attributes",
                                     "created_at", "due_at", "claimed_by", "closed_at", "outcome",
                                     "external_ref")) for i in items],
        "merges": [_row_dict(m, ("source_id", "target_id", "merged_at", "actor", "details")) for m in merges],
        # Other rows that name the person (someone else's note, a FAQ search, a quarantined mail):
        # what erasure masks in them.
        "mentions": mentions,
    }


def _customer_dict(ctx: TenantContext, customer: Customer) -> dict[str, Any]:
    parts = call_every_plugin(ctx, "ccctl_export_customer", lambda c: {"customer": c}, [customer])
    return {"id": customer.id, "name": customer.name, "created_at": customer.created_at,
            "attributes": customer.attributes, "merged_into": customer.merged_into_id,
            "contacts": [{"kind": c.kind, "value": c.value} for c in customer.contacts],
            # Every loaded plugin's part (None-returning plugins hold nothing about this customer).
            "plugins": {name: part for name, part in sorted(parts, key=lambda p: p[0]) if part is not None}}


def _row_dict(row: Any, columns: tuple[str, ...]) -> dict[str, Any]:
    return {c: getattr(row, c) for c in columns}


# --------------------------------------------------------------------------- erasure


def erase_person(ctx: TenantContext, customer_id: int) -> dict[str, Any]:
    """Erase the person everywhere (see the module docstring); returns counts, never data."""
    session, tenant = ctx.session, ctx.tenant
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA secure_delete = ON")
    group = person(session, tenant, customer_id)
    ids = [c.id for c in group]
    # A namesake (another customer with the same name) keeps their name in free text.
    keys = {c.name_key for c in group if c.name_key}
    namesake = bool(keys) and session.scalar(select(func.count()).select_from(Customer).where(
        Customer.tenant_id == tenant.id, Customer.name_key.in_(keys), Customer.id.not_in(ids))) > 0
    scrubber = identifiers(tenant, group, names=not namesake)
    plugins = sorted({name for name, _ in call_every_plugin(ctx, "ccctl_erase_customer",
                                                             lambda c: {"customer": c}, group)})
    items, interactions = history_of(session, tenant, ids)
    for row in interactions:
        row.summary, row.payload, row.customer_id = ERASED, figures_only(row.payload, scrubber), None
        if row.external_id and scrubber.holds(row.external_id):
            row.external_id = f"erased:{row.id}"
        if row.actor and scrubber.holds(row.actor):  # inbound mail names its sender as the actor
            row.actor = None
    for item in items:
        item.subject, item.body, item.customer_id = ERASED, "", None
        item.attributes = figures_only(item.attributes, scrubber)
        if item.external_ref and scrubber.holds(item.external_ref):
            item.external_ref = f"erased:{item.id}"
    merges = session.execute(delete(CustomerMerge).where(_merges_of(ids, tenant))).rowcount
    session.flush()
    session.execute(delete(ContactPoint).where(ContactPoint.tenant_id == tenant.id,
                                               ContactPoint.customer_id.in_(ids)))
    # Merged rows point at each other: unlink before deleting.
    session.execute(update(Customer).where(Customer.id.in_(ids)).values(merged_into_id=None))
    for customer in group:
        session.expunge(customer)
    session.execute(delete(Customer).where(Customer.tenant_id == tenant.id, Customer.id.in_(ids)))
    swept = sweep(session, tenant, scrubber)
    return {"customers": ids, "interactions": len(interactions), "work_items": len(items), "merges": merges,
            "plugins": plugins, "swept": swept, "name_shared_with_another_customer": namesake}


def _sweep_tables(session: Session):
    """(table, columns to look in, unique column names) for every tenant table the sweep reads."""
    from sqlalchemy import MetaData

    meta = MetaData()
    meta.reflect(session.connection())
    for table in meta.sorted_tables:
        if table.name in SWEEP_SKIP or "tenant_id" not in table.c or not table.primary_key.columns:
            continue
        columns = [c for c in table.c if isinstance(c.type, String | Text | JSON | LargeBinary)
                   and (table.name, c.name) not in SWEEP_KEEP_COLUMNS]
        if not columns:
            continue
        unique = {c.name for con in table.constraints if isinstance(con, UniqueConstraint) for c in con.columns}
        unique |= {c.name for ix in table.indexes if ix.unique for c in ix.columns}
        yield table, columns, unique


def _rows_naming(session: Session, tenant: Tenant, scrubber: Scrubber):
    """(table, columns, unique, row, [columns holding the person]) for each row that names them."""
    if not scrubber:
        return
    session.flush()
    for table, columns, unique in _sweep_tables(session):
        pk = list(table.primary_key.columns)
        query = select(*pk, *columns).where(table.c.tenant_id == tenant.id).order_by(*pk)
        for row in session.execute(query.execution_options(yield_per=SWEEP_BATCH)).mappings():
            holding = [c for c in columns if scrubber.holds(row[c.name])]
            if holding:
                yield table, unique, row, holding


def find_mentions(session: Session, tenant: Tenant, scrubber: Scrubber) -> list[dict[str, Any]]:
    """Every row of this tenant that names the person, with the values that do (for export)."""
    out = []
    for table, _unique, row, holding in _rows_naming(session, tenant, scrubber):
        pk = list(table.primary_key.columns)
        values = {}
        for column in holding:
            value = row[column.name]
            values[column.name] = bytes(value).decode("utf-8", "replace") if isinstance(value, bytes | memoryview) \
                else value
        out.append({"table": table.name, "id": row[pk[0].name], "values": values})
    return out


def sweep(session: Session, tenant: Tenant, scrubber: Scrubber) -> dict[str, int]:
    """Mask the person in every text/JSON/binary column of every table of this tenant: {table: rows}."""
    touched: dict[str, int] = {}
    for table, unique, row, holding in list(_rows_naming(session, tenant, scrubber)):
        pk = list(table.primary_key.columns)
        changes = {}
        for column in holding:
            if column.name in unique:  # a masked value could collide: make it unique
                changes[column.name] = "erased:" + ":".join(str(row[p.name]) for p in pk)
            else:
                changes[column.name] = scrubber.value(row[column.name])
        session.execute(update(table).where(*[p == row[p.name] for p in pk]).values(**changes))
        touched[table.name] = touched.get(table.name, 0) + 1
    return touched


def call_every_plugin(ctx: TenantContext, hook_name: str, kwargs_for, customers: list[Customer]):
    """Call ``hook_name`` for each customer: [(plugin, result)].  Export and erase reach every
    loaded plugin (their specs say so): a plugin switched off today may still hold data."""
    return [pair for customer in customers for pair in call_hook(ctx, hook_name, **kwargs_for(customer))]
