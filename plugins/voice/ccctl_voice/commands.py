"""``ccctl voice``: the calls of a tenant, and the case number a customer keys for an item."""

from __future__ import annotations

import click

from ccctl.commands.options import tenant_option
from ccctl.output import emit, emit_object, output_options

CALL_COLUMNS = ["id", "call_sid", "from_number", "state", "outcome", "queue", "agent", "item_id", "case_item_id",
                "wait_seconds", "talk_seconds", "started_at"]


@click.group()
def voice() -> None:
    """Inbound calls: the calls a tenant received, case numbers, the agent's screen pop.

    \b
    Examples:
      ccctl voice calls -t voyages-lumiere --limit 20
      ccctl voice case-number 4711 -t voyages-lumiere      # what the customer keys
    """


@voice.command("calls")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100000))
@tenant_option
@output_options
def calls_cmd(limit, tenant_slug, fmt) -> None:
    """The tenant's latest calls, newest first, with how each ended.

    \b
    Example:
      ccctl voice calls -t voyages-lumiere --format json
    """
    from sqlalchemy import select

    from ccctl.commands.options import tenant_session
    from ccctl_voice.models import VoiceCall

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        calls = session.scalars(select(VoiceCall).where(VoiceCall.tenant_id == tenant.id)
                                .order_by(VoiceCall.started_at.desc(), VoiceCall.id.desc()).limit(limit))
        rows = [{c: getattr(call, c) for c in CALL_COLUMNS} for call in calls]
    emit(rows, CALL_COLUMNS, fmt, tz=tenant.timezone)


@voice.command("case-number")
@click.argument("item_id", type=click.IntRange(1))
@tenant_option
@output_options
def case_number_cmd(item_id, tenant_slug, fmt) -> None:
    """The digits a customer keys on the phone to reach the agent in charge of item ITEM_ID.

    \b
    Example:
      ccctl voice case-number 4711 -t voyages-lumiere
    """
    from ccctl.commands.options import tenant_session
    from ccctl.errors import InputError
    from ccctl.queue.items import get_item
    from ccctl_voice.casenumber import format_case
    from ccctl_voice.config import voice_config

    with tenant_session(tenant_slug, commit=False) as (app, session, tenant):
        item = get_item(app.context(session, tenant), item_id)
        spec = voice_config(tenant).case_number
        try:
            digits = format_case(item.id, spec)
        except ValueError as exc:
            raise InputError(f"tenant {tenant.slug}: {exc} (raise plugins.voice.case_number.digits)") from None
    emit_object({"item": item_id, "case_number": digits}, fmt)
