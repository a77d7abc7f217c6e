"""``ccctl retention``: apply each client's retention policy (YAML ``retention``) from cron."""

from __future__ import annotations

import click

from ccctl.commands.options import actor_option
from ccctl.output import emit, output_options


def register(cli: click.Group) -> None:
    cli.add_command(retention)


@click.group()
def retention() -> None:
    """Keep each client's data no longer than its contract says (YAML `retention`).

    \b
    Examples:
      ccctl retention kinds
      ccctl retention apply --all-tenants --dry-run
      ccctl retention apply -t voyages-lumiere
    """


@retention.command("kinds")
@output_options
def kinds_cmd(fmt) -> None:
    """The kinds a tenant's `retention` section may name: core's and every loaded plugin's."""
    from ccctl.context import App

    app = click.get_current_context().find_object(App)
    emit([{"kind": k, "deletes": v} for k, v in sorted(app.retention_kinds().items())], ["kind", "deletes"], fmt)


@retention.command("apply")
@click.option("--tenant", "-t", "tenant_slug", envvar="CCCTL_TENANT", metavar="SLUG",
              help="Only this tenant (default: $CCCTL_TENANT; else --all-tenants is needed).")
@click.option("--all-tenants", is_flag=True, help="Every tenant that is not archived.")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing when all went well (cron).")
@actor_option
@output_options
def apply_cmd(tenant_slug, all_tenants, dry_run, quiet, actor, fmt) -> None:
    """Delete what each tenant's policy says is past keeping; one audit line per tenant.

    Each tenant is done in its own transaction: one that fails is named on stderr and the
    others go on; the exit code is then 1.

    \b
    Examples:
      ccctl retention apply --all-tenants --dry-run --format table
      ccctl retention apply --all-tenants --quiet        # from cron, nightly
    """
    from sqlalchemy import select

    from ccctl.context import App
    from ccctl.db.models import Tenant
    from ccctl.errors import CcctlError, InputError

    app = click.get_current_context().find_object(App)
    if not tenant_slug and not all_tenants:
        raise InputError("say which tenants: -t SLUG (or $CCCTL_TENANT) or --all-tenants")
    with app.session() as session:
        slugs = ([app.tenant(session, tenant_slug).slug] if tenant_slug else
                 list(session.scalars(select(Tenant.slug).where(Tenant.archived_at.is_(None)).order_by(Tenant.slug))))
    rows, failed = [], []
    for slug in slugs:
        try:
            rows.extend(_apply_one(app, slug, dry_run, actor))
        except (CcctlError, ValueError) as exc:
            failed.append(slug)
            click.echo(f"tenant {slug}: retention not applied: {exc}", err=True)
    if rows and not (quiet and not failed):
        emit(rows, ["tenant", "kind", "period", "rows", "dry_run"], fmt)
    if failed:
        raise CcctlError(f"retention failed for {len(failed)} tenant(s): {', '.join(failed)}")


def _apply_one(app, slug: str, dry_run: bool, actor) -> list[dict]:
    from ccctl.audit import audit
    from ccctl.db.models import utcnow
    from ccctl.retention import apply_core, policy_of

    kinds = app.retention_kinds()
    with app.transaction(commit=not dry_run) as session:
        tenant = app.tenant(session, slug)
        policy, now = policy_of(tenant, kinds), utcnow()
        if not policy:
            return []
        ctx = app.context(session, tenant)
        done = apply_core(ctx, policy, now, dry_run)
        for found in app.pm.hook.ccctl_apply_retention(policy=policy, now=now, dry_run=dry_run, ctx=ctx):
            done.update(found or {})
        if not dry_run:
            audit(session, tenant.id, actor, "retention.apply", f"tenant:{slug}", done)
    periods = tenant.config.get("retention") or {}
    return [{"tenant": slug, "kind": kind, "period": periods[kind], "rows": done.get(kind, 0), "dry_run": dry_run}
            for kind in sorted(policy)]
