"""The web pages: sign-in, owners' listings, focal-point review, the public directory."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach health check, sign-in, language switch, public, browse, listing and review pages."""
    from directory.web.auth import bp as auth_bp
    from directory.web.browse import bp as browse_bp
    from directory.web.buyer import bp as buyer_bp
    from directory.web.enquiries import bp as enquiries_bp
    from directory.web.health import bp as health_bp
    from directory.web.i18n import bp as i18n_bp
    from directory.web.listings import bp as listings_bp
    from directory.web.public import bp as public_bp
    from directory.web.review import bp as review_bp
    from directory.web.trust import bp as trust_bp

    for bp in (health_bp, auth_bp, i18n_bp, public_bp, browse_bp, listings_bp, review_bp, trust_bp):
        app.register_blueprint(bp)
    app.register_blueprint(enquiries_bp)
    app.register_blueprint(buyer_bp)
    from directory.web import page_cache
    from directory.web.errors import register_error_pages

    register_error_pages(app)
    page_cache.init_app(app)  # after CSRFProtect, whose csrf_token() it wraps
