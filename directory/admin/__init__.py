"""The administrator's pages under ``/admin``: users and audit, peer tokens, sync."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach the user, peer-token and sync administration pages."""
    from directory.admin.peers import bp as peers_bp
    from directory.admin.sync import bp as sync_bp
    from directory.admin.users import bp as users_bp

    for bp in (users_bp, peers_bp, sync_bp):
        app.register_blueprint(bp)
