"""``ccctl retention``: apply each client's retention policy (YAML ``retention``) from cron."""

from __future__ import annotations

import click

from ccctl.commands.options import actor_option
from ccctl.cron import cron_command
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
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@actor_option
@output_options
@cron_command("retention apply", explicit=True)
def apply_cmd(app, tenants, run, dry_run, actor, fmt) -> None:
    """Delete what each tenant's policy says is past keeping; one audit line per tenant.

    Each tenant is done in its own transaction: one that fails is named on stderr and the
    others go on; the exit code is then 1. Destructive, so the tenants must be named:
    -t SLUG (or $CCCTL_TENANT) or --all-tenants (every tenant that is not archived).

    \b
    Examples:
      ccctl retention apply --all-tenants --dry-run --format table
      ccctl retention apply --all-tenants --quiet        # from cron, nightly
    """
    found = run.each(tenants, lambda tenant: _apply_one(app, tenant.slug, dry_run, actor))
    rows = [row for tenant_rows in found for row in tenant_rows]
    if rows or run.problems:
        run.emit(rows, ["tenant", "kind", "period", "rows", "dry_run"], fmt)


def _apply_one(app, slug: str, dry_run: bool, actor) -> list[dict]:
    from ccctl.audit import audit
    from ccctl.db.models import utcnow
    from ccctl.plugins import call_hook
    from ccctl.retention import apply_core, policy_of

    kinds = app.retention_kinds()
    with app.transaction(commit=not dry_run) as session:
        tenant = app.tenant(session, slug)
        policy, now = policy_of(tenant, kinds), utcnow()
        if not policy:
            return []
        ctx = app.context(session, tenant)
        done = apply_core(ctx, policy, now, dry_run)
        for _plugin, found in call_hook(ctx, "ccctl_apply_retention", policy=policy, now=now, dry_run=dry_run):
            done.update(found or {})
        if not dry_run:
            audit(session, tenant.id, actor, "retention.apply", f"tenant:{slug}", done)
    periods = tenant.config.get("retention") or {}
    return [{"tenant": slug, "kind": kind, "period": periods[kind], "rows": done.get(kind, 0), "dry_run": dry_run}
            for kind in sorted(policy)]
