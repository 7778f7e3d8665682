"""Admin pages for peer tokens: admins only, CSRF-protected, the token shown once."""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from directory.models import Role
from tests.directory.exchange_fixtures import PEERS, bearer, engine_of
from tests.directory.pages_helpers import csrf_from, signed_in


@pytest.fixture
def app(app_factory, db_url):
    app = app_factory(db_url, peers=PEERS)
    yield app
    engine_of(app).dispose()


def _create(client, peer: str, *scopes: str, name: str = "main"):
    token = csrf_from(client.get("/admin/tokens").text)
    data = MultiDict([("peer_id", peer), ("name", name), ("csrf_token", token)])
    for scope in scopes:
        data.add("scopes", scope)
    return client.post("/admin/tokens", data=data)


def test_admin_creates_a_token_that_is_shown_once_and_works(app):
    admin, _ = signed_in(app, Role.ADMIN)
    response = _create(admin, "th", "feed:read")
    assert response.status_code == 201
    plaintext = re.search(r'<code id="new-token">([^<]+)</code>', response.text).group(1)
    assert app.test_client().get("/api/v1/changes", headers=bearer(plaintext)).status_code == 200
    listing = admin.get("/admin/tokens").text
    assert plaintext not in listing and plaintext[:16] in listing
    detail_url = re.search(r'href="(/admin/tokens/\d+)"', listing).group(1)
    detail = admin.get(detail_url).text
    assert "GET /api/v1/changes" in detail and plaintext not in detail


def test_revoking_on_the_page_stops_the_token_at_once(app):
    admin, _ = signed_in(app, Role.ADMIN)
    created = _create(admin, "th", "feed:read").text
    plaintext = re.search(r'<code id="new-token">([^<]+)</code>', created).group(1)
    page = admin.get("/admin/tokens").text
    action = re.search(r'action="(/admin/tokens/\d+/revoke)"', page).group(1)
    response = admin.post(action, data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert app.test_client().get("/api/v1/changes", headers=bearer(plaintext)).status_code == 401
    assert "revoked" in admin.get("/admin/tokens?lang=en").text


def test_bad_input_is_refused_with_a_message(app):
    admin, _ = signed_in(app, Role.ADMIN)
    assert _create(admin, "sg", "feed:read").status_code == 422  # not a configured peer
    response = _create(admin, "th")
    assert response.status_code == 422 and "scopes" in response.text


def test_only_admins_and_only_with_csrf(app):
    owner, _ = signed_in(app, Role.OWNER)
    assert owner.get("/admin/tokens").status_code == 403
    assert owner.post("/admin/tokens", data={"peer_id": "th"}).status_code in (400, 403)
    focal, _ = signed_in(app, Role.FOCAL_POINT, "KH")
    assert focal.get("/admin/tokens").status_code == 403
    assert app.test_client().get("/admin/tokens").status_code in (302, 401)
    admin, _ = signed_in(app, Role.ADMIN)
    forged = admin.post("/admin/tokens", data={"peer_id": "th", "scopes": "feed:read"})
    assert forged.status_code == 400
    assert "new-token" not in forged.text
