"""No state-changing route answers with success to a request without a CSRF token.

Walks the URL map of the fully built app, so routes that later blueprints add are
covered too. Every rule that accepts POST, PUT, PATCH or DELETE gets a request
without a CSRF token, once anonymous and once with a signed-in owner's and an
admin's session cookie. Routes under CSRF protection must answer 400; routes
exempt from it (bearer-token APIs) must answer 401 or 403. Never 2xx or 3xx.
"""

from __future__ import annotations

import re
import uuid

import pytest
from werkzeug.routing import Rule

from directory.context import get_engine
from directory.db import transaction
from directory.extensions import csrf
from directory.models import Role
from directory.services import accounts

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
PASSWORD = "mango season 2026"
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
# POST routes that change nothing, by their protocol's definition (each with its reason)
READ_ONLY_POST = {
    "oai.endpoint": "OAI-PMH 2.0 section 3.1.1.2: harvesters may send any verb by POST; all "
    "six verbs only read",
}
DUMMY = {
    "IntegerConverter": 1,
    "IdConverter": 1,
    "FloatConverter": 1.0,
    "UUIDConverter": uuid.UUID(int=1),
    "PathConverter": "x/y",
}


@pytest.fixture
def app(app_factory, db_url):
    app = app_factory(
        db_url,
        security={"argon2_memory_kib": 1024, "argon2_time_cost": 1, "argon2_parallelism": 1},
    )
    app.config["WTF_CSRF_ENABLED"] = True
    policy = accounts.AccountPolicy.from_config(app.config["SMEDIR"]["security"])
    with transaction(get_engine(app)) as session:
        for email, role in (("owner@example.com", Role.OWNER), ("admin@example.com", Role.ADMIN)):
            accounts.create_user(session, email, PASSWORD, policy, role=role)
    yield app
    get_engine(app).dispose()


def build_url(rule: Rule) -> str:
    """The rule's path with a plausible value for each variable."""
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        if kind == "AnyConverter":
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = DUMMY.get(kind, "x")
    _domain, path = rule.build(values, append_unknown=False)
    return path


def is_exempt(app, url: str, method: str) -> bool:
    """Whether CSRFProtect skips this request (its own rule, asked in a request context)."""
    with app.test_request_context(url, method=method):
        return csrf._is_exempt()


def unsafe_routes(app):
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted(set(rule.methods or ()) & set(UNSAFE)):
            routes.append((rule, method))
    return routes


def sign_in(client, email):
    token = TOKEN_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "email": email, "password": PASSWORD}
    )
    assert response.status_code == 302


def assert_refused(app, client, who: str):
    checked = 0
    for rule, method in unsafe_routes(app):
        if method == "POST" and rule.endpoint in READ_ONLY_POST:
            continue
        url = build_url(rule)
        response = client.open(url, method=method, data={"probe": "1"})
        where = f"{method} {url} ({rule.endpoint}) as {who}: {response.status_code}"
        allowed = (401, 403) if is_exempt(app, url, method) else (400,)
        assert response.status_code in allowed, where
        checked += 1
    return checked


def test_the_walk_finds_the_known_forms(app):
    endpoints = {rule.endpoint for rule, _method in unsafe_routes(app)}
    assert {"auth.login", "auth.logout", "auth.signup", "admin_users.user_detail"} <= endpoints


def test_no_unsafe_route_accepts_an_anonymous_request_without_token(app):
    assert assert_refused(app, app.test_client(), "visitor") > 0


@pytest.mark.parametrize("email", ["owner@example.com", "admin@example.com"])
def test_no_unsafe_route_accepts_a_session_without_token(app, email):
    client = app.test_client()
    sign_in(client, email)
    assert assert_refused(app, client, email) > 0
    # still signed in: nothing above logged the session out or changed it
    assert client.get("/account/password").status_code == 200
