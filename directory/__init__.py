"""The SME directory Flask application. ``create_app(config)`` assembles it."""

from directory.app import create_app

__all__ = ["create_app"]
