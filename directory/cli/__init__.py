"""The ``smedir`` command line, built on Flask's CLI support (click).

Every command takes ``--config PATH`` (else $SMEDIR_CONFIG, else ./config.toml,
else the embedded default: SQLite under ./instance/), so several nodes can run
side by side from their own config files. One module per command group:
``database`` (init), ``records`` (validate, import, export), ``serve``, ``users``,
``sync`` (sync run/status, scheduler), ``freshness`` (the daily reminders and lapses),
``peers``, ``generate`` (sample records), ``demo`` (a local federation) and
``enquiries`` (deliver, expire, purge).
"""

from __future__ import annotations

import click

from directory.cli.base import SmedirGroup
from directory.cli.database import init_command
from directory.cli.demo import demo_command
from directory.cli.enquiries import enquiries_group
from directory.cli.freshness import freshness_group
from directory.cli.generate import generate_command
from directory.cli.peers import peers_command
from directory.cli.records import export_command, import_command, validate_command
from directory.cli.serve import serve_command
from directory.cli.sync import scheduler_command, sync_group
from directory.cli.users import users_command


@click.group(cls=SmedirGroup)
def cli() -> None:
    """SME directory node: database, records, server, sync."""


for _command in (
    init_command,
    validate_command,
    import_command,
    export_command,
    serve_command,
    users_command,
    sync_group,
    scheduler_command,
    freshness_group,
    peers_command,
    generate_command,
    demo_command,
    enquiries_group,
):
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="smedir")
