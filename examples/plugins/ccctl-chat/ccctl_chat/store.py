"""The chat channel's work, shared by the command and the web route: one message in, one history entry,
one queue item per conversation.  Everything runs in the caller's transaction (``ctx.session``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from ccctl.context import TenantContext
from ccctl.contacts import normalize_email
from ccctl.customers import find_or_create, record_interaction
from ccctl.db.models import Customer, WorkItem
from ccctl.errors import CcctlError, InputError
from ccctl.queue.items import create_item
from ccctl_chat.models import ChatMessage


def settings(ctx: TenantContext) -> dict[str, Any]:
    """The tenant's chat section; refuses a tenant that does not enable the plugin."""
    if "chat" not in ctx.tenant.enabled_plugins():
        raise CcctlError(f"the chat plugin is not enabled for {ctx.tenant.slug} "
                         "(plugins: chat: enabled: true in its YAML)")
    return ctx.tenant.plugin_config("chat")


def receive(ctx: TenantContext, visitor: str, text: str) -> tuple[ChatMessage, bool]:
    """Store a visitor's message: (message, True when it opened a new conversation item).
    A new conversation also queues the tenant's ``alert_sms`` text, if it has one."""
    config = settings(ctx)
    text = text.strip()
    if not text:
        raise InputError("the message is empty")
    if len(text) > int(config.get("max_length") or 2000):
        raise InputError(f"the message is {len(text)} characters long; the limit is {config.get('max_length')}")
    address = normalize_email(visitor)           # InputError (exit 2 / HTTP 400) when it is not one
    customer, _created = find_or_create(ctx.session, ctx.tenant, "email", address)
    open_item = ctx.session.scalar(
        select(ChatMessage.item_id).join(WorkItem, WorkItem.id == ChatMessage.item_id)
        .where(ChatMessage.tenant_id == ctx.tenant.id, ChatMessage.visitor == address,
               ChatMessage.closed.is_(False), WorkItem.state != "closed")
        .order_by(ChatMessage.id.desc()).limit(1))
    opened = open_item is None
    if opened:
        item, _ = create_item(ctx, "chat", subject=text[:80], body=text, customer_id=customer.id,
                              queue=config.get("queue"))
        open_item = item.id
        if config.get("alert_sms"):
            alert(ctx, config["alert_sms"], open_item, address, text)
    message = ChatMessage(tenant_id=ctx.tenant.id, customer_id=customer.id, item_id=open_item,
                          visitor=address, text=text)
    ctx.session.add(message)
    ctx.session.flush()
    record_interaction(ctx.session, ctx.tenant, "chat", customer_id=customer.id, direction="in",
                       summary=text[:200], item_id=open_item, external_id=f"chat:{message.id}",
                       occurred_at=message.received_at)
    return message, opened


def alert(ctx: TenantContext, to: str, item_id: int, visitor: str, text: str) -> int:
    """Queue the team's text through another plugin, by hook (a plugin never imports another): ccctl's
    sms plugin adds it to its outbox in this transaction and ``ccctl sms dispatch`` sends it later, so
    no network call happens here. Returns the outbox id."""
    queued = ctx.hook("ccctl_send_notification")(
        to=to, template="chat_alert", data={"visitor": visitor, "text": text[:100]}, ctx=ctx,
        kind="transactional", idempotency_key=f"chat-alert-{item_id}", send_at=None)
    if queued is None:
        raise CcctlError(f"{ctx.tenant.slug} sets chat.alert_sms but no plugin sends its notifications "
                         "(enable plugins: sms in its YAML, or remove alert_sms)")
    return queued


def messages(ctx: TenantContext, limit: int = 100) -> list[ChatMessage]:
    return list(ctx.session.scalars(select(ChatMessage).where(ChatMessage.tenant_id == ctx.tenant.id)
                                    .order_by(ChatMessage.id.desc()).limit(limit)))


def close_conversation(ctx: TenantContext, item: WorkItem) -> None:
    ctx.session.execute(update(ChatMessage).where(ChatMessage.tenant_id == ctx.tenant.id,
                                                  ChatMessage.item_id == item.id).values(closed=True))


def export_customer(ctx: TenantContext, customer: Customer) -> dict[str, Any] | None:
    rows = ctx.session.scalars(select(ChatMessage).where(ChatMessage.tenant_id == ctx.tenant.id,
                                                         ChatMessage.customer_id == customer.id)
                               .order_by(ChatMessage.id)).all()
    if not rows:
        return None
    return {"messages": [{"at": m.received_at, "visitor": m.visitor, "text": m.text, "item": m.item_id}
                         for m in rows]}


def erase_customer(ctx: TenantContext, customer: Customer) -> None:
    ctx.session.execute(delete(ChatMessage).where(ChatMessage.tenant_id == ctx.tenant.id,
                                                  ChatMessage.customer_id == customer.id))


def move_customer(ctx: TenantContext, source: Customer, target: Customer) -> None:
    ctx.session.execute(update(ChatMessage).where(ChatMessage.tenant_id == ctx.tenant.id,
                                                  ChatMessage.customer_id == source.id)
                        .values(customer_id=target.id))
