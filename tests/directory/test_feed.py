"""The change feed over HTTP: paging, consent filtering, tombstones, cursors, tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from directory.db import new_session
from directory.models import PeerTokenUse
from directory.services.feed import decode_cursor, encode_cursor
from schemas import validate, validate_record
from tests.directory.exchange_fixtures import (
    PEERS,
    add_user,
    bearer,
    edit_own,
    engine_of,
    peer_token,
    publish_own,
    read_whole_feed,
    replica,
    store_replicas,
    withdraw_own,
)


@pytest.fixture
def app(app_factory, db_url):
    app = app_factory(db_url, peers=PEERS)
    yield app
    engine_of(app).dispose()


def test_pages_validate_and_cover_every_change_once(app, draft_data, record_doc):
    for _ in range(3):
        publish_own(app, draft_data, peers=["th"])
    store_replicas(app, [replica(record_doc, "vn", n, peers=["th"]) for n in range(2)], "vn")
    _, token = peer_token(app, "th", "feed:read")
    pages, changes = read_whole_feed(app.test_client(), token, limit=2)
    assert len(pages) == 3
    for page in pages:
        assert validate(page, "feed-page") == []
        assert page["node"] == "kh"
    assert [validate_record(c) for c in changes] == [[]] * 5
    assert len({c["id"] for c in changes}) == 5
    assert all("deleted" not in c for c in changes)


def test_latest_version_only_and_tombstones(app, draft_data):
    owner = add_user(app)
    listing = publish_own(app, draft_data, owner=owner, peers=["th"])
    edit_own(
        app,
        listing.id,
        owner,
        {
            **draft_data,
            "sharing": {**draft_data["sharing"], "peers": ["th"]},
            "descriptions": {"en": "now with a description"},
        },
    )
    _, token = peer_token(app, "th", "feed:read")
    _, changes = read_whole_feed(app.test_client(), token)
    assert [(c["id"], c["version"]) for c in changes] == [(listing.id, 2)]
    assert changes[0]["descriptions"] == {"en": "now with a description"}
    withdraw_own(app, listing.id, owner)
    _, changes = read_whole_feed(app.test_client(), token)
    assert changes == [
        {
            "deleted": True,
            "id": listing.id,
            "origin": "kh",
            "reason": "withdrawn",
            "updated_at": changes[0]["updated_at"],
            "version": 3,
        }
    ]


def test_consent_withdrawal_becomes_a_tombstone_for_that_peer_only(app, draft_data):
    owner = add_user(app)
    listing = publish_own(app, draft_data, owner=owner, peers=["th", "vn"])
    _, th = peer_token(app, "th", "feed:read")
    _, vn = peer_token(app, "vn", "feed:read")
    client = app.test_client()
    first = client.get("/api/v1/changes", headers=bearer(th)).get_json()
    assert first["changes"][0]["names"] == draft_data["names"]
    sharing = {**draft_data["sharing"], "peers": ["vn"]}
    edit_own(app, listing.id, owner, {**draft_data, "sharing": sharing})
    after = client.get(
        f"/api/v1/changes?since={first['next_cursor']}", headers=bearer(th)
    ).get_json()
    [tombstone] = after["changes"]
    assert tombstone["deleted"] is True and tombstone["reason"] == "consent_withdrawn"
    assert (tombstone["id"], tombstone["version"], tombstone["origin"]) == (listing.id, 2, "kh")
    assert validate_record(tombstone) == []
    [record] = client.get("/api/v1/changes", headers=bearer(vn)).get_json()["changes"]
    assert record["version"] == 2 and "deleted" not in record


def test_hub_sharing_and_origin_never_gets_its_own_records(app, draft_data, record_doc):
    publish_own(app, draft_data, hub=True, peers=[])
    store_replicas(app, [replica(record_doc, "th", 1, hub=True, peers=[])])
    _, asean = peer_token(app, "asean", "feed:read")
    _, th = peer_token(app, "th", "feed:read")
    _, hub_changes = read_whole_feed(app.test_client(), asean)
    assert sorted((c["origin"], "deleted" in c) for c in hub_changes) == [
        ("kh", False),
        ("th", False),
    ]
    _, th_changes = read_whole_feed(app.test_client(), th)
    assert th_changes == []  # never shared with th: not even a consent tombstone


def test_a_hub_node_passes_hub_shared_records_to_every_peer(app_factory, db_url, record_doc):
    hub = app_factory(db_url, node={"id": "asean", "role": "hub"}, peers=PEERS[:2])
    store_replicas(hub, [replica(record_doc, "th", 1, hub=True, peers=[])])
    _, la = peer_token(hub, "la", "feed:read")
    _, th = peer_token(hub, "th", "feed:read")
    [record] = hub.test_client().get("/api/v1/changes", headers=bearer(la)).get_json()["changes"]
    assert record["id"] == "th:rec1" and "deleted" not in record
    assert hub.test_client().get("/api/v1/changes", headers=bearer(th)).get_json()["changes"] == []
    engine_of(hub).dispose()


def test_malformed_cursor_is_400_problem(app):
    _, token = peer_token(app, "th", "feed:read")
    for cursor in ("nonsense!", "c2VxOg", "Zm9vOjEy", "c2VxOi0x", "%%%"):
        response = app.test_client().get(f"/api/v1/changes?since={cursor}", headers=bearer(token))
        assert response.status_code == 400, cursor
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["errors"][0]["path"] == "/since"


def test_cursor_round_trip():
    assert decode_cursor(encode_cursor(1042)) == 1042
    assert decode_cursor("c2VxOjEwNDI=") == 1042  # padded form, as in the schema example
    assert decode_cursor("") == 0


def test_limit_is_capped_and_checked(app_factory, db_url, draft_data):
    app = app_factory(db_url, peers=PEERS, api={"feed_max_limit": 2, "feed_default_limit": 1})
    for _ in range(3):
        publish_own(app, draft_data, peers=["th"])
    _, token = peer_token(app, "th", "feed:read")
    client = app.test_client()
    assert len(client.get("/api/v1/changes", headers=bearer(token)).get_json()["changes"]) == 1
    page = client.get("/api/v1/changes?limit=500", headers=bearer(token)).get_json()
    assert len(page["changes"]) == 2 and page["has_more"] is True
    for bad in ("0", "-1", "x", "²", "١"):
        assert client.get(f"/api/v1/changes?limit={bad}", headers=bearer(token)).status_code == 400
    engine_of(app).dispose()


def test_tokens_scopes_and_revocation(app):
    from directory.services.tokens import revoke_peer_token

    client = app.test_client()
    assert client.get("/api/v1/changes").status_code == 401
    assert client.get("/api/v1/changes", headers=bearer("smedir_peer_guess")).status_code == 401
    _, push_only = peer_token(app, "th", "changes:push")
    assert client.get("/api/v1/changes", headers=bearer(push_only)).status_code == 403
    token_id, token = peer_token(app, "th", "feed:read")
    assert client.get("/api/v1/changes", headers=bearer(token)).status_code == 200
    with new_session(engine_of(app), write=True) as session:
        revoke_peer_token(session, None, token_id)
        session.commit()
    response = client.get("/api/v1/changes", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_use_is_logged_once_per_request(app, draft_data):
    for _ in range(3):
        publish_own(app, draft_data, peers=["th"])
    token_id, token = peer_token(app, "th", "feed:read")
    client = app.test_client()
    client.get("/api/v1/changes?limit=2", headers=bearer(token))
    client.get("/api/v1/changes", headers=bearer(token))
    with new_session(engine_of(app)) as session:
        uses = session.execute(select(PeerTokenUse).order_by(PeerTokenUse.id)).scalars().all()
    assert [(u.token_id, u.endpoint, u.count) for u in uses] == [
        (token_id, "GET /api/v1/changes", 2),
        (token_id, "GET /api/v1/changes", 3),
    ]
    assert uses[0].client_addr == "127.0.0.1"
