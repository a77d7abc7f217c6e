"""What the sms plugin holds about a customer: export it, erase it, follow merges."""

from __future__ import annotations

from sqlalchemy import delete, or_, select, update

from ccctl.context import TenantContext
from ccctl_sms.models import CANCELLED, PENDING, SmsMessage, SmsOptOut


def _phones(customer) -> list[str]:
    return [c.value for c in customer.contacts if c.kind == "phone"]


def _theirs(ctx: TenantContext, customer):
    return (SmsMessage.tenant_id == ctx.tenant.id) & or_(
        SmsMessage.customer_id == customer.id, SmsMessage.to_number.in_(_phones(customer)))


def export(ctx: TenantContext, customer) -> dict | None:
    from ccctl_sms.outbox import message_row

    messages = [message_row(r) for r in ctx.session.scalars(
        select(SmsMessage).where(_theirs(ctx, customer)).order_by(SmsMessage.id))]
    opt_outs = [{"number": o.number, "source": o.source, "since": o.created_at.isoformat()}
                for o in ctx.session.scalars(select(SmsOptOut).where(
                    SmsOptOut.tenant_id == ctx.tenant.id, SmsOptOut.number.in_(_phones(customer))))]
    if not messages and not opt_outs:
        return None
    return {"sms_messages": messages, "sms_opt_outs": opt_outs}


def erase(ctx: TenantContext, customer) -> None:
    """Cancel what is not sent, blank the text and number of every message, drop the opt-outs.

    Rows stay (state, segments and idempotency key) so figures hold and a re-run of a schedule
    file does not send again; the opt-out entry goes with the number, as core's sweep would blank it.
    """
    session = ctx.session
    session.execute(update(SmsMessage).where(_theirs(ctx, customer), SmsMessage.state == PENDING)
                    .values(state=CANCELLED))
    session.execute(update(SmsMessage).where(_theirs(ctx, customer)).values(
        to_number="erased", body="", data={}, customer_id=None, error=None))
    session.execute(delete(SmsOptOut).where(SmsOptOut.tenant_id == ctx.tenant.id,
                                            SmsOptOut.number.in_(_phones(customer))))


def merged(ctx: TenantContext, source, target) -> dict[str, list[int]]:
    from ccctl.identity.merging import move_rows

    return move_rows(ctx.session, ctx.tenant, (SmsMessage,), source.id, target.id)


def unmerged(ctx: TenantContext, source, target, moved) -> None:
    from ccctl.identity.merging import move_rows_back

    move_rows_back(ctx.session, (SmsMessage,), moved, source.id, target.id)
