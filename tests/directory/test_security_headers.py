"""Issue 10.3: every response carries a strict Content-Security-Policy, nosniff, no framing and
a Referrer-Policy: pages, errors, static files, the JSON API, OAI-PMH, redirects."""

from __future__ import annotations

import re
import secrets

import pytest

from directory.models import Role
from directory.web.security_headers import content_security_policy
from tests.conftest import load_example
from tests.directory.exchange_fixtures import PEERS, engine_of
from tests.directory.pages_helpers import pending_listing, signed_in

RICE = load_example("battambang-rice-mill")


@pytest.fixture
def app(app_factory, db_url):
    app = app_factory(db_url, peers=PEERS)
    yield app
    engine_of(app).dispose()


def _assert_headers(response, url: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives.get("frame-ancestors") == "'none'", url
    assert directives.get("object-src") == "'none'" and directives.get("base-uri") == "'none'"
    for name in ("default-src", "script-src", "style-src"):
        assert "'unsafe-inline'" not in directives[name] and "'unsafe-eval'" not in directives[name]
        assert directives[name].startswith("'self'"), (url, name)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", url
    assert response.headers.get("X-Frame-Options") == "DENY", url
    assert response.headers.get("Referrer-Policy") == "same-origin", url


def test_every_kind_of_response_carries_the_headers(app):
    _, owner = signed_in(app)
    _, rev_id = pending_listing(app, owner, RICE)
    anonymous = app.test_client()
    reviewer, _ = signed_in(app, Role.FOCAL_POINT, "KH")
    admin, _ = signed_in(app, Role.ADMIN)
    requests = [
        (anonymous, "/"),
        (anonymous, "/login"),
        (anonymous, "/signup"),
        (anonymous, "/no/such/page"),
        (anonymous, "/static/style.css"),
        (anonymous, "/my/listings"),  # a redirect to sign in
        (anonymous, "/api/v1/listings"),
        (anonymous, "/api/v1/no-such"),
        (anonymous, "/api/openapi.json"),
        (anonymous, "/oai?verb=Identify"),
        (anonymous, "/healthz"),
        (reviewer, "/review"),
        (reviewer, f"/review/{rev_id}"),
        (admin, "/admin/users"),
        (admin, "/admin/audit"),
        (admin, "/admin/tokens"),
    ]
    for client, url in requests:
        response = client.get(url)
        assert response.status_code < 500, url
        _assert_headers(response, url)
    post = anonymous.post("/login", data={"email": "x", "password": "y"})  # no CSRF token: 400
    _assert_headers(post, "POST /login")


def test_no_page_has_inline_script_or_style(app):
    """The policy forbids them, so a page that had one would break in the browser."""
    _, owner = signed_in(app)
    _, rev_id = pending_listing(app, owner, RICE)
    owner_client, _ = signed_in(app)
    reviewer, _ = signed_in(app, Role.FOCAL_POINT, "KH")
    admin, _ = signed_in(app, Role.ADMIN)
    pages = [
        (app.test_client(), "/"),
        (app.test_client(), "/login"),
        (owner_client, "/my/listings"),
        (owner_client, "/my/listings/new"),
        (reviewer, f"/review/{rev_id}"),
        (admin, "/admin/users"),
        (admin, "/admin/tokens"),
        (admin, "/api/docs"),
    ]
    for client, url in pages:
        html = client.get(url).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert "<style" not in html and " style=" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url  # onclick=... handlers


def test_a_nonce_is_added_only_when_a_template_asks_for_one():
    assert "nonce" not in content_security_policy()
    policy = content_security_policy("abc123")
    assert "script-src 'self' 'nonce-abc123'" in policy
    assert "style-src 'self' 'nonce-abc123'" in policy


def test_production_adds_strict_transport_security(app_factory, db_url):
    secret = secrets.token_urlsafe(48)
    app = app_factory(db_url, security={"production": True, "secret_key": secret})
    try:
        response = app.test_client().get("/")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        engine_of(app).dispose()


def test_the_configured_map_tile_server_may_serve_images(app_factory, db_url):
    tiles = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
    app = app_factory(db_url, map={"tile_url": tiles})
    try:
        csp = app.test_client().get("/").headers["Content-Security-Policy"]
        assert "img-src 'self' data: https://*.tile.openstreetmap.org;" in csp
        assert "script-src 'self';" in csp  # nothing else widens
    finally:
        engine_of(app).dispose()
