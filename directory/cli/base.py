"""The ``smedir`` command group: the --config option, one-line errors, the app accessors.

Every command takes ``--config PATH`` (else $SMEDIR_CONFIG, else ./config.toml,
else the embedded default: SQLite under ./instance/), so several nodes can run
side by side from their own config files.
"""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup
from sqlalchemy.exc import DBAPIError

from directory.app import create_app
from directory.config import ConfigError, load_config
from directory.context import get_engine, get_node

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
            if schema_missing(exc):
                hint = "a new database, or a new version of smedir: run `smedir init`"
                click.echo(hint, err=True)
            sys.exit(1)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)


#: PostgreSQL SQLSTATEs for a table or column that does not exist
_UNDEFINED = ("42P01", "42703")


def schema_missing(exc: DBAPIError) -> bool:
    """True when a database error says a table or column is missing (not initialised/migrated).

    Only then does "run `smedir init`" help; any other database error (a refused
    value, a lost connection) gets no such hint.
    """
    if getattr(exc.orig, "sqlstate", None) in _UNDEFINED:
        return True
    message = str(exc.orig)
    return message.startswith(("no such table", "no such column"))


def _add_config_option(cmd: click.Command) -> None:
    if not any(p.name == "config_path" for p in cmd.params):
        config_option(cmd)
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            _add_config_option(sub)


def app_engine():
    """The current app's engine (commands run inside an app context)."""

    return get_engine(current_app)


def app_node():
    """The current app's node identity."""

    return get_node(current_app)
