"""Account pages over the Flask test client, on both databases: sign-up, password reset by
mail (read from the folder outbox), admin user management and the audit log page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from directory.context import get_engine
from directory.db import new_session, transaction
from directory.mail import outbox_path, read_outbox
from directory.models import AuditEntry, Role, User
from directory.services import accounts
from directory.services.audit import record_audit

PASSWORD = "mango season 2026"
CHEAP_ARGON2 = {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "argon2_parallelism": 1}
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(app_factory, db_url):
    app = app_factory(db_url, security=CHEAP_ARGON2)
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    get_engine(app).dispose()


def add_user(app, email, role=Role.OWNER, country=None):
    policy = accounts.AccountPolicy.from_config(app.config["SMEDIR"]["security"])
    with transaction(get_engine(app)) as session:
        return accounts.create_user(session, email, PASSWORD, policy, role=role, country=country)


def post_form(client, path, data, page=None):
    html = client.get(page or path).get_data(as_text=True)
    token = TOKEN_RE.search(html).group(1)
    return client.post(path, data={"csrf_token": token, **data})


def login(client, email, password=PASSWORD):
    response = post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)


def find_user(app, email) -> User:
    with new_session(get_engine(app)) as session:
        return session.exec(select(User).where(User.email == email)).one()


def test_signup_confirmed_by_mail_makes_an_owner_who_signs_in(app):
    client = app.test_client()
    response = post_form(
        client,
        "/signup?lang=en",
        {
            "email": "Sokha@Example.com",
            "display_name": "Sokha",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
    )
    assert response.status_code == 200  # "check your email"
    (mail,) = read_outbox(outbox_path(app.config["SMEDIR"]))
    link = urlsplit(re.search(r"http://\S+/signup/confirm/\S+", mail.get_content())[0]).path
    assert post_form(client, link, {}).status_code == 302
    login(client, "sokha@example.com")
    page = client.get("/account/password?lang=en").get_data(as_text=True)
    assert "Sokha" in page and "Sign out" in page
    user = find_user(app, "sokha@example.com")
    assert user.role == Role.OWNER and user.display_name == "Sokha"


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"email": "x@example.com", "password": "123", "password_confirm": "123"}, "password",
         "Use at least 10 characters."),
        ({"email": "x@example.com", "password": "iloveyou123", "password_confirm": "iloveyou123"},
         "password", "too common"),
        ({"email": "x@example.com", "password": PASSWORD, "password_confirm": "other"},
         "password_confirm", "differ"),
        ({"email": "nope", "password": PASSWORD, "password_confirm": PASSWORD}, "email",
         "valid email"),
    ],
)  # fmt: skip
def test_signup_shows_the_error_next_to_the_field(app, data, field, message):
    response = post_form(app.test_client(), "/signup?lang=en", data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    match = re.search(rf'id="{field}-error">([^<]*)<', html)
    assert match and message in match.group(1), html


def test_password_reset_by_mail(app):
    add_user(app, "owner@example.com")
    client = app.test_client()
    known = post_form(client, "/password/forgot?lang=en", {"email": "OWNER@example.com"})
    unknown = post_form(client, "/password/forgot?lang=en", {"email": "ghost@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    folder = outbox_path(app.config["SMEDIR"])
    mails = read_outbox(folder)
    assert [m["To"] for m in mails] == ["owner@example.com"]
    body = mails[0].get_content()
    link = re.search(r"http://\S+/password/reset/\S+", body).group(0)
    assert link.startswith(app.config["SMEDIR"]["node"]["base_url"])
    path = urlsplit(link).path

    form_page = client.get(path)
    assert form_page.status_code == 200
    assert form_page.headers["Referrer-Policy"] == "no-referrer"  # the token stays private
    new = "fresh kampot pepper"
    response = post_form(client, path, {"password": new, "password_confirm": new})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    login(client, "owner@example.com", new)
    assert client.get(path).status_code == 400  # used up
    assert client.get("/password/reset/not-a-token").status_code == 400


def test_admin_changes_a_role_and_reads_it_in_the_audit_log(app):
    admin = add_user(app, "admin@example.com", Role.ADMIN)
    sme = add_user(app, "sme@example.com")
    client = app.test_client()
    login(client, "admin@example.com")
    listing = client.get("/admin/users?q=sme&lang=en").get_data(as_text=True)
    assert f'href="/admin/users/{sme.id}"' in listing
    assert f'href="/admin/users/{admin.id}"' not in listing
    detail = f"/admin/users/{sme.id}"
    response = post_form(
        client, detail, {"action": "role", "role": "focal_point", "country": "", "reason": ""}
    )
    assert response.status_code == 400  # a reason is required
    assert find_user(app, "sme@example.com").role == Role.OWNER
    response = post_form(
        client,
        detail,
        {"action": "role", "role": "focal_point", "country": "KH", "reason": "provincial lead"},
    )
    assert response.status_code == 302
    user = find_user(app, "sme@example.com")
    assert (user.role, user.country) == (Role.FOCAL_POINT, "KH")
    audit = client.get("/admin/audit?action=user.role&lang=en").get_data(as_text=True)
    assert "provincial lead" in audit and f"user:{sme.id}" in audit
    assert "Role changed" in audit and "1 entry" in audit
    assert "provincial lead" not in client.get("/admin/audit?actor=nobody").get_data(as_text=True)
    detail_page = client.get(detail).get_data(as_text=True)
    assert f'href="/admin/audit?target=user:{sme.id}"' in detail_page
    by_target = client.get(f"/admin/audit?target=user:{sme.id}").get_data(as_text=True)
    assert "provincial lead" in by_target
    assert "provincial lead" not in client.get("/admin/audit?target=user:0").get_data(as_text=True)


def test_admin_deactivates_a_user_who_is_then_signed_out(app):
    add_user(app, "admin@example.com", Role.ADMIN)
    sme = add_user(app, "sme@example.com")
    sme_client, admin = app.test_client(), app.test_client()
    login(sme_client, "sme@example.com")
    login(admin, "admin@example.com")
    response = post_form(
        admin, f"/admin/users/{sme.id}", {"action": "deactivate", "reason": "fake company"}
    )
    assert response.status_code == 302
    assert sme_client.get("/account/password").status_code == 302  # back to the login page
    response = post_form(sme_client, "/login", {"email": "sme@example.com", "password": PASSWORD})
    assert response.status_code == 401


def test_admin_pages_are_for_admins_only(app):
    add_user(app, "fp@example.com", Role.FOCAL_POINT, "KH")
    visitor = app.test_client()
    response = visitor.get("/admin/users")
    assert (
        response.status_code == 302 and "/login?next=/admin/users" in response.headers["Location"]
    )
    reviewer = app.test_client()
    login(reviewer, "fp@example.com")
    for path in ("/admin/users", "/admin/audit", "/admin/users/1"):
        assert reviewer.get(path).status_code == 403, path


def test_audit_page_filters_by_date_and_reports_a_bad_date(app):
    admin = add_user(app, "admin@example.com", Role.ADMIN)
    with transaction(get_engine(app)) as session:
        record_audit(session, admin, "review.approve", "listing:kh-1", "all checked")
    client = app.test_client()
    login(client, "admin@example.com")
    assert "all checked" in client.get("/admin/audit?since=2000-01-01").get_data(as_text=True)
    assert "all checked" not in client.get("/admin/audit?until=2000-01-01").get_data(as_text=True)
    response = client.get("/admin/audit?since=yesterday&lang=en")
    assert response.status_code == 400
    assert "Use a date like" in response.get_data(as_text=True)


def test_navigation_follows_the_role(app):
    add_user(app, "admin@example.com", Role.ADMIN)
    add_user(app, "sme@example.com")
    visitor = app.test_client().get("/login?lang=en").get_data(as_text=True)
    assert "Sign up" in visitor and "Audit log" not in visitor
    owner = app.test_client()
    login(owner, "sme@example.com")
    page = owner.get("/account/password?lang=en").get_data(as_text=True)
    assert "Sign out" in page and "Audit log" not in page
    admin = app.test_client()
    login(admin, "admin@example.com")
    page = admin.get("/account/password?lang=en").get_data(as_text=True)
    assert "/admin/users" in page and "/admin/audit" in page


def test_entries_are_recorded_once_per_change(app):
    add_user(app, "admin@example.com", Role.ADMIN)
    sme = add_user(app, "sme@example.com")
    client = app.test_client()
    login(client, "admin@example.com")
    post_form(client, f"/admin/users/{sme.id}", {"action": "role", "role": "admin", "reason": "x"})
    with new_session(get_engine(app)) as session:
        entries = session.exec(select(AuditEntry)).all()
    assert [(e.action, e.actor_email) for e in entries] == [("user.role", "admin@example.com")]
