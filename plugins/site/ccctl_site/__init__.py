"""ccctl site plugin: a client's web site pushes events in (``POST /t/<tenant>/api/events``),
their context shows on screen, and outbound webhooks push the centre's events out.

Keep module-level imports light: every ccctl start-up imports this module.
"""

from ccctl.hookspecs import hookimpl


@hookimpl
def ccctl_register_config_schema(register):
    from ccctl_site.config import SiteConfig

    register("site", SiteConfig)


@hookimpl
def ccctl_register_migrations(register):
    from pathlib import Path

    register(Path(__file__).parent / "migrations")


@hookimpl
def ccctl_register_routes(register):
    from ccctl_site.web import receive_event

    register("/api/events", receive_event, methods=("POST",), name="site-events")


@hookimpl
def ccctl_register_commands(cli):
    from ccctl_site.commands import register

    register(cli)


@hookimpl
def ccctl_item_created(item, ctx):
    from ccctl_site.outbox import enqueue, item_data

    enqueue(ctx, "item.created", item_data(item))


@hookimpl
def ccctl_item_closed(item, ctx):
    from ccctl_site.outbox import enqueue, item_data

    enqueue(ctx, "item.closed", item_data(item))


@hookimpl
def ccctl_item_assigned(item, agent, ctx):
    from ccctl_site.outbox import enqueue, item_data

    enqueue(ctx, "item.assigned", {**item_data(item), "agent": agent})


@hookimpl
def ccctl_item_answered(item, channel, ctx):
    from ccctl_site.outbox import enqueue, item_data

    enqueue(ctx, "item.answered", {**item_data(item), "answered_on": channel})


@hookimpl
def ccctl_channel_event(name, data, ctx):
    from ccctl_site.config import OUTBOUND_EVENTS
    from ccctl_site.outbox import enqueue

    if name in OUTBOUND_EVENTS:
        enqueue(ctx, name, dict(data))


@hookimpl
def ccctl_customer_context(customer, ctx):
    from ccctl_site.config import site_config
    from ccctl_site.context import site_context

    return site_context(ctx, customer, site_config(ctx.tenant).context_events)


@hookimpl
def ccctl_export_customer(customer, ctx):
    from ccctl_site.privacy import export

    return export(ctx, customer)


@hookimpl
def ccctl_erase_customer(customer, ctx):
    from ccctl_site.privacy import erase

    erase(ctx, customer)


@hookimpl
def ccctl_customer_merged(source, target, ctx):
    from ccctl_site.privacy import merged

    return merged(ctx, source, target)


@hookimpl
def ccctl_customer_unmerged(source, target, moved, ctx):
    from ccctl_site.privacy import unmerged

    unmerged(ctx, source, target, moved)


@hookimpl
def ccctl_retention_kinds(register):
    from ccctl_site.retention import KINDS

    for kind, meaning in KINDS.items():
        register(kind, meaning)


@hookimpl
def ccctl_apply_retention(policy, now, dry_run, ctx):
    from ccctl_site.retention import apply

    return apply(ctx, policy, now, dry_run)
