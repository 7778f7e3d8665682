"""The listings API: public search and read with ETags, owners' drafts with If-Match and CSRF,
problem documents for every error."""

from __future__ import annotations

import copy

import pytest
from sqlmodel import select

from directory.models import Role
from schemas import validate
from tests.directory.exchange_fixtures import add_user, engine_of, publish_own, withdraw_own
from tests.directory.pages_helpers import signed_in

PROBLEM = "application/problem+json"


@pytest.fixture
def app(app_factory, db_url):
    app = app_factory(db_url, api={"max_body_bytes": 4096, "rate_limit_per_minute": 0})
    yield app
    engine_of(app).dispose()


def owner_client(app):
    """A signed-in owner's client with its CSRF header."""
    client, _ = signed_in(app, Role.OWNER)
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    return client, {"X-CSRFToken": token}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.data
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"]
    return body


def test_search_filters_pages_and_hides_private_contact(app, draft_data):
    draft_data = {**draft_data, "women_owned": True}
    in_kampot = {**draft_data, "address": {"country": "KH", "province": "KH-7"}}
    publish_own(app, in_kampot, contact_public=True)
    for _ in range(2):
        publish_own(app, draft_data, contact_public=False)
    publish_own(app, draft_data, public=False)
    client = app.test_client()
    page = client.get("/api/v1/listings?per_page=2").get_json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["per_page"] == 2
    assert [validate(doc, "record") for doc in page["items"]] == [[], []]
    kampot = client.get("/api/v1/listings?province=KH-7").get_json()
    assert kampot["total"] == 1 and "contact" in kampot["items"][0]
    other = client.get(f"/api/v1/listings?province={draft_data['address']['province']}")
    assert all("contact" not in doc for doc in other.get_json()["items"])
    section = client.get("/api/v1/listings?section=Z").get_json()
    assert section["total"] == 0
    assert client.get("/api/v1/listings?women_owned=true").get_json()["total"] == 3
    assert client.get("/api/v1/listings?women_owned=false").get_json()["total"] == 0
    assert_problem(client.get("/api/v1/listings?page=0"), 400)
    assert_problem(client.get("/api/v1/listings?page=²"), 400)
    assert_problem(client.get("/api/v1/listings?women_owned=maybe"), 400)
    assert_problem(client.get("/api/v1/listings?per_page=1000"), 400)


def test_read_with_etag_and_304(app, draft_data):
    owner = add_user(app)
    listing = publish_own(app, draft_data, owner=owner)
    hidden = publish_own(app, draft_data, public=False)
    client = app.test_client()
    response = client.get(f"/api/v1/listings/{listing.id}")
    assert response.status_code == 200 and response.headers["ETag"] == '"1"'
    assert response.get_json()["id"] == listing.id
    again = client.get(f"/api/v1/listings/{listing.id}", headers={"If-None-Match": '"1"'})
    assert again.status_code == 304 and again.data == b""
    weak = client.get(f"/api/v1/listings/{listing.id}", headers={"If-None-Match": 'W/"1"'})
    assert weak.status_code == 304
    stale = client.get(f"/api/v1/listings/{listing.id}", headers={"If-None-Match": '"0"'})
    assert stale.status_code == 200
    assert_problem(client.get(f"/api/v1/listings/{hidden.id}"), 404)
    assert_problem(client.get("/api/v1/listings/kh:nothing"), 404)
    withdraw_own(app, listing.id, owner)
    assert_problem(client.get(f"/api/v1/listings/{listing.id}"), 404)


def test_owner_creates_updates_with_if_match_and_submits(app, draft_data):
    client, csrf = owner_client(app)
    created = client.post("/api/v1/listings", json=draft_data, headers=csrf)
    assert created.status_code == 201, created.data
    body = created.get_json()
    assert body["state"] == "draft" and body["draft_state"] == "draft"
    assert created.headers["Location"].endswith(f"/api/v1/my/listings/{body['id']}")
    tag = created.headers["ETag"]
    url = f"/api/v1/listings/{body['id']}"
    edit = copy.deepcopy(draft_data)
    edit["descriptions"] = {"en": "Edited through the API"}
    missing = client.put(url, json=edit, headers=csrf)
    assert_problem(missing, 428)
    saved = client.put(url, json=edit, headers={**csrf, "If-Match": tag})
    assert saved.status_code == 200, saved.data
    assert saved.get_json()["draft"]["descriptions"] == {"en": "Edited through the API"}
    new_tag = saved.headers["ETag"]
    assert new_tag != tag
    stale = client.put(url, json=draft_data, headers={**csrf, "If-Match": tag})
    assert_problem(stale, 412)
    assert stale.headers["ETag"] == new_tag
    assert client.get(f"/api/v1/my/listings/{body['id']}").headers["ETag"] == new_tag
    submitted = client.post(f"{url}/submit", headers=csrf)
    assert submitted.status_code == 200 and submitted.get_json()["draft_state"] == "pending"
    resubmitted = assert_problem(client.post(f"{url}/submit", headers=csrf), 409)
    assert resubmitted["type"] == "urn:smedir:problem:no-draft"
    assert resubmitted["detail"] == "There is no draft to submit."
    mine = client.get("/api/v1/my/listings").get_json()["items"]
    assert [m["id"] for m in mine] == [body["id"]]


def test_validation_errors_name_the_fields(app, draft_data):
    client, csrf = owner_client(app)
    bad = {**draft_data, "contact": {"email": "nope"}, "employees": "many"}
    problem = assert_problem(client.post("/api/v1/listings", json=bad, headers=csrf), 422)
    assert {e["path"] for e in problem["errors"]} == {"/contact/email", "/employees"}
    headers = {**csrf, "Content-Type": "application/json"}
    assert_problem(client.post("/api/v1/listings", data=b"{not json", headers=headers), 400)
    assert_problem(client.post("/api/v1/listings", json=[1, 2], headers=csrf), 422)
    big = {**draft_data, "descriptions": {"en": "x" * 5000}}
    problem = assert_problem(client.post("/api/v1/listings", json=big, headers=csrf), 413)
    assert "4096" in problem["detail"]


def test_session_writes_need_the_csrf_header(app, draft_data):
    client, _ = owner_client(app)
    assert_problem(client.post("/api/v1/listings", json=draft_data), 403)
    bad = {"X-CSRFToken": "forged"}
    assert_problem(client.post("/api/v1/listings", json=draft_data, headers=bad), 403)


def test_anonymous_and_other_owners_are_refused(app, draft_data):
    anonymous = app.test_client()
    assert_problem(anonymous.post("/api/v1/listings", json=draft_data), 401)
    assert_problem(anonymous.get("/api/v1/my/listings"), 401)
    assert_problem(anonymous.put("/api/v1/listings/kh:x", json=draft_data), 401)
    alice, alice_csrf = owner_client(app)
    listing_id = alice.post("/api/v1/listings", json=draft_data, headers=alice_csrf).get_json()[
        "id"
    ]
    bob, bob_csrf = owner_client(app)
    url = f"/api/v1/listings/{listing_id}"
    assert_problem(bob.put(url, json=draft_data, headers={**bob_csrf, "If-Match": "*"}), 404)
    assert_problem(bob.post(f"{url}/submit", headers=bob_csrf), 404)
    assert_problem(bob.get(f"/api/v1/my/listings/{listing_id}"), 404)


def test_focal_points_cannot_create_listings(app, draft_data):
    client, _ = signed_in(app, Role.FOCAL_POINT, "KH")
    csrf = {"X-CSRFToken": client.get("/api/v1/session").get_json()["csrf_token"]}
    assert_problem(client.post("/api/v1/listings", json=draft_data, headers=csrf), 403)


def test_unknown_paths_and_methods_are_problems(app):
    client = app.test_client()
    assert_problem(client.get("/api/v2/anything"), 404)
    response = client.delete("/api/v1/listings")
    assert_problem(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_rate_limit_answers_429_with_retry_after(app_factory, db_url):
    from tests.directory.exchange_fixtures import PEERS, bearer, peer_token

    app = app_factory(db_url, api={"rate_limit_per_minute": 3}, peers=PEERS)
    client = app.test_client()
    statuses = [client.get("/api/v1/listings").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    response = client.get("/api/v1/listings")
    assert_problem(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    _, token = peer_token(app, "th", "feed:read")  # a peer pulling pages is not counted
    assert client.get("/api/v1/changes", headers=bearer(token)).status_code == 200
    engine_of(app).dispose()


def test_personal_token_writes_need_no_csrf(app, draft_data):
    from directory.db import new_session
    from directory.models import User
    from directory.services.personal_tokens import create_personal_token

    owner = add_user(app)
    with new_session(engine_of(app), write=True) as session:
        _, plaintext = create_personal_token(session, session.get(User, owner.id), "cli")
        session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {plaintext}"}
    # the token's first use is a write: its last_used_at is recorded in that request's own
    # transaction (a second write transaction would wait on SQLite's lock forever)
    created = client.post("/api/v1/listings", json=draft_data, headers=headers)
    assert created.status_code == 201, created.data
    assert client.get("/api/v1/my/listings", headers=headers).status_code == 200
    from directory.models.accounts import PersonalToken

    with new_session(engine_of(app)) as session:
        assert session.exec(select(PersonalToken)).one().last_used_at is not None
    url = f"/api/v1/listings/{created.get_json()['id']}"
    saved = client.put(
        url, json=draft_data, headers={**headers, "If-Match": created.headers["ETag"]}
    )
    assert saved.status_code == 200
    assert_problem(
        client.post(
            "/api/v1/listings",
            json=draft_data,
            headers={"Authorization": "Bearer smedir_pat_wrong"},
        ),
        401,
    )
