"""What SME owners, focal points and admins read: our own error pages in both languages,
one status phrase, where sign-up leads, audit and sync pages in words, Babel dates,
the queue's duplicate marker and the token form's error."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from directory.mail import outbox_path, read_outbox
from directory.models import Role
from tests.conftest import load_example
from tests.directory.pages_helpers import (
    PASSWORD,
    add_account,
    csrf_from,
    form_fields,
    pending_listing,
    post_form,
    published_listing,
    signed_in,
)

KHMER = re.compile("[\u1780-\u17ff]")
RICE = load_example("battambang-rice-mill")


@pytest.mark.parametrize(("lang", "title"), [("en", "Page not found"), ("km", "រកមិនឃើញទំព័រ")])
def test_not_found_is_our_page_in_the_page_language(app, lang, title):
    response = app.test_client().get(f"/no/such/page?lang={lang}")
    assert response.status_code == 404
    assert f"<h1>{title}</h1>" in response.text and 'class="site-header"' in response.text
    assert "Not Found" not in response.text  # not werkzeug's bare English page


def test_forbidden_and_server_error_pages_are_ours(app):
    def boom():
        raise RuntimeError("broken on purpose")

    app.add_url_rule("/boom", "boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client, _ = signed_in(app)
    page = client.get("/admin/users?lang=km")
    assert page.status_code == 403 and "អ្នកមិនអាចបើកទំព័រនេះបានទេ" in page.text
    page = app.test_client().get("/boom?lang=en")
    assert page.status_code == 500 and "Something went wrong on our side" in page.text
    assert "broken on purpose" not in page.text


def test_the_api_still_answers_errors_as_problem_documents(app):
    response = app.test_client().get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_an_expired_form_says_so(app):
    client = app.test_client()
    client.get("/login?lang=en")
    response = client.post("/login", data={"email": "a@example.com", "password": "x"})
    assert response.status_code == 400 and "The form has expired" in response.text


@pytest.mark.parametrize("lang", ["en", "km"])
def test_a_withdrawn_listing_says_it_was_withdrawn(app, lang):
    owner, focal = add_account(app), add_account(app, Role.FOCAL_POINT, "KH")
    listing_id = published_listing(app, owner, RICE, focal)
    client = app.test_client()
    from tests.directory.pages_helpers import login

    login(client, owner)
    post_form(client, f"/my/listings/{listing_id}/withdraw", {})
    page = app.test_client().get(f"/listings/{listing_id}?lang={lang}")
    assert page.status_code == 410
    assert ("withdrawn" in page.text) if lang == "en" else ("ដកចេញ" in page.text)


def test_the_owner_reads_one_status_phrase_not_draft_twice(app):
    client, owner = signed_in(app)
    pending_listing(app, owner, RICE)
    page = client.get("/my/listings?lang=en").text
    assert "Waiting for review" in page and "Draft" not in page
    post_form(client, "/my/listings/new", [*form_fields(RICE), ("action", "save")])
    page = client.get("/my/listings?lang=en").text
    assert page.count("Draft, not yet submitted") == 1


def test_the_first_sign_in_after_sign_up_leads_to_my_listings(app):
    client = app.test_client()
    fields = {"email": "new-owner@example.com", "password": PASSWORD, "password_confirm": PASSWORD}
    post_form(client, "/signup?lang=en", fields)
    (mail,) = read_outbox(outbox_path(app.config["SMEDIR"]))
    link = urlsplit(re.search(r"http://\S+/signup/confirm/\S+", mail.get_content())[0]).path
    confirmed = post_form(client, link, {})
    assert (
        confirmed.status_code == 302 and confirmed.headers["Location"] == "/login?next=/my/listings"
    )
    login_page = client.get(confirmed.headers["Location"]).text
    signed = client.post(
        confirmed.headers["Location"],
        data={"email": fields["email"], "password": PASSWORD, "csrf_token": csrf_from(login_page)},
    )
    assert signed.status_code == 302 and signed.headers["Location"] == "/my/listings"


def test_audit_log_reads_as_words_not_codes_or_json(app):
    owner, focal = add_account(app), add_account(app, Role.FOCAL_POINT, "KH")
    listing_id, rev_id = pending_listing(app, owner, RICE)
    reviewer, _ = signed_in(app, Role.FOCAL_POINT, "KH")
    post_form(reviewer, f"/review/{rev_id}", {"decision": "request_changes", "reason": "ផ្ញើរូបថត"})
    admin, _ = signed_in(app, Role.ADMIN)
    page = admin.get("/admin/audit?lang=km").text
    assert "review.request_changes" not in page.split('<table class="audit">', 1)[1]
    assert '{"' not in page and "ផ្ញើរូបថត" in page and "មូលហេតុ" in page
    assert re.search(r"\d{1,2} [\u1780-\u17ff]+ 20\d\d \d\d:\d\d", page)  # Babel date, 24 h
    assert " AM" not in page and " PM" not in page
    del focal, listing_id


def test_the_queue_marks_likely_duplicates(app):
    owner = add_account(app)
    focal = add_account(app, Role.FOCAL_POINT, "KH")
    published_listing(app, owner, RICE, focal)
    pending_listing(app, owner, RICE)  # the same registration number again
    client, _ = signed_in(app, Role.FOCAL_POINT, "KH")
    page = client.get("/review?lang=en").text
    assert "1 likely duplicate" in page and "duplicate-marker" in page


def test_a_token_without_scope_gets_a_plain_message(app):
    app.config["SMEDIR"]["peers"] = [{"id": "th"}]
    client, _ = signed_in(app, Role.ADMIN)
    page = post_form(client, "/admin/tokens?lang=km", {"peer_id": "th", "name": "x"})
    assert page.status_code == 422
    assert "scopes must be" not in page.text and "វិសាលភាព" in page.text
