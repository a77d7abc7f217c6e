"""Data protection: a customer's calls are exported and erased (recordings too); a tenant's old
calls go after its retention period (kind ``calls``). Merges move them through ``move_rows``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from ccctl.context import TenantContext
from ccctl_voice.models import VoiceCall
from ccctl_voice.purge import queue_recordings

EXPORTED = ("call_sid", "from_number", "to_number", "state", "outcome", "queue", "agent", "item_id", "case_item_id",
            "partner_code", "wait_seconds", "talk_seconds", "duration_seconds", "recording_sid", "recording_url",
            "recording_seconds")


def _calls(ctx: TenantContext, customer_id: int) -> list[VoiceCall]:
    return list(ctx.session.scalars(select(VoiceCall).where(
        VoiceCall.tenant_id == ctx.tenant.id, VoiceCall.customer_id == customer_id).order_by(VoiceCall.id)))


def export(customer, ctx: TenantContext) -> dict[str, Any] | None:
    calls = _calls(ctx, customer.id)
    if not calls:
        return None
    return {"voice_calls": [
        {**{k: getattr(c, k) for k in EXPORTED},
         **{k: getattr(c, k).isoformat() if getattr(c, k) else None
            for k in ("started_at", "queued_at", "answered_at", "ended_at")}}
        for c in calls]}


def erase(customer, ctx: TenantContext) -> None:
    """Delete the customer's calls (pops go with them); their recordings are queued for deletion at
    Twilio, which ``ccctl voice purge-recordings`` does outside any transaction."""
    _forget(ctx, _calls(ctx, customer.id))


def apply_retention(policy, now, dry_run: bool, ctx: TenantContext) -> dict[str, int] | None:
    """Calls started longer ago than ``policy["calls"]``: deleted like an erasure (or counted)."""
    if "calls" not in policy:
        return None
    calls = list(ctx.session.scalars(select(VoiceCall).where(
        VoiceCall.tenant_id == ctx.tenant.id, VoiceCall.started_at < now - policy["calls"])))
    if not dry_run:
        _forget(ctx, calls)
    return {"calls": len(calls)}


def _forget(ctx: TenantContext, calls: list[VoiceCall]) -> None:
    queue_recordings(ctx.session, ctx.tenant.id, (call.recording_sid for call in calls))
    if calls:
        ctx.session.execute(delete(VoiceCall).where(VoiceCall.tenant_id == ctx.tenant.id,
                                                    VoiceCall.id.in_([c.id for c in calls])))

