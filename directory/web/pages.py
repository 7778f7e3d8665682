"""Registers the listing, review and public pages and the language switch."""

from __future__ import annotations

from flask import Flask


def register_pages(app: Flask) -> None:
    """Attach the owner, focal-point and visitor pages to ``app``."""
    from directory.web.i18n import bp as i18n_bp
    from directory.web.listings import bp as listings_bp
    from directory.web.public import bp as public_bp
    from directory.web.review import bp as review_bp

    for bp in (i18n_bp, public_bp, listings_bp, review_bp):
        app.register_blueprint(bp)
