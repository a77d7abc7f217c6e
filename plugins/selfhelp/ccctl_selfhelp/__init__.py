"""ccctl selfhelp plugin: a per-client FAQ that deflects contacts.

Articles come from a folder of Markdown/YAML files (``ccctl faq sync``), are searched
with stemming in French and English, are suggested on new e-mail and web items, and are
published through ``ccctl serve`` or as a static site (``ccctl faq build``).

Keep module-level imports light: every ccctl start-up imports this module.
"""

from ccctl.hookspecs import hookimpl


@hookimpl
def ccctl_register_config_schema(register):
    from ccctl_selfhelp.config import SelfhelpConfig

    register("selfhelp", SelfhelpConfig)


@hookimpl
def ccctl_register_migrations(register):
    from pathlib import Path

    register(Path(__file__).parent / "migrations")


@hookimpl
def ccctl_register_commands(cli):
    from ccctl_selfhelp.commands import faq

    cli.add_command(faq)


@hookimpl
def ccctl_item_created(item, ctx):
    import logging

    from sqlalchemy.exc import SQLAlchemyError

    from ccctl_selfhelp.suggest import suggest_for_item

    # Suggestions are a help, not a gate: a failure here must not lose the incoming e-mail.
    try:
        with ctx.session.begin_nested():
            suggest_for_item(item, ctx)
    except SQLAlchemyError as exc:
        logging.getLogger("ccctl.selfhelp").warning("no FAQ suggestions for item %s: %s", item.id, exc)


@hookimpl
def ccctl_suggest_answers(item, text, ctx):
    from ccctl_selfhelp.publish import article_url
    from ccctl_selfhelp.search import search

    limit = int(ctx.tenant.plugin_config("selfhelp").get("suggestions") or 3)
    return [{"title": h.title, "url": article_url(ctx.tenant, h.slug), "score": h.score, "slug": h.slug}
            for h in search(ctx.session, ctx.tenant, text, limit=limit)]


@hookimpl
def ccctl_list_self_service_events(start, end, ctx):
    from ccctl_selfhelp.events import deflection_times

    return deflection_times(ctx.session, ctx.tenant, start, end)


@hookimpl
def ccctl_register_routes(register):
    from ccctl_selfhelp.web import routes

    routes(register)
