"""`ccctl agent` commands (to be filled in)."""

import click


def register(cli: click.Group) -> None:
    """Nothing registered yet."""
