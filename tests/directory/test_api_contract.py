"""The server does what the OpenAPI document says, on both databases: Allow lists real methods,
query parameters are held to their documented type and length, envelope fields are validated
as sent, body errors come before preconditions, documented statuses, 413 for a chunked body."""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlsplit

import pytest

from directory.models import Role
from tests.directory.exchange_fixtures import (
    PEERS,
    bearer,
    engine_of,
    peer_token,
)
from tests.directory.pages_helpers import signed_in

PROBLEM = "application/problem+json"
LIMIT = 4096


@pytest.fixture
def app(app_factory, db_url):
    app = app_factory(
        db_url, peers=PEERS, api={"max_body_bytes": LIMIT, "rate_limit_per_minute": 0}
    )
    yield app
    engine_of(app).dispose()


def owner_client(app):
    client, _ = signed_in(app, Role.OWNER)
    return client, {"X-CSRFToken": client.get("/api/v1/session").get_json()["csrf_token"]}


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.data
    assert response.mimetype == PROBLEM
    return response.get_json()


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/api/v1/changes", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("/api/v1/listings", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("/api/v1/listings/kh:x", {"GET", "HEAD", "OPTIONS", "PUT"}),
        ("/api/v1/session", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_allow_lists_only_the_methods_the_resource_has(app, path, methods):
    client = app.test_client()
    assert set(client.options(path).headers["Allow"].split(", ")) == methods
    refused = client.delete(path)
    problem(refused, 405)
    assert set(refused.headers["Allow"].split(", ")) == methods


def test_an_unknown_api_path_is_a_problem_and_a_page_stays_a_page(app):
    assert problem(app.test_client().get("/api/v1/nothing"), 404)["instance"] == "/api/v1/nothing"
    assert app.test_client().get("/nothing").mimetype == "text/html"


@pytest.mark.parametrize(
    "query",
    [
        "page=1.0",
        "page=1e0",
        "page=+1",
        "per_page=2.5",
        "q=" + "a" * 201,
        "q=" + " " * 150 + "b" * 60,  # too long as sent, even if short once trimmed
        "province=K%00",
    ],
)
def test_query_parameters_outside_the_document_are_refused(app, query):
    name = query.split("=")[0]
    body = problem(app.test_client().get(f"/api/v1/listings?{query}"), 400)
    assert body["errors"][0]["path"] == f"/{name}"


def test_feed_cursor_and_limit_outside_the_document_are_refused(app):
    _, token = peer_token(app, "th", "feed:read")
    client = app.test_client()
    for query, name in (("since=" + "A" * 101, "since"), ("limit=1000001", "limit")):
        response = client.get(f"/api/v1/changes?{query}", headers=bearer(token))
        assert problem(response, 400)["errors"][0]["path"] == f"/{name}"
    assert client.get("/api/v1/changes?limit=1000000", headers=bearer(token)).status_code == 200


def test_an_invalid_updated_at_is_refused_not_dropped(app, draft_data):
    client, csrf = owner_client(app)
    sent = {**draft_data, "updated_at": "yesterday"}
    response = client.post("/api/v1/listings", json=sent, headers=csrf)
    paths = [e["path"] for e in problem(response, 422)["errors"]]
    assert paths == ["/updated_at"]
    good = {**draft_data, "updated_at": "2026-01-02T03:04:05Z"}
    assert client.post("/api/v1/listings", json=good, headers=csrf).status_code == 201


def test_a_put_without_a_body_is_400_before_any_precondition(app, draft_data):
    client, csrf = owner_client(app)
    created = client.post("/api/v1/listings", json=draft_data, headers=csrf)
    url = f"/api/v1/listings/{created.get_json()['id']}"
    stale = {**csrf, "If-Match": '"estale"'}
    assert "not valid JSON" in problem(client.put(url, headers=stale), 400)["detail"]
    assert problem(client.put(url, data=b"{", headers=stale), 400)
    assert problem(client.put(url, json=draft_data, headers=csrf), 428)
    assert problem(client.put(url, json=draft_data, headers=stale), 412)
    fresh = {**csrf, "If-Match": created.headers["ETag"]}
    assert client.put(url, json=draft_data, headers=fresh).status_code == 200


# what may stay Latin in a Khmer message: names of headers, formats and parameters (codes)
CODES = {"If-Match", "ETag", "GET", "JSON", "NUL", "true", "false", "limit", "since", "women_owned"}
KM = {"Accept-Language": "km"}


def _english_words(text: str) -> list[str]:
    text = re.sub(r"/\S*|\b\w+:\S+|\S+@\S+", " ", text)  # pointers, paths, ids, emails
    return [w for w in re.findall(r"[A-Za-z][A-Za-z_-]*", text) if w not in CODES]


def test_errors_follow_accept_language_and_keep_type_and_paths(app, draft_data):
    _, token = peer_token(app, "th", "feed:read")
    client, csrf = owner_client(app)
    created = client.post("/api/v1/listings", json=draft_data, headers=csrf).get_json()
    bad_email = {**draft_data, "contact": {"email": "nope"}}
    requests = [
        ("get", "/api/v1/changes", {}, None, 401),
        ("get", "/api/v1/changes?limit=0", bearer(token), None, 400),
        ("get", "/api/v1/changes?since=nope", bearer(token), None, 400),
        ("get", "/api/v1/nothing", {}, None, 404),
        ("post", "/api/v1/listings", csrf, bad_email, 422),  # the last with errors
        ("delete", "/api/v1/session", {}, None, 405),
        ("get", "/api/v1/listings/kh:nothing", {}, None, 404),
        ("get", "/api/v1/listings?women_owned=maybe", {}, None, 400),
        ("put", f"/api/v1/listings/{created['id']}", csrf, draft_data, 428),
    ]
    pointers = []
    for method, url, headers, body, status in requests:
        english = problem(getattr(client, method)(url, headers=headers, json=body), status)
        khmer = problem(getattr(client, method)(url, headers={**headers, **KM}, json=body), status)
        assert (khmer["type"], khmer["status"]) == (english["type"], english["status"])
        paths = [e["path"] for e in khmer.get("errors", [])]
        assert paths == [e["path"] for e in english.get("errors", [])]
        pointers += paths
        messages = [
            khmer["title"],
            khmer["detail"],
            *(e["message"] for e in khmer.get("errors", [])),
        ]
        assert [_english_words(m) for m in messages] == [[]] * len(messages), (url, messages)
        assert _english_words(english["detail"]), url  # without Accept-Language: English
    assert {"/limit", "/since", "/women_owned", "/contact/email"} <= set(pointers)


def test_the_document_lists_the_statuses_the_server_answers(app):
    doc = app.test_client().get("/api/openapi.json").get_json()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method != "parameters":
                assert "414" in op["responses"], (method, path)
    put = doc["paths"]["/api/v1/listings/{listing_id}"]["put"]
    assert {"400", "412", "428"} <= set(put["responses"])
    assert [p["required"] for p in put["parameters"] if p["name"] == "If-Match"] == [True]
    feed = doc["paths"]["/api/v1/changes"]["get"]
    assert "since" in feed["responses"]["400"]["description"]


def _chunked_post(url: str, path: str, headers: dict, size: int) -> tuple[int, bytes]:
    """POST a JSON body of ``size`` bytes with Transfer-Encoding: chunked (no Content-Length)."""
    head = b'{"source": "th", "changes": [], "pad": "'
    body = head + b"x" * (size - len(head) - 2) + b'"}'
    assert len(body) == size
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("POST", path)
    for name, value in {**headers, "Content-Type": "application/json"}.items():
        conn.putheader(name, value)
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    try:
        for start in range(0, size, 1000):
            chunk = body[start : start + 1000]
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may answer and close before reading everything
    response = conn.getresponse()
    status, data = response.status, response.read()
    conn.close()
    return status, data


def test_a_chunked_body_over_the_limit_is_413_and_one_at_the_limit_is_read(app, live_server):
    _, token = peer_token(app, "th", "changes:push")
    server = live_server(app)
    status, data = _chunked_post(server.url, "/api/v1/changes", bearer(token), LIMIT * 3)
    assert status == 413 and b"larger than the limit" in data
    status, data = _chunked_post(server.url, "/api/v1/changes", bearer(token), LIMIT)
    assert status == 422, data  # read whole (an empty batch is invalid), not cut off


def test_an_invalid_body_is_422_before_any_precondition(app, draft_data):
    client, csrf = owner_client(app)
    created = client.post("/api/v1/listings", json=draft_data, headers=csrf)
    url = f"/api/v1/listings/{created.get_json()['id']}"
    bad = {**draft_data, "registration": {"number": "1"}}
    for headers in (csrf, {**csrf, "If-Match": '"estale"'}):
        assert problem(client.put(url, json=bad, headers=headers), 422)["errors"]
