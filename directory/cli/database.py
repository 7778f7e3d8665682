"""``smedir init``: create the database or migrate it to the current schema."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from directory.cli.base import app_engine
from directory.migrations import upgrade_database


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create the database or migrate it to the current schema."""
    upgrade_database(app_engine())
    click.echo(f"database ready: {app_engine().url.render_as_string(hide_password=True)}")
