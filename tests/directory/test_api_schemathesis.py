"""schemathesis, run against /api/openapi.json on a live server: no 5xx, nothing off the document.

It runs as a subprocess (the ``schemathesis run`` command) against the real
HTTP server on 127.0.0.1, with a peer token that may read the feed and push,
and a signed-in owner's session cookie and CSRF header, so the exchange and
owner operations are exercised past authentication. A fixed seed and a bounded
number of examples keep it reproducible and under a minute.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests

from tests.directory.exchange_fixtures import PEERS, engine_of, peer_token, publish_own
from tests.directory.pages_helpers import PASSWORD, add_account

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


@pytest.fixture
def app(app_factory, db_url):
    app = app_factory(db_url, peers=PEERS, api={"rate_limit_per_minute": 0})
    yield app
    engine_of(app).dispose()


def _owner_session(url: str, app) -> tuple[str, str]:
    """Sign an owner in over HTTP; returns (Cookie header value, CSRF token)."""
    email = add_account(app)
    http = requests.Session()
    page = http.get(f"{url}/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = http.post(
        f"{url}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302
    page = http.get(f"{url}/login", timeout=10)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
    return cookie, match.group(1) if match else token


def test_schemathesis_finds_no_server_error_and_no_violation(
    app, live_server, draft_data, tmp_path
):
    for _ in range(3):
        publish_own(app, draft_data)
    _, token = peer_token(app, "th", "feed:read", "changes:push")
    server = live_server(app)
    cookie, csrf = _owner_session(server.url, app)
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{server.url}/api/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        "15",
        "--seed",
        "20261121",
        "--workers",
        "2",
        "--phases",
        "examples,fuzzing",
        "--request-timeout",
        "10",
        "--no-shrink",
        "--suppress-health-check",
        "all",
        "-H",
        f"Authorization: Bearer {token}",
        "-H",
        f"Cookie: {cookie}",
        "-H",
        f"X-CSRFToken: {csrf}",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "passed" in result.stdout
