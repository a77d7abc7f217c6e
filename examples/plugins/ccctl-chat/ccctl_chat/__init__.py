"""ccctl-chat: a website chat channel, as a third-party plugin.

Only click and ccctl.hookspecs are imported here: `ccctl --help` loads every plugin, and
operators call ccctl in loops.  Everything heavier is imported inside the hooks.
"""

from __future__ import annotations

from ccctl.hookspecs import hookimpl


@hookimpl
def ccctl_register_config_schema(register):
    from ccctl_chat.config import ChatConfig

    register("chat", ChatConfig)


@hookimpl
def ccctl_register_migrations(register):
    from pathlib import Path

    register(Path(__file__).parent / "migrations")


@hookimpl
def ccctl_register_commands(cli):
    from ccctl_chat.commands import chat

    cli.add_command(chat)


@hookimpl
def ccctl_register_routes(register):
    from ccctl_chat.web import receive_message

    register("/chat/messages", receive_message, methods=("POST",), name="chat-messages")


@hookimpl
def ccctl_item_closed(item, ctx):
    """An agent closed a chat item: the conversation is over (the next message opens a new one)."""
    if item.channel == "chat":
        from ccctl_chat.store import close_conversation

        close_conversation(ctx, item)


@hookimpl
def ccctl_export_customer(customer, ctx):
    from ccctl_chat.store import export_customer

    return export_customer(ctx, customer)


@hookimpl
def ccctl_erase_customer(customer, ctx):
    from ccctl_chat.store import erase_customer

    erase_customer(ctx, customer)


@hookimpl
def ccctl_customer_merged(source, target, ctx):
    from ccctl_chat.store import move_customer

    move_customer(ctx, source, target)
