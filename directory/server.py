"""Run the app under gunicorn, each worker building its own app (and engine) after the fork."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


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
        """Build the WSGI app (runs in the worker, so no connection is shared across forks)."""
        from directory.app import create_app

        return create_app(self.smedir_config)


def run_gunicorn(config: dict[str, Any], *, host: str, port: int, workers: int) -> None:
    """Serve until stopped (SIGTERM shuts down gracefully)."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "accesslog": "-",
        "timeout": 60,
        "graceful_timeout": 20,
        "preload_app": False,
    }
    SmedirServer(config, options).run()
