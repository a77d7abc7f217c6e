"""``ccctl chat``: receive a message by hand (or from a script), list the messages."""

from __future__ import annotations

import click

from ccctl.commands.options import tenant_option, tenant_session
from ccctl.output import emit, emit_object, output_options


@click.group()
def chat() -> None:
    """Website chat (example plugin ccctl-chat).

    \b
    Examples:
      ccctl chat receive lea@example.fr "Mon colis n'est pas arrivé" -t voyages-lumiere
      ccctl chat list -t voyages-lumiere --format json
    """


@chat.command("receive")
@click.argument("visitor")
@click.argument("text")
@tenant_option
@output_options
def receive_cmd(visitor: str, text: str, tenant_slug: str | None, fmt: str | None) -> None:
    """Take a message from VISITOR (an e-mail address): it joins the visitor's open conversation or opens one."""
    from ccctl_chat.store import receive

    with tenant_session(tenant_slug) as (app, session, tenant):
        message, opened = receive(app.context(session, tenant), visitor, text)
        row = {"message": message.id, "item": message.item_id, "customer": message.customer_id,
               "new_conversation": opened}
    emit_object(row, fmt)


@chat.command("list")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1))
@tenant_option
@output_options
def list_cmd(limit: int, tenant_slug: str | None, fmt: str | None) -> None:
    """The latest messages, newest first."""
    from ccctl_chat.store import messages, settings

    with tenant_session(tenant_slug, commit=False) as (app, session, tenant):
        ctx = app.context(session, tenant)
        settings(ctx)
        rows = [{"id": m.id, "at": m.received_at, "visitor": m.visitor, "item": m.item_id,
                 "closed": m.closed, "text": m.text} for m in messages(ctx, limit)]
    emit(rows, ["id", "at", "visitor", "item", "closed", "text"], fmt, tz=tenant.timezone)
