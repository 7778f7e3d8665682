"""Session security over real requests, on both databases: CSRF, replayed cookies after
logout and password change, a new session at login, no open redirect, the login rate
limit shared by two app instances, cookie flags, and production's secret-key check."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

import pytest

from directory.app import create_app
from directory.config import ConfigError
from directory.context import get_engine
from directory.db import transaction
from directory.models import Role
from directory.services import accounts
from directory.web.auth import safe_next

PASSWORD = "mango season 2026"
CHEAP_ARGON2 = {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "argon2_parallelism": 1}
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(app_factory, db_url, **security):
    """An app with CSRF checks on, as in production (TESTING does not turn them off)."""
    app = app_factory(db_url, security={**CHEAP_ARGON2, **security})
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def add_user(app, email="owner@example.com", role=Role.OWNER, password=PASSWORD):
    sec = app.config["SMEDIR"]["security"]
    with transaction(get_engine(app)) as session:
        return accounts.create_user(
            session, email, password, accounts.AccountPolicy.from_config(sec), role=role
        )


def csrf_token(client, path="/login"):
    return TOKEN_RE.search(client.get(path).get_data(as_text=True)).group(1)


def login(client, email="owner@example.com", password=PASSWORD, next_url=None, lang="en"):
    data = {"csrf_token": csrf_token(client), "email": email, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(f"/login?lang={lang}", data=data)


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def replay(app, cookie: str):
    """A fresh browser presenting a captured session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def is_signed_in(client) -> bool:
    return client.get("/account/password").status_code == 200


@pytest.fixture
def app(app_factory, db_url):
    app = make_app(app_factory, db_url)
    add_user(app)
    yield app
    get_engine(app).dispose()


def test_post_without_csrf_token_is_refused(app):
    client = app.test_client()
    response = client.post("/login", data={"email": "owner@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert not is_signed_in(client)
    assert login(client).status_code == 302
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert is_signed_in(client)


def test_replayed_cookie_after_logout_is_refused(app):
    client = app.test_client()
    login(client)
    captured = session_cookie(client)
    assert is_signed_in(replay(app, captured))  # the captured cookie works before logout
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account/password")})
    assert not is_signed_in(client)
    assert not is_signed_in(replay(app, captured))


def test_replayed_cookie_after_password_change_is_refused(app):
    client = app.test_client()
    login(client)
    captured = session_cookie(client)
    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client, "/account/password"),
            "current_password": PASSWORD,
            "password": "a different phrase 77",
            "password_confirm": "a different phrase 77",
        },
    )
    assert response.status_code == 302
    assert is_signed_in(client)  # the browser that changed it stays signed in
    assert not is_signed_in(replay(app, captured))


def test_session_is_new_at_login(app):
    client = app.test_client()
    token_before = csrf_token(client)
    cookie_before = session_cookie(client)
    login(client)
    assert session_cookie(client) != cookie_before
    with client.session_transaction() as sess:
        assert "sid" in sess
    # a token issued before login does not carry over into the signed-in session
    response = client.post("/logout", data={"csrf_token": token_before})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "javascript:alert(1)",
        "http:evil.example",
        " //evil.example",
        "/\t/evil.example",
    ],
)
def test_login_next_refuses_other_sites(app, target):
    response = login(app.test_client(), next_url=target)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost")
    assert location.path == "/"


def test_login_next_follows_a_local_path(app):
    response = login(app.test_client(), next_url="/account/password?tab=1")
    assert response.headers["Location"].endswith("/account/password?tab=1")


def test_login_page_drops_a_foreign_next_from_the_query(app):
    page = app.test_client().get("/login?next=//evil.example").get_data(as_text=True)
    assert "evil.example" not in page


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/listings/1", "/listings/1"),
        ("/a?b=c#d", "/a?b=c#d"),
        ("", "/"),
        (None, "/"),
        ("//x.example", "/"),
        ("/\\x.example", "/"),
        ("https://x.example", "/"),
        ("relative/path", "/"),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target) == expected


def test_rate_limit_holds_across_two_app_instances(app_factory, db_url):
    one = make_app(app_factory, db_url, login_max_failures=3)
    two = make_app(app_factory, db_url, login_max_failures=3)
    add_user(one)
    clients = [one.test_client(), two.test_client()]
    for n in range(3):  # failures alternate between the two instances
        assert login(clients[n % 2], password="wrong password").status_code == 401
    for client in clients:
        response = login(client)  # even the right password now waits
        assert response.status_code == 429
        assert "Too many failed sign-in attempts" in response.get_data(as_text=True)
        assert int(response.headers["Retry-After"]) > 0
        assert not is_signed_in(client)
    for app in (one, two):
        get_engine(app).dispose()


def test_session_cookie_flags_in_development(app):
    response = login(app.test_client())
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_in_production(app_factory, db_url):
    app = make_app(app_factory, db_url, production=True, secret_key=secrets.token_urlsafe(48))
    add_user(app)
    response = login(app.test_client())
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    get_engine(app).dispose()


WEAK_SECRETS = [
    "change-me",
    "",
    "short",
    " ",
    "a" * 200,
    "abc" * 40,
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "a-long-random-secret",
    "0123456789" * 8,
    "9f86d081884c7d659a2feaa0c55ad015",  # random, but only 16 bytes
]


@pytest.mark.parametrize("secret", WEAK_SECRETS)
def test_production_refuses_a_weak_secret_key_and_says_how_to_make_one(tmp_path, db_url, secret):
    overrides = {
        "node": {"instance_path": str(tmp_path)},
        "database": {"url": db_url},
        "security": {"production": True, "secret_key": secret},
    }
    with pytest.raises(ConfigError) as err:
        create_app(overrides=overrides)
    assert err.value.key == "security.secret_key"
    assert "32 bytes" in str(err.value) or "of its own" in str(err.value)
    assert "secrets.token_urlsafe(48)" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "secret",
    ["token_urlsafe(48)", "token_hex(32)", "token_urlsafe(64)"],
)
def test_production_accepts_a_random_secret_key(app_factory, db_url, secret):
    name, nbytes = secret.rstrip(")").split("(")
    secret = getattr(secrets, name)(int(nbytes))
    app = make_app(app_factory, db_url, production=True, secret_key=secret)
    assert app.secret_key == secret
    get_engine(app).dispose()


def test_secret_estimate_accepts_random_32_byte_keys_and_rejects_patterns():
    from directory.secret_strength import MIN_SECRET_BITS, estimate_bits

    assert all(estimate_bits(secrets.token_hex(32)) >= MIN_SECRET_BITS for _ in range(200))
    assert all(estimate_bits(secrets.token_urlsafe(48)) >= MIN_SECRET_BITS for _ in range(200))
    for weak in ("Password1!" * 8, "qwertyuiop" * 6, "x" * 43 + "y"):
        assert estimate_bits(weak) < MIN_SECRET_BITS, weak


def test_production_refuses_when_no_secret_key_is_configured(tmp_path, monkeypatch):
    config = tmp_path / "node.toml"
    config.write_text("[security]\nproduction = true\n", encoding="utf-8")
    monkeypatch.delenv("SMEDIR_SECURITY__SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="security.secret_key"):
        create_app(str(config))


def test_unauthenticated_api_request_gets_401_json_not_a_redirect(app):
    from flask_login import login_required

    @login_required
    def probe():
        return "secret"

    app.add_url_rule("/api/v1/_probe", "probe", probe)
    app.add_url_rule("/_probe", "probe_html", probe)
    response = app.test_client().get("/api/v1/_probe")
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    response = app.test_client().get("/_probe")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/_probe")


def test_client_address_comes_from_the_proxy_only_when_configured(app_factory, db_url):
    from flask import request

    for hops, expected in ((0, "127.0.0.1"), (1, "203.0.113.9")):
        app = app_factory(db_url, security={"proxy_hops": hops})
        app.add_url_rule("/_addr", "addr", lambda: request.remote_addr)
        client = app.test_client()
        answer = client.get("/_addr", headers={"X-Forwarded-For": "203.0.113.9"})
        assert answer.get_data(as_text=True) == expected
        app.extensions["smedir.engine"].dispose()
