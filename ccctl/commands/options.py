"""Options shared by many commands."""

from __future__ import annotations

import contextlib

import click

tenant_option = click.option(
    "--tenant", "-t", "tenant_slug", envvar="CCCTL_TENANT", metavar="SLUG",
    help="Tenant (client) to act for; default: $CCCTL_TENANT or the only tenant.",
)


@contextlib.contextmanager
def tenant_session(slug: str | None, commit: bool = True):
    """Yield (app, session, tenant); commit on success, roll back on any error."""
    with app_session(commit) as (app, session):
        yield app, session, app.tenant(session, slug)


@contextlib.contextmanager
def app_session(commit: bool = True):
    """Yield (app, session) for commands that span tenants."""
    from ccctl.context import App

    app = click.get_current_context().find_object(App)
    with app.transaction(commit) as session:
        yield app, session

# Who acts, for the audit log; resolved by ccctl.audit.current_actor when not given.
actor_option = click.option("--actor", metavar="NAME",
                            help="Who acts (audit log); default $CCCTL_ACTOR, $USER, $LOGNAME or the system user.")
