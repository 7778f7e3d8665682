"""The ``smedir`` command line, built on Flask's CLI support (click).

Every command takes ``--config PATH`` (else $SMEDIR_CONFIG, else ./config.toml,
else the embedded default: SQLite under ./instance/), so several nodes can run
side by side from their own config files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import DBAPIError

from directory.config import ConfigError, load_config

CONFIG_KEY = "smedir_config_path"


def _remember_config(ctx: click.Context, _param, value):
    if value is not None:
        ctx.find_root().meta[CONFIG_KEY] = value
    return value


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    expose_value=False,
    is_eager=True,
    callback=_remember_config,
    help="Config file (default: $SMEDIR_CONFIG, else ./config.toml, else built-in defaults).",
)


def _make_app() -> Flask:
    from directory.app import create_app

    ctx = click.get_current_context(silent=True)
    path = ctx.find_root().meta.get(CONFIG_KEY) if ctx else None
    return create_app(load_config(path))


class SmedirGroup(FlaskGroup):
    """A FlaskGroup whose commands all take --config and report config errors in one line."""

    def __init__(self, **kwargs):
        super().__init__(
            create_app=_make_app,
            add_default_commands=False,
            add_version_option=False,
            load_dotenv=False,
            set_debug_flag=False,
            **kwargs,
        )

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        """Register a command (and its subcommands) with the --config option."""
        _add_config_option(cmd)
        super().add_command(cmd, name)

    def main(self, *args, **kwargs):
        """Run, turning a ConfigError into one clear line and exit status 2."""
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except ConfigError as exc:
            click.echo(f"config error: {exc}", err=True)
            sys.exit(2)
        except DBAPIError as exc:
            first_line = str(exc.orig).strip().splitlines()[0]
            click.echo(f"database error: {first_line}", err=True)
            click.echo("a new database, or a new version of smedir: run `smedir init`", err=True)
            sys.exit(1)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)


def _add_config_option(cmd: click.Command) -> None:
    if not any(p.name == "config_path" for p in cmd.params):
        config_option(cmd)
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            _add_config_option(sub)


@click.group(cls=SmedirGroup)
def cli() -> None:
    """SME directory node: database, records, server, sync."""


def app_engine():
    """The current app's engine (commands run inside an app context)."""
    from directory.app import get_engine

    return get_engine(current_app)


def app_node():
    """The current app's node identity."""
    from directory.app import get_node

    return get_node(current_app)


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create the database or migrate it to the current schema."""
    from directory.migrate import upgrade_database

    upgrade_database(app_engine())
    click.echo(f"database ready: {app_engine().url.render_as_string(hide_password=True)}")


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def validate_command(files: tuple[str, ...]) -> None:
    """Validate record files (JSON, JSON Lines, CSV); print file:line path message per error."""
    from directory.fileformats import read_items
    from schemas import validate

    bad = total = 0
    for path in files:
        for item in read_items(path):
            total += 1
            if item.error:
                issues = [("", item.error)]
            else:
                issues = [(i.path, i.message) for i in validate(item.document, item.schema_kind)]
            for pointer, message in issues:
                click.echo(f"{path}:{item.line} {pointer or '/'} {message}")
            bad += bool(issues)
    click.echo(f"{total - bad} valid, {bad} invalid", err=True)
    sys.exit(1 if bad else 0)


@click.command("import")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--review", is_flag=True, help="Send records to the review queue, not publish.")
@click.option("--rejects", type=click.Path(dir_okay=False), help="Where to write invalid records.")
@click.option("--batch-size", default=500, show_default=True)
def import_command(file: str, review: bool, rejects: str | None, batch_size: int) -> None:
    """Bulk-load records from JSON Lines or CSV; invalid ones go to a rejects file."""
    from directory.importing import run_import
    from sync.outcomes import Outcome

    rejects_path = Path(rejects or f"{file}.rejects.jsonl")
    counts = run_import(
        app_engine(), app_node(), Path(file), rejects_path, review=review, batch_size=batch_size
    )
    summary = ", ".join(f"{o.value} {counts[o.value]}" for o in Outcome if counts[o.value])
    click.echo(f"{file}: {summary or 'nothing to import'}")
    if counts.get("rejected"):
        click.echo(f"rejected records written to {rejects_path}", err=True)
        sys.exit(1)


@click.command("export")
@with_appcontext
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default="-")
@click.option("--include-deleted", is_flag=True, help="Also export tombstones.")
def export_command(fmt: str, output: str, include_deleted: bool) -> None:
    """Write published records as JSON Lines (canonical JSON) or CSV."""
    from directory.db import new_session
    from directory.fileformats import write_csv, write_jsonl
    from directory.services.bulk import iter_published

    with (
        click.open_file(output, "w", encoding="utf-8") as out,
        new_session(app_engine()) as session,
    ):
        texts = iter_published(session, include_deleted=include_deleted)
        if fmt == "jsonl":
            count = write_jsonl(texts, out)
        else:
            count = write_csv((json.loads(t) for t in texts), out)
    click.echo(f"exported {count} records", err=True)


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
def serve_command(host: str, port: int, workers: int) -> None:
    """Serve the app with gunicorn (a production WSGI server), after migrating the database."""
    from directory.migrate import upgrade_database
    from directory.server import run_gunicorn

    upgrade_database(app_engine())
    run_gunicorn(current_app.config["SMEDIR"], host=host, port=port, workers=workers)


for _command in (init_command, validate_command, import_command, export_command, serve_command):
    cli.add_command(_command)

from directory.cli_users import users_command  # noqa: E402  (after cli, which it extends)

cli.add_command(users_command)

from directory.cli_sync import scheduler_command, sync_group  # noqa: E402

cli.add_command(sync_group)
cli.add_command(scheduler_command)

from directory.cli_peers import peers_command  # noqa: E402

cli.add_command(peers_command)

from directory.cli_generate import generate_command  # noqa: E402

cli.add_command(generate_command)

from directory.cli_demo import demo_command  # noqa: E402

cli.add_command(demo_command)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="smedir")
