"""Personal API tokens on both databases: create (shown once, stored hashed), use as a bearer
under /api/ only, revoke, and the user's deactivation ending them."""

from __future__ import annotations

import re

import pytest
from flask import jsonify
from sqlmodel import select

from directory.context import get_engine
from directory.db import new_session, transaction
from directory.models import PersonalToken, Role
from directory.services import accounts, personal_tokens
from directory.services.errors import NotFound, PermissionDenied
from directory.web.access import current_actor
from directory.web.auth import authenticated_by_token

PASSWORD = "mango season 2026"
CHEAP_ARGON2 = {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "argon2_parallelism": 1}
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_token_is_stored_hashed_and_authenticates_its_user(session, make_user):
    user = make_user(Role.OWNER)
    token, plaintext = personal_tokens.create_personal_token(session, user, "inventory script")
    session.commit()
    assert plaintext.startswith("smedir_pat_") and len(plaintext) > 40
    assert plaintext not in token.token_hash
    assert personal_tokens.authenticate_personal_token(session, plaintext) == (user, token)
    for bad in (None, "", plaintext + "x", "smedir_pat_nothing", plaintext[11:]):
        assert personal_tokens.authenticate_personal_token(session, bad) is None


def test_revoked_tokens_and_deactivated_users_stop_working(session, make_user):
    user, other = make_user(Role.OWNER), make_user(Role.OWNER)
    token, plaintext = personal_tokens.create_personal_token(session, user, "one")
    _token2, plaintext2 = personal_tokens.create_personal_token(session, user, "two")
    session.commit()
    with pytest.raises(PermissionDenied):
        personal_tokens.revoke_personal_token(session, other, token.id)
    personal_tokens.revoke_personal_token(session, user, token.id)
    session.commit()
    assert personal_tokens.authenticate_personal_token(session, plaintext) is None
    assert [t.name for t in personal_tokens.list_personal_tokens(session, user)] == ["two"]
    with pytest.raises(NotFound):
        personal_tokens.revoke_personal_token(session, user, token.id)
    user.active = False
    session.add(user)
    session.commit()
    assert personal_tokens.authenticate_personal_token(session, plaintext2) is None


def test_token_names_and_count_are_checked(session, make_user):
    user = make_user(Role.OWNER)
    with pytest.raises(accounts.AccountError) as err:
        personal_tokens.create_personal_token(session, user, "  ")
    assert err.value.field == "name"
    for n in range(personal_tokens.MAX_ACTIVE):
        personal_tokens.create_personal_token(session, user, f"t{n}")
    with pytest.raises(accounts.AccountError):
        personal_tokens.create_personal_token(session, user, "one too many")


@pytest.fixture
def app(app_factory, db_url):
    app = app_factory(db_url, security=CHEAP_ARGON2)
    app.config["WTF_CSRF_ENABLED"] = True

    def whoami():
        actor = current_actor()
        return jsonify(email=actor.email if actor else None, by_token=authenticated_by_token())

    app.add_url_rule("/api/v1/_whoami", "whoami_api", whoami)
    app.add_url_rule("/_whoami", "whoami_page", whoami)
    policy = accounts.AccountPolicy.from_config(app.config["SMEDIR"]["security"])
    with transaction(get_engine(app)) as session:
        accounts.create_user(session, "owner@example.com", PASSWORD, policy)
    yield app
    get_engine(app).dispose()


def create_token_in_the_page(client) -> str:
    html = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={
            "csrf_token": TOKEN_RE.search(html).group(1),
            "email": "owner@example.com",
            "password": PASSWORD,
        },
    )
    html = client.get("/account/tokens").get_data(as_text=True)
    response = client.post(
        "/account/tokens", data={"csrf_token": TOKEN_RE.search(html).group(1), "name": "erp"}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return re.search(r'<code id="new-token">([^<]+)</code>', response.get_data(as_text=True))[1]


def test_a_token_made_in_the_page_works_as_bearer_under_api_only(app):
    plaintext = create_token_in_the_page(app.test_client())
    assert plaintext not in app.test_client().get("/account/tokens").get_data(as_text=True)
    bearer = {"Authorization": f"Bearer {plaintext}"}
    api = app.test_client().get("/api/v1/_whoami", headers=bearer).get_json()
    assert api == {"email": "owner@example.com", "by_token": True}
    page = app.test_client().get("/_whoami", headers=bearer).get_json()
    assert page == {"email": None, "by_token": False}  # no bearer sign-in outside /api/
    wrong = app.test_client().get("/api/v1/_whoami", headers={"Authorization": "Bearer nope"})
    assert wrong.get_json() == {"email": None, "by_token": False}
    with new_session(get_engine(app)) as session:
        token = session.exec(select(PersonalToken)).one()
    assert token.last_used_at is not None


def test_revoking_in_the_page_ends_the_token(app):
    client = app.test_client()
    plaintext = create_token_in_the_page(client)
    with new_session(get_engine(app)) as session:
        token = session.exec(select(PersonalToken)).one()
    html = client.get("/account/tokens").get_data(as_text=True)
    response = client.post(
        f"/account/tokens/{token.id}/revoke", data={"csrf_token": TOKEN_RE.search(html).group(1)}
    )
    assert response.status_code == 302
    bearer = {"Authorization": f"Bearer {plaintext}"}
    assert app.test_client().get("/api/v1/_whoami", headers=bearer).get_json()["email"] is None
