"""``smedir serve``: the app under gunicorn, each worker building its own app (and engine)
after the fork."""

from __future__ import annotations

import gc
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from gunicorn.app.base import BaseApplication

from directory.app import create_app
from directory.cli.base import app_engine
from directory.migrations import upgrade_database


class SmedirServer(BaseApplication):
    """A gunicorn application that calls ``create_app`` in every worker."""

    def __init__(self, config: dict[str, Any], options: dict[str, Any]):
        self.smedir_config = config
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """Hand our options to gunicorn's settings."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        """Build the WSGI app (runs in the worker, so no connection is shared across forks).

        What the app holds from here on (modules, templates, the schema, ICU's data) is
        moved out of the cycle collector's full walks with ``gc.freeze``: at 100,000
        listings a full collection walked it for 25-41 ms, and one in about fifteen
        first searches after a change paid that in the request (55-60 ms instead of 18).
        """
        app = create_app(self.smedir_config)
        gc.collect()
        gc.freeze()
        return app


def run_gunicorn(
    config: dict[str, Any], *, host: str, port: int, workers: int, threads: int = 4
) -> None:
    """Serve until stopped (SIGTERM shuts down gracefully).

    Workers are gthread workers: each runs ``threads`` requests at once, so a
    request waiting on the database or a slow client no longer holds the whole
    worker (measured in benchmarks/README.md, "Search").
    """
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread" if threads > 1 else "sync",
        "threads": threads,
        "accesslog": "-",
        "timeout": 60,
        "graceful_timeout": 20,
        "preload_app": False,
    }
    SmedirServer(config, options).run()


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option(
    "--threads", default=4, show_default=True, type=int, help="Threads per worker (gthread)."
)
def serve_command(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the app with gunicorn (a production WSGI server), after migrating the database."""
    upgrade_database(app_engine())
    run_gunicorn(
        current_app.config["SMEDIR"], host=host, port=port, workers=workers, threads=threads
    )
