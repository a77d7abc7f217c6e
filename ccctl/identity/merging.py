"""Merge two customers with a trace precise enough to undo it (``customer unmerge``), and a dry run."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ccctl.db.models import ContactPoint, CustomerAttribute, CustomerMerge, Interaction, Tenant, WorkItem, utcnow
from ccctl.errors import CcctlError, InputError

MOVED = (("interaction_ids", Interaction), ("work_item_ids", WorkItem), ("attribute_ids", CustomerAttribute))


def merge_plan(session: Session, tenant: Tenant, source_id: int, target_id: int) -> dict[str, Any]:
    """What a merge of ``source_id`` into ``target_id`` would move, and what it would change on the target."""
    from ccctl.customers import get_customer

    if source_id == target_id:
        raise InputError("cannot merge a customer into itself")
    source = get_customer(session, tenant, source_id, follow=False)
    target = get_customer(session, tenant, target_id)
    if source.merged_into_id is not None:
        raise CcctlError(f"customer {source_id} was already merged into {source.merged_into_id}")
    if source.id == target.id:
        raise InputError("cannot merge a customer into itself")
    ids = {name: list(session.scalars(select(model.id).where(model.tenant_id == tenant.id,
                                                             model.customer_id == source.id).order_by(model.id)))
           for name, model in MOVED}
    added = {k: v for k, v in source.attributes.items() if k not in target.attributes}
    differing = {k: {"kept": target.attributes[k], "dropped": v} for k, v in source.attributes.items()
                 if k in target.attributes and target.attributes[k] != v}
    return {"source": source, "target": target, "merged": source.id, "into": target.id,
            "source_name": source.name, "target_name": target.name,
            "contacts": [f"{c.kind}:{c.value}" for c in source.contacts],
            "contact_ids": [c.id for c in source.contacts],
            "interactions": len(ids["interaction_ids"]), "work_items": len(ids["work_item_ids"]),
            "attributes_added": added, "attributes_differing": differing,
            "name_taken": bool(not target.name and source.name), **ids}


def merge(session: Session, tenant: Tenant, source_id: int, target_id: int, actor: str | None = None,
          ctx=None) -> CustomerMerge:
    """Move the source's contact points, history, items and indexed attributes to the target; the
    source stays as a pointer, and the trace records every moved row id so unmerge can undo it."""
    from ccctl.customers import record_interaction

    plan = merge_plan(session, tenant, source_id, target_id)
    source, target = plan.pop("source"), plan.pop("target")
    session.execute(update(ContactPoint).where(ContactPoint.id.in_(plan["contact_ids"]))
                    .values(customer_id=target.id).execution_options(synchronize_session=False))
    for name, model in MOVED:
        if plan[name]:
            session.execute(update(model).where(model.id.in_(plan[name])).values(customer_id=target.id)
                            .execution_options(synchronize_session=False))
    if plan["name_taken"]:
        target.name, target.name_key = source.name, source.name_key
    target.attributes = {**source.attributes, **target.attributes}
    source.merged_into_id = target.id
    session.flush()
    session.expire(source, ["contacts"])
    session.expire(target, ["contacts"])
    trace = CustomerMerge(tenant_id=tenant.id, source_id=source.id, target_id=target.id, actor=actor,
                          details=dict(plan))  # a copy: the JSON column sees the later reassignment as a change
    session.add(trace)
    session.flush()
    if ctx is not None:
        plan["plugins"] = _plugin_moves(ctx, "ccctl_customer_merged", source=source, target=target, ctx=ctx)
        trace.details = dict(plan)
    record_interaction(session, tenant, "system", customer_id=target.id, direction="internal", actor=actor,
                       summary=f"Merged customer {source.id} ({source.name or 'no name'}) into this one "
                               f"(merge {trace.id}; undo: ccctl customer unmerge {trace.id})",
                       payload={"merge": trace.id, "contacts": plan["contacts"]})
    session.flush()
    return trace


def unmerge(session: Session, tenant: Tenant, merge_id: int, actor: str | None = None, ctx=None) -> dict[str, Any]:
    """Undo merge ``merge_id``: the rows it moved (still on the target) go back to the source,
    the attributes it added (still unchanged) leave the target, and the source is a customer again."""
    from ccctl.customers import record_interaction
    from ccctl.db.models import Customer

    trace = session.scalar(select(CustomerMerge).where(CustomerMerge.id == merge_id,
                                                       CustomerMerge.tenant_id == tenant.id))
    if trace is None:
        raise CcctlError(f"no merge {merge_id} for tenant {tenant.slug}")
    if trace.undone_at is not None:
        raise CcctlError(f"merge {merge_id} was already undone on {trace.undone_at:%Y-%m-%d %H:%M} UTC")
    details = trace.details
    if "contact_ids" not in details:
        raise CcctlError(f"merge {merge_id} was made before merges kept enough to be undone; split it by hand")
    source = session.get(Customer, trace.source_id)
    target = session.get(Customer, trace.target_id)
    if source is None or target is None or source.merged_into_id != target.id:
        raise CcctlError(f"merge {merge_id}: customer {trace.source_id} no longer points at {trace.target_id} "
                         "(erased or merged again); nothing undone")
    later = session.scalar(select(CustomerMerge.id).where(
        CustomerMerge.tenant_id == tenant.id, CustomerMerge.source_id == trace.target_id,
        CustomerMerge.undone_at.is_(None), CustomerMerge.id > trace.id))
    if later is not None:
        raise CcctlError(f"customer {trace.target_id} was itself merged later (merge {later}); unmerge that first")
    back = {"contacts": _move_back(session, ContactPoint, details["contact_ids"], target.id, source.id)}
    for name, model in MOVED:
        back[name.removesuffix("_ids") + "s"] = _move_back(session, model, details[name], target.id, source.id)
    attributes = dict(target.attributes)
    for key, value in details.get("attributes_added", {}).items():
        if attributes.get(key) == value:
            del attributes[key]
    target.attributes = attributes
    if details.get("name_taken") and target.name == source.name:
        target.name, target.name_key = "", ""
    source.merged_into_id = None
    trace.undone_at = utcnow()
    session.flush()
    session.expire(source, ["contacts"])
    session.expire(target, ["contacts"])
    if ctx is not None:
        for name, moved in (details.get("plugins") or {}).items():
            _call_one(ctx, "ccctl_customer_unmerged", name, source=source, target=target, moved=moved, ctx=ctx)
    for cid, other in ((source.id, target.id), (target.id, source.id)):
        record_interaction(session, tenant, "system", customer_id=cid, direction="internal", actor=actor,
                           summary=f"Merge {merge_id} undone: customers {source.id} and {target.id} are separate "
                                   f"again (see customer {other})", payload={"unmerge": merge_id, **back})
    session.flush()
    return {"merge": merge_id, "source": source.id, "target": target.id, **back}


def _move_back(session: Session, model, ids: list[int], target_id: int, source_id: int) -> int:
    moved = 0
    for start in range(0, len(ids), 900):
        moved += session.execute(update(model).where(model.id.in_(ids[start:start + 900]),
                                                     model.customer_id == target_id)
                                 .values(customer_id=source_id).execution_options(synchronize_session=False)).rowcount
    return moved


def _plugin_moves(tenant_ctx, hook: str, **kwargs) -> dict[str, Any]:
    """Call ``hook`` plugin by plugin, keeping what each returns (the rows it moved) under its name."""
    from ccctl.plugins import call_hook

    return {name: result for name, result in call_hook(tenant_ctx, hook, **kwargs) if result is not None}


def _call_one(tenant_ctx, hook: str, plugin_name: str, **kwargs) -> None:
    from ccctl.plugins import each_plugin

    for name, call in each_plugin(tenant_ctx, hook):
        if name == plugin_name:
            call(**kwargs)


def move_rows(session: Session, tenant: Tenant, models, source_id: int, target_id: int) -> dict[str, list[int]]:
    """For plugins' ``ccctl_customer_merged``: point ``models``' rows of the source at the target;
    return ``{table: [ids]}`` (what to return from the hook, so an unmerge can move them back)."""
    moved: dict[str, list[int]] = {}
    for model in models:
        ids = list(session.scalars(select(model.id).where(model.tenant_id == tenant.id,
                                                          model.customer_id == source_id)))
        for start in range(0, len(ids), 900):
            session.execute(update(model).where(model.id.in_(ids[start:start + 900])).values(customer_id=target_id)
                            .execution_options(synchronize_session=False))
        moved[model.__tablename__] = ids
    return moved


def move_rows_back(session: Session, models, moved: dict[str, list[int]], source_id: int, target_id: int) -> None:
    """For plugins' ``ccctl_customer_unmerged``: the rows :func:`move_rows` moved go back to the source."""
    for model in models:
        _move_back(session, model, moved.get(model.__tablename__) or [], target_id, source_id)
