"""Security headers on every response: a strict Content-Security-Policy and its companions.

The policy allows scripts, styles, images and fonts from this site only: no inline
script or style, no ``eval``, no plugins, no ``<base>`` rewriting, forms posting only
here, and no framing by anyone (``frame-ancestors 'none'`` plus ``X-Frame-Options:
DENY`` for older browsers), so review and admin forms cannot be clickjacked. A
template that really needs an inline ``<script>`` or ``<style>`` calls
``csp_nonce()`` and puts the value in the element's ``nonce`` attribute; the nonce,
fresh for each response, is then added to the policy of that response only. The
map's tile server (``map.tile_url``), when configured, is the one other image source.
"""

from __future__ import annotations

import functools
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, g

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """This response's nonce for an inline script or style (created on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


@functools.lru_cache(maxsize=8)
def tile_source(tile_url: str) -> str | None:
    """The CSP source of a map tile server URL template (``{s}.`` subdomains as ``*.``)."""
    parts = urlsplit(tile_url)
    host = parts.netloc.replace("{s}", "*")
    if parts.scheme not in ("http", "https") or not host or "{" in host:
        return None
    return f"{parts.scheme}://{host}"


def content_security_policy(nonce: str | None = None, images: str | None = None) -> str:
    """The policy text, with ``nonce`` allowed for scripts and styles when given, and
    ``images`` (the configured map tile server) as a further image source."""
    policy = dict(POLICY)
    if images:
        policy["img-src"] += f" {images}"
    if nonce:
        for directive in ("script-src", "style-src"):
            policy[directive] += f" 'nonce-{nonce}'"
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def init_app(app: Flask) -> None:
    """Set the headers on every response of ``app`` (HSTS too when running in production)."""
    production = app.config["SMEDIR"]["security"]["production"]
    app.add_template_global(csp_nonce)

    @app.after_request
    def _set_headers(response: Response) -> Response:
        # read per response (cached per URL), as the map template reads the same key
        tiles = tile_source(app.config["SMEDIR"].get("map", {}).get("tile_url", ""))
        policy = content_security_policy(g.get("csp_nonce"), tiles)
        response.headers.setdefault("Content-Security-Policy", policy)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if production:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
