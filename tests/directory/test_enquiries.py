"""Buyer enquiries on one node: sending (confirmed by mail without an account), the owner's
inbox, answering and declining, what each side sees when, limits, blocks, the off switch."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from directory.db import new_session
from directory.mail import outbox_path, read_outbox
from directory.models import Enquiry, EnquiryState
from directory.services import enquiries as svc
from tests.directory.exchange_fixtures import engine_of, publish_own
from tests.directory.pages_helpers import add_account, csrf_from, login, post_form, user_by_email

BUYER = "buyer@bangkok-spice.example"
REQUEST = {
    "product": "Kampot pepper",
    "hs_code": "0904",
    "quantity": "2 tonnes a month",
    "target_market": "TH",
    "message": "สวัสดีครับ, we would like samples.",
    "organisation": "Bangkok Spice Co.",
    "country": "TH",
    "email": BUYER,
    "name": "Somchai",
    "phone": "+66812345678",
}


def _mails(app) -> list:
    return read_outbox(outbox_path(app.config["SMEDIR"]))


def _link(mail) -> str:
    return re.search(r"http://\S+(/enquiries/\S+)", mail.get_content()).group(1)


def _listing(app, draft_data, **sharing):
    """A published listing of a new owner account (who can sign in), and the owner's email."""
    email = add_account(app)
    with new_session(engine_of(app)) as s:
        owner = user_by_email(s, email)
    return publish_own(app, draft_data, owner=owner, **sharing), email


def _enquiries(app) -> list[Enquiry]:
    with new_session(engine_of(app)) as s:
        return list(s.execute(select(Enquiry).order_by(Enquiry.id)).scalars())


def test_a_buyer_enquires_confirms_and_the_owner_answers(app, draft_data):
    listing, owner_email = _listing(app, draft_data, contact_public=False)
    buyer = app.test_client()
    page = buyer.get(f"/listings/{listing.id}?lang=en")
    assert f'href="/listings/{listing.id}/enquire"' in page.text
    url = f"/listings/{listing.id}/enquire"
    bad = post_form(buyer, url, {**REQUEST, "product": "", "country": "XX", "email": "nope"})
    assert bad.status_code == 422
    for pointer in ("/product", "/country", "/email"):
        assert pointer in bad.text
    sent = post_form(buyer, url, REQUEST)
    assert sent.status_code == 200 and "enquiry-sent" in sent.text
    (confirm_mail,) = _mails(app)
    assert confirm_mail["To"] == BUYER
    owner = app.test_client()
    login(owner, owner_email)
    assert "Kampot pepper" not in owner.get("/my/enquiries?lang=en").text  # not confirmed yet

    link = _link(confirm_mail)
    confirmed = buyer.post(link, data={"csrf_token": csrf_from(buyer.get(link).text)})
    assert confirmed.status_code == 302
    status_url = confirmed.headers["Location"]
    owner_mail = _mails(app)[-1]
    assert owner_mail["To"] == owner_email and BUYER not in owner_mail.get_content()
    inbox = owner.get("/my/enquiries?lang=km")
    assert "Kampot pepper" in inbox.text and "Bangkok Spice Co." in inbox.text
    (enquiry,) = _enquiries(app)
    detail = owner.get(f"/my/enquiries/{enquiry.id}?lang=en")
    assert "samples" in detail.text
    for secret in (BUYER, "+66812345678", "Somchai"):
        assert secret not in detail.text  # nothing of the buyer's contact before an answer
    assert _enquiries(app)[0].state == EnquiryState.READ
    shop = draft_data["contact"]
    assert shop["email"] not in buyer.get(status_url).text

    answered = post_form(
        owner,
        f"/my/enquiries/{enquiry.id}/answer",
        [("answer", "Samples leave on Monday."), ("show", "email")],
        page_url=f"/my/enquiries/{enquiry.id}",
    )
    assert answered.status_code == 302
    detail = owner.get(f"/my/enquiries/{enquiry.id}?lang=en").text
    assert BUYER in detail and "+66812345678" in detail
    buyer_mail = _mails(app)[-1]
    assert buyer_mail["To"] == BUYER
    status = buyer.get(_link(buyer_mail) + "?lang=en").text
    assert "Samples leave on Monday." in status and shop["email"] in status
    assert shop["phone"] not in status  # the owner chose to show the email only
    assert "1 enquiry this year" in owner.get("/my/listings?lang=en").text
    stats = buyer.get("/stats?lang=en").text
    assert "chart-enquiry-provinces" in stats and "1 enquiry to listings" in stats
    again = post_form(
        owner, f"/my/enquiries/{enquiry.id}/decline", {}, f"/my/enquiries/{enquiry.id}"
    )
    assert again.status_code == 302 and _enquiries(app)[0].state == EnquiryState.ANSWERED


def test_limits_blocks_and_the_off_switch(app_factory, db_url, draft_data):
    app = app_factory(db_url, enquiries={"max_per_sender_per_day": 2})
    listing, _owner = _listing(app, draft_data)
    buyer = app.test_client()
    url = f"/listings/{listing.id}/enquire"
    assert [post_form(buyer, url, REQUEST).status_code for _ in range(3)] == [200, 200, 429]
    refused = post_form(buyer, url, REQUEST)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert len(_enquiries(app)) == 2

    fp = app.test_client()
    login(fp, add_account(app, "focal_point", "KH"))
    ref = _enquiries(app)[0].sender_ref
    blocked = post_form(fp, "/review/enquiries", {"sender_ref": ref, "reason": "spam"})
    assert blocked.status_code == 302
    other = {**REQUEST, "email": BUYER.upper()}  # the same address, written differently
    response = post_form(app.test_client(), url, other, page_url=f"{url}?lang=en")
    assert response.status_code == 403
    assert "are blocked by the directory" in response.text

    member = app.test_client()  # a signed-in buyer with a confirmed address sends at once
    login(member, add_account(app))
    request = {k: v for k, v in REQUEST.items() if k != "email"}
    assert post_form(member, url, request).status_code == 200
    assert _enquiries(app)[-1].state == EnquiryState.NEW

    off, _ = _listing(app, draft_data, enquiries=False)
    assert "send-enquiry" not in buyer.get(f"/listings/{off.id}?lang=en").text
    assert buyer.get(f"/listings/{off.id}/enquire?lang=en").status_code == 409


def test_open_enquiries_expire_and_old_ones_are_purged(app, draft_data):
    listing, _owner = _listing(app, draft_data)
    client = app.test_client()
    post_form(client, f"/listings/{listing.id}/enquire", REQUEST)
    policy = svc.EnquiryPolicy(expire_days=30, keep_days=60)
    with new_session(engine_of(app), write=True) as s:
        later = svc.utcnow() + timedelta(days=31)
        assert svc.expire_enquiries(s, policy, later) == 1
        assert svc.purge_enquiries(s, policy, later) == 0
        assert svc.purge_enquiries(s, policy, later + timedelta(days=30)) == 1
        s.commit()


def test_a_saved_search_mails_new_matches_at_most_daily(app, draft_data):
    from directory.cli.enquiries import housekeeping

    buyer = app.test_client()
    page = buyer.get("/search?hs=0904&lang=en").text
    assert 'action="/search/save"' in page
    saved = post_form(buyer, "/search/save", {"hs": "0904", "email": BUYER}, "/search?hs=0904")
    assert saved.status_code == 200
    url = re.search(r"(/search/saved/confirm/\S+)", _mails(app)[-1].get_content()).group(1)
    assert buyer.post(url, data={"csrf_token": csrf_from(buyer.get(url).text)}).status_code == 200
    pepper = {**draft_data, "products": [{"name": "Kampot pepper", "hs_code": "090411"}]}
    listing, _owner = _listing(app, pepper)
    _listing(app, {**draft_data, "products": [{"name": "Rice", "hs_code": "1006"}]})
    with app.app_context():
        assert housekeeping().endswith("1 saved-search mails")
        assert housekeeping().endswith("0 saved-search mails")  # at most one mail a day
    digest = _mails(app)[-1]
    assert digest["To"] == BUYER and f"/listings/{listing.id}" in digest.get_content()
    assert digest.get_content().count("/listings/") == 1
