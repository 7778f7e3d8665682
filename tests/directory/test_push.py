"""Pushing changes to a node: receipts, idempotence, origin rules, trust levels, errors."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import func, select

from directory.db import new_session
from directory.models import ChangeLogEntry, Listing, ListingState, Revision, RevisionState
from schemas import validate
from tests.directory.exchange_fixtures import PEERS, bearer, engine_of, peer_token, replica


@pytest.fixture
def app(app_factory, db_url):
    app = app_factory(db_url, peers=PEERS, api={"max_body_bytes": 20_000})
    yield app
    engine_of(app).dispose()


def _push(app, token: str, source: str, changes: list, **kw):
    body = {"source": source, "changes": changes}
    return app.test_client().post("/api/v1/changes", json=body, headers=bearer(token), **kw)


def _tombstone(rid: str, version: int, reason: str = "closed") -> dict:
    return {
        "id": rid,
        "origin": rid.split(":")[0],
        "version": version,
        "updated_at": "2026-11-21T10:00:00Z",
        "deleted": True,
        "reason": reason,
    }


def _change_count(app) -> int:
    with new_session(engine_of(app)) as session:
        return session.execute(select(func.count()).select_from(ChangeLogEntry)).scalar_one()


def test_receipts_and_the_same_batch_twice_changes_nothing(app, record_doc):
    _, token = peer_token(app, "th", "changes:push")
    batch = [replica(record_doc, "th", 1), replica(record_doc, "th", 2), _tombstone("th:rec3", 2)]
    first = _push(app, token, "th", batch)
    assert first.status_code == 200 and first.mimetype == "application/json"
    assert validate(first.get_json(), "push-receipts") == []
    assert [(r["id"], r["version"], r["status"]) for r in first.get_json()["receipts"]] == [
        ("th:rec1", 1, "applied"),
        ("th:rec2", 1, "applied"),
        ("th:rec3", 2, "applied"),
    ]
    logged = _change_count(app)
    second = _push(app, token, "th", batch).get_json()
    assert [r["status"] for r in second["receipts"]] == ["unchanged"] * 3
    assert _change_count(app) == logged == 3
    with new_session(engine_of(app)) as session:
        assert session.get(Listing, "th:rec1").state == ListingState.PUBLISHED
        assert session.get(Listing, "th:rec3").state == ListingState.WITHDRAWN


def test_rejected_items_carry_pointer_errors_and_the_rest_applies(app, record_doc):
    _, token = peer_token(app, "th", "changes:push")
    bad = replica(record_doc, "th", 1)
    bad["contact"] = {**bad.get("contact", {}), "email": "not an email"}
    answer = _push(app, token, "th", [bad, replica(record_doc, "th", 2)]).get_json()
    rejected, applied = answer["receipts"]
    assert rejected["status"] == "rejected" and applied["status"] == "applied"
    assert [e["path"] for e in rejected["errors"]] == ["/contact/email"]
    assert validate(answer, "push-receipts") == []


def test_a_peer_may_only_push_its_own_records_unless_it_relays(app, record_doc):
    _, th = peer_token(app, "th", "changes:push")
    foreign = replica(record_doc, "my", 1)
    [receipt] = _push(app, th, "th", [foreign]).get_json()["receipts"]
    assert receipt["status"] == "rejected" and receipt["errors"][0]["path"] == "/origin"
    _, vn = peer_token(app, "vn", "changes:push")  # configured with relay = true
    [receipt] = _push(app, vn, "vn", [foreign]).get_json()["receipts"]
    assert receipt["status"] == "applied"


def test_records_of_this_node_are_conflicts(app, record_doc):
    _, vn = peer_token(app, "vn", "changes:push")
    [receipt] = _push(app, vn, "vn", [replica(record_doc, "kh", 1)]).get_json()["receipts"]
    assert receipt["status"] == "conflict" and receipt["message"]


def test_review_trust_holds_records_for_focal_points(app, record_doc):
    _, la = peer_token(app, "la", "changes:push")
    [receipt] = _push(app, la, "la", [replica(record_doc, "la", 1)]).get_json()["receipts"]
    assert receipt == {
        "id": "la:rec1",
        "version": 1,
        "status": "applied",
        "message": "held for review",
    }
    with new_session(engine_of(app)) as session:
        assert session.get(Listing, "la:rec1").state == ListingState.DRAFT
        [revision] = session.execute(select(Revision)).scalars().all()
        assert revision.state == RevisionState.PENDING and revision.source_peer == "la"
    [again] = _push(app, la, "la", [replica(record_doc, "la", 1)]).get_json()["receipts"]
    assert again["status"] == "unchanged"


def test_a_token_without_push_scope_cannot_push(app, record_doc):
    _, token = peer_token(app, "th", "feed:read", "oai:read")
    response = _push(app, token, "th", [replica(record_doc, "th", 1)])
    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    assert _change_count(app) == 0


def test_source_must_be_the_tokens_peer(app, record_doc):
    _, token = peer_token(app, "th", "changes:push")
    response = _push(app, token, "vn", [replica(record_doc, "vn", 1)])
    assert response.status_code == 403
    assert _change_count(app) == 0


def test_unconfigured_peer_cannot_push(app, record_doc):
    _, token = peer_token(app, "sg", "changes:push")
    assert _push(app, token, "sg", [replica(record_doc, "sg", 1)]).status_code == 403


def test_malformed_invalid_and_oversized_bodies(app, record_doc):
    _, token = peer_token(app, "th", "changes:push")
    client = app.test_client()
    headers = {**bearer(token), "Content-Type": "application/json"}
    response = client.post("/api/v1/changes", data=b'{"source": "th", ', headers=headers)
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    response = client.post(
        "/api/v1/changes", json={"source": "th", "changes": []}, headers=bearer(token)
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"path": "/changes", "message": response.get_json()["errors"][0]["message"]}
    ]
    big = [replica(record_doc, "th", n) for n in range(40)]
    body = orjson.dumps({"source": "th", "changes": big})
    assert len(body) > 20_000
    response = client.post("/api/v1/changes", data=body, headers=headers)
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert "20000" in response.get_json()["detail"]
    assert _change_count(app) == 0


def test_concurrent_pushes_of_one_batch_apply_it_once(app, live_server, record_doc):
    """Peers retry: the same batch arriving on several connections at once is applied once."""
    import threading

    import requests

    _, token = peer_token(app, "th", "changes:push")
    server = live_server(app)
    batch = {"source": "th", "changes": [replica(record_doc, "th", n) for n in range(5)]}
    answers, barrier = [], threading.Barrier(4)

    def push_once():
        barrier.wait()
        response = requests.post(
            f"{server.url}/api/v1/changes", json=batch, headers=bearer(token), timeout=30
        )
        answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=push_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [status for status, _ in answers] == [200] * 4
    for n in range(5):
        statuses = sorted(body["receipts"][n]["status"] for _, body in answers)
        assert statuses == ["applied", "unchanged", "unchanged", "unchanged"]
    assert _change_count(app) == 5
