"""Sign-up on both databases: the mailed confirmation link, the same answer for a known and an
unknown address (the owner is told by mail), and the per-address limit across two workers."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlmodel import select

from directory.context import get_engine
from directory.db import new_session, transaction
from directory.mail import read_outbox
from directory.models import User
from directory.services import accounts, signups

PASSWORD = "mango season 2026"
CHEAP_ARGON2 = {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "argon2_parallelism": 1}
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK_RE = re.compile(r"http://\S+/signup/confirm/\S+")


@pytest.fixture
def outbox(tmp_path):
    return tmp_path / "outbox"


@pytest.fixture
def make(app_factory, db_url, outbox):
    """Factory: an app (a worker) on this test's database, sharing one outbox, CSRF on."""
    apps = []

    def make(**security):
        app = app_factory(
            db_url, security={**CHEAP_ARGON2, **security}, mail={"outbox": str(outbox)}
        )
        app.config["WTF_CSRF_ENABLED"] = True
        apps.append(app)
        return app

    yield make
    for app in apps:
        get_engine(app).dispose()


@pytest.fixture
def app(make):
    return make()


def post_form(client, path, data, page=None):
    token = TOKEN_RE.search(client.get(page or path).get_data(as_text=True)).group(1)
    return client.post(path, data={"csrf_token": token, **data})


def sign_up(client, email, password=PASSWORD, lang="en"):
    data = {"email": email, "password": password, "password_confirm": password}
    return post_form(client, f"/signup?lang={lang}", data)


def login(client, email, password=PASSWORD):
    return post_form(client, "/login?lang=en", {"email": email, "password": password})


def confirm_link(mail) -> str:
    return urlsplit(LINK_RE.search(mail.get_content()).group(0)).path


def add_confirmed(app, email, locale="km"):
    policy = accounts.AccountPolicy.from_config(app.config["SMEDIR"]["security"])
    with transaction(get_engine(app)) as session:
        accounts.create_user(session, email, PASSWORD, policy, locale=locale)


def test_an_account_signs_in_only_after_the_mailed_link_is_confirmed(app, outbox):
    client = app.test_client()
    response = sign_up(client, "Sokha@Example.com")
    assert response.status_code == 200 and "sokha@example.com" in response.text
    assert "Check your email" in response.text
    (mail,) = read_outbox(outbox)
    assert mail["To"] == "sokha@example.com" and mail["Subject"] == "Confirm your email address"
    refused = login(client, "sokha@example.com")
    assert refused.status_code == 403 and "Confirm your email address first" in refused.text

    path = confirm_link(mail)
    page = client.get(path + "?lang=en")
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    with new_session(get_engine(app)) as session:  # opening the page alone confirms nothing
        assert accounts.find_user(session, "sokha@example.com").email_confirmed_at is None
    confirmed = post_form(client, path, {})
    assert confirmed.status_code == 302 and confirmed.headers["Location"].startswith("/login")
    assert login(client, "sokha@example.com").status_code == 302
    assert post_form(client, path, {}, page="/login").status_code == 302  # again: harmless
    assert client.get("/signup/confirm/not-a-token").status_code == 400


def _without_tokens(html: str) -> str:
    return TOKEN_RE.sub("", html)


def test_a_known_and_an_unknown_address_get_the_same_answer_and_the_owner_a_mail(app, outbox):
    add_confirmed(app, "taken@example.com", locale="km")
    known = sign_up(app.test_client(), "taken@example.com", "another 2026 password")
    unknown = sign_up(app.test_client(), "new@example.com", "another 2026 password")
    assert known.status_code == unknown.status_code == 200
    same = _without_tokens(known.text).replace("taken@example.com", "new@example.com")
    assert same == _without_tokens(unknown.text)
    assert set(known.headers.keys()) == set(unknown.headers.keys())
    mails = {m["To"]: m for m in read_outbox(outbox)}
    assert set(mails) == {"taken@example.com", "new@example.com"}
    note = mails["taken@example.com"]
    assert not LINK_RE.search(note.get_content())  # no link that could change the account
    assert "/password/forgot" in note.get_content()
    assert re.search("[\u1780-\u17ff]", note["Subject"])  # in the owner's language (km)
    assert login(app.test_client(), "taken@example.com").status_code == 302  # unchanged
    assert login(app.test_client(), "taken@example.com", "another 2026 password").status_code == 401


def test_signing_up_again_before_confirming_replaces_the_password_and_the_link(app, outbox):
    client = app.test_client()
    sign_up(client, "twice@example.com", "first chosen password")
    sign_up(client, "twice@example.com", "second chosen password")
    first, second = read_outbox(outbox)
    assert post_form(client, confirm_link(first), {}, page="/login").status_code == 400
    assert post_form(client, confirm_link(second), {}, page="/login").status_code == 302
    assert login(client, "twice@example.com", "first chosen password").status_code == 401
    assert login(client, "twice@example.com", "second chosen password").status_code == 302
    with new_session(get_engine(app)) as session:
        assert len(session.exec(select(User)).all()) == 1


def test_an_expired_link_is_refused(app, outbox):
    sign_up(app.test_client(), "late@example.com")
    token = confirm_link(read_outbox(outbox)[0]).rsplit("/", 1)[1]
    data = URLSafeTimedSerializer(app.secret_key, salt=signups.CONFIRM_SALT).loads(token)

    class Earlier(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 49 * 3600  # the default link lives 48 hours

    signed_earlier = URLSafeTimedSerializer(app.secret_key, signups.CONFIRM_SALT, signer=Earlier)
    old = signed_earlier.dumps(data)
    client = app.test_client()
    response = client.get(f"/signup/confirm/{old}?lang=en")
    assert response.status_code == 400 and "expired" in response.text
    assert client.get(f"/signup/confirm/{token}").status_code == 200


def test_a_password_reset_link_also_confirms_the_address(app, outbox):
    client = app.test_client()
    sign_up(client, "forgetful@example.com")
    post_form(client, "/password/forgot", {"email": "forgetful@example.com"})
    reset = [m for m in read_outbox(outbox) if "/password/reset/" in m.get_content()][0]
    path = urlsplit(re.search(r"http://\S+/password/reset/\S+", reset.get_content())[0]).path
    new = "fresh kampot pepper"
    assert post_form(client, path, {"password": new, "password_confirm": new}).status_code == 302
    assert login(client, "forgetful@example.com", new).status_code == 302


def test_sign_ups_are_limited_per_address_across_two_workers(make, outbox):
    one, two = make(signup_max_per_address=3), make(signup_max_per_address=3)
    clients = [one.test_client(), two.test_client()]
    for n in range(3):  # sign-ups alternate between the two workers
        assert sign_up(clients[n % 2], f"shop{n}@example.com").status_code == 200
    for n, client in enumerate(clients):
        response = sign_up(client, f"more{n}@example.com")
        assert response.status_code == 429
        assert "Too many sign-ups" in response.text
        assert int(response.headers["Retry-After"]) > 0
    assert len(read_outbox(outbox)) == 3  # nothing mailed past the limit
    with new_session(get_engine(one)) as session:
        assert len(session.exec(select(User)).all()) == 3
    # the sign-up count is not a sign-in failure: a confirmed owner still signs in
    add_confirmed(one, "owner@example.com")
    assert login(clients[0], "owner@example.com").status_code == 302


def test_the_sign_up_pages_and_mails_are_in_khmer(app, outbox):
    client = app.test_client()
    page = sign_up(client, "khmer@example.com", lang="km")
    assert page.status_code == 200 and "Check your email" not in page.text
    assert re.search("[\u1780-\u17ff]", page.text)
    (mail,) = read_outbox(outbox)
    assert re.search("[\u1780-\u17ff]", mail["Subject"])
    assert re.search("[\u1780-\u17ff]", mail.get_content())
    confirm = client.get(confirm_link(mail) + "?lang=km")
    assert re.search("[\u1780-\u17ff]", confirm.text) and "Confirm your email" not in confirm.text
