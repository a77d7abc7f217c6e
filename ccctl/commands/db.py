"""``ccctl db``: schema upgrade, status and (for plugin authors) new migrations."""

from __future__ import annotations

from pathlib import Path

import click


def register(cli: click.Group) -> None:
    cli.add_command(db)


@click.group()
def db() -> None:
    """Database schema (migrations run by themselves on first use)."""


@db.command("upgrade")
@click.pass_obj
def upgrade_cmd(app) -> None:
    """Apply every pending migration of core and loaded plugins."""
    from ccctl.db.engine import make_engine
    from ccctl.db.schema import pending_heads, upgrade

    engine = make_engine(app.database_url)
    pending = pending_heads(engine, app.pm)
    if pending:
        upgrade(engine, app.pm)
    click.echo(f"upgraded ({', '.join(sorted(pending))})" if pending else "already up to date")


@db.command("url")
@click.pass_obj
def url_cmd(app) -> None:
    """Print the database URL in use (password hidden)."""
    from sqlalchemy.engine import make_url

    click.echo(make_url(app.database_url).render_as_string(hide_password=True))


@db.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--rev-id", required=True, help="Revision id, e.g. 0002_queue or sms_0001.")
@click.option("--plugin", "plugin_name", metavar="NAME", default=None,
              help="Only NAME's tables, in NAME's migrations folder, on NAME's branch (plugin authors).")
@click.option("--version-path", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the new file (a plugin's own migrations folder).")
@click.option("--branch", default=None, help="Start a new branch with this label (a plugin's first migration).")
@click.option("--head", default="core@head", show_default=True, help="Parent revision.")
@click.pass_obj
def revision_cmd(app, message, rev_id, plugin_name, version_path, branch, head) -> None:
    """Autogenerate a migration from the models (for developers and plugin authors).

    \b
    Examples:
      ccctl --database-url sqlite:////tmp/x.db db revision --plugin chat -m "chat rooms" --rev-id chat_0002
      ccctl --database-url sqlite:////tmp/x.db db revision -m "agents" --rev-id 0005_agents   # core
    """
    from alembic import command

    if plugin_name:
        if version_path or branch or head != "core@head":
            raise click.UsageError("--plugin chooses the folder, branch and parent itself: drop "
                                   "--version-path/--branch/--head")
        from ccctl.db.revision import plugin_revision

        path = plugin_revision(app, plugin_name, message, rev_id)
        click.echo(f"wrote {path}: read it and tidy it before committing")
        return

    from ccctl.db.engine import make_engine
    from ccctl.db.schema import alembic_config, upgrade

    engine = make_engine(app.database_url)
    upgrade(engine, app.pm)
    cfg = alembic_config(engine, app.pm)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id, head=head,
                         branch_label=branch, version_path=str(version_path) if version_path else None,
                         depends_on="core@head" if branch else None)
