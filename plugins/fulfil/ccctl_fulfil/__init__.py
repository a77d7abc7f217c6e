"""ccctl fulfil plugin: information requests get their brochure (e-mailed through the email plugin's
outbox, or batched for a print house) and a follow-up call some business days later.

Keep module-level imports light: every ccctl start-up imports this module.
"""

from ccctl.hookspecs import hookimpl


@hookimpl
def ccctl_register_config_schema(register):
    from ccctl_fulfil.config import FulfilConfig

    register("fulfil", FulfilConfig)


@hookimpl
def ccctl_register_migrations(register):
    from pathlib import Path

    register(Path(__file__).parent / "migrations")


@hookimpl
def ccctl_register_commands(cli):
    from ccctl_fulfil.commands import fulfil

    cli.add_command(fulfil)


@hookimpl
def ccctl_item_created(item, ctx):
    """A new item: the customer got in touch (pending follow-ups are dropped); an information request
    (a ``brochure`` attribute, a site ``info_request`` or an item routed to the fulfilment queue) is fulfilled."""
    if item.channel == "fulfil":
        return
    from ccctl_fulfil.trigger import on_new_item

    on_new_item(ctx, item)


@hookimpl
def ccctl_customer_contacted(customer_ids, channel, ctx):
    """A mail (even one joining a thread) or a call: the customer got in touch, follow-ups are dropped."""
    from ccctl_fulfil.config import fulfil_config
    from ccctl_fulfil.follow_up import cancel_pending

    cancel_pending(ctx, fulfil_config(ctx.tenant), customer_ids, f"by {channel}")


@hookimpl
def ccctl_item_send(item, what, ctx):
    kind, _, name = what.partition(":")
    if kind != "brochure":
        return None
    from ccctl_fulfil.fulfil import fulfil

    row = fulfil(ctx, item, name.strip())
    return f"brochure {row.document} ({row.language}) by {row.method}; follow-up item {row.follow_up_item_id}"


@hookimpl
def ccctl_contact_form_documents(tenant, language):
    """The contact form offers the tenant's documents that have a file in the form's language."""
    from ccctl_fulfil.config import fulfil_config

    return [{"name": name, "title": document.title, "send_by": document.send_by}
            for name, document in fulfil_config(tenant).documents.items() if language in document.files]


@hookimpl
def ccctl_list_callbacks(state, limit, ctx):
    from ccctl_fulfil.listing import callback_rows

    return callback_rows(ctx, state, limit)


@hookimpl
def ccctl_export_customer(customer, ctx):
    from ccctl_fulfil.privacy import export

    return export(ctx, customer)


@hookimpl
def ccctl_erase_customer(customer, ctx):
    from ccctl_fulfil.privacy import erase

    erase(ctx, customer)


@hookimpl
def ccctl_customer_merged(source, target, ctx):
    from ccctl_fulfil.privacy import merged

    return merged(ctx, source, target)


@hookimpl
def ccctl_customer_unmerged(source, target, moved, ctx):
    from ccctl_fulfil.privacy import unmerged

    unmerged(ctx, source, target, moved)


@hookimpl
def ccctl_retention_kinds(register):
    from ccctl_fulfil.retention import KINDS

    for kind, meaning in KINDS.items():
        register(kind, meaning)


@hookimpl
def ccctl_apply_retention(policy, now, dry_run, ctx):
    from ccctl_fulfil.retention import apply

    return apply(ctx, policy, now, dry_run)


@hookimpl
def ccctl_list_tenant_files(ctx):
    """The brochures the tenant's YAML names (its documents, sent by e-mail or post)."""
    documents = ctx.tenant.plugin_config("fulfil").get("documents") or {}
    return [path for document in documents.values() for path in (document.get("files") or {}).values()]
