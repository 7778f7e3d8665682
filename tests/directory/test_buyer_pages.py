"""A signed-in buyer's "Sent enquiries" (states and answers) and "Saved searches" (list, pause,
resume, delete), in English and Khmer, linked from the account menu; both databases."""

from __future__ import annotations

import re

from directory.cli.enquiries import housekeeping
from directory.db import new_session
from directory.mail import outbox_path, read_outbox
from directory.models import SavedSearch
from tests.directory.exchange_fixtures import engine_of, publish_own
from tests.directory.pages_helpers import add_account, csrf_from, login, post_form, user_by_email

REQUEST = {
    "product": "Kampot pepper",
    "hs_code": "0904",
    "quantity": "2 tonnes a month",
    "target_market": "TH",
    "message": "We would like samples.",
    "organisation": "Bangkok Spice Co.",
    "country": "TH",
}
KHMER = re.compile("[\u1780-\u17ff]")


def _signed_in(app) -> tuple[object, str]:
    email = add_account(app)
    client = app.test_client()
    login(client, email)
    return client, email


def _listing(app, draft_data):
    email = add_account(app)
    with new_session(engine_of(app)) as s:
        owner = user_by_email(s, email)
    return publish_own(app, draft_data, owner=owner, contact_public=False), email


def _rows(html: str, attr: str) -> list[str]:
    return re.findall(rf'<tr {attr}="([^"]+)">', html)


def test_a_buyer_follows_the_enquiries_they_sent_and_their_answers(app, draft_data):
    listing, owner_email = _listing(app, draft_data)
    buyer, buyer_email = _signed_in(app)
    url = f"/listings/{listing.id}/enquire"
    assert post_form(buyer, url, {**REQUEST, "email": buyer_email}).status_code in (200, 302)
    second = {**REQUEST, "product": "White pepper", "email": buyer_email}
    assert post_form(buyer, url, second).status_code in (200, 302)

    nav = buyer.get("/?lang=en").text
    assert 'href="/my/sent-enquiries"' in nav and 'href="/my/saved-searches"' in nav
    page = buyer.get("/my/sent-enquiries?lang=en").text
    assert len(_rows(page, "data-enquiry")) == 2
    assert page.index("White pepper") < page.index("Kampot pepper")  # newest first
    assert page.count("status-new") == 2

    owner = app.test_client()
    login(owner, owner_email)
    inbox = owner.get("/my/enquiries?lang=en").text
    first = re.findall(r"/my/enquiries/(\d+)", inbox)[-1]  # the oldest: Kampot pepper
    post_form(
        owner,
        f"/my/enquiries/{first}/answer",
        [("answer", "Samples leave on Monday."), ("show", "email")],
        page_url=f"/my/enquiries/{first}",
    )
    page = buyer.get("/my/sent-enquiries?lang=en").text
    assert "Samples leave on Monday." in page and "status-answered" in page
    assert "status-new" in page  # the other one is still open
    status = re.search(r'Monday.</span><br><a href="(/enquiries/status/[^"]+)"', page).group(1)
    assert "Samples leave on Monday." in buyer.get(status).text  # the answer, with contacts
    khmer = buyer.get("/my/sent-enquiries?lang=km").text
    assert KHMER.search(re.search(r"<h1>(.*?)</h1>", khmer).group(1))
    assert "Sent enquiries" not in khmer

    stranger, _ = _signed_in(app)
    assert _rows(stranger.get("/my/sent-enquiries?lang=en").text, "data-enquiry") == []
    assert app.test_client().get("/my/sent-enquiries").status_code in (302, 401)


def test_a_buyer_pauses_resumes_and_deletes_saved_searches(app, draft_data):
    buyer, email = _signed_in(app)
    saved = post_form(buyer, "/search/save", {"hs": "0904", "email": email}, "/search?hs=0904")
    assert saved.status_code == 200
    mail = read_outbox(outbox_path(app.config["SMEDIR"]))[-1]
    link = re.search(r"(/search/saved/confirm/\S+)", mail.get_content()).group(1)
    buyer.post(link, data={"csrf_token": csrf_from(buyer.get(link).text)})
    post_form(buyer, "/search/save", {"q": "silk", "email": email}, "/search?q=silk")

    page = buyer.get("/my/saved-searches?lang=en").text
    ids = _rows(page, "data-saved-search")
    assert len(ids) == 2
    hs_id, silk_id = ids[1], ids[0]  # newest first
    assert "HS code: <strong>0904</strong>" in page and "Words: <strong>silk</strong>" in page
    assert "Active" in page and "Waiting for your confirmation" in page

    pause = f"/my/saved-searches/{hs_id}/pause"
    stranger, _ = _signed_in(app)
    assert post_form(stranger, pause, {}, "/my/saved-searches").status_code == 404
    done = post_form(buyer, pause, {}, "/my/saved-searches")
    assert done.status_code == 302
    page = buyer.get("/my/saved-searches?lang=en").text
    assert "Paused" in page and f"/my/saved-searches/{hs_id}/resume" in page
    _listing(app, {**draft_data, "products": [{"name": "Kampot pepper", "hs_code": "090411"}]})
    with app.app_context():
        assert housekeeping().endswith("0 saved-search mails")  # paused: no mail
    post_form(buyer, f"/my/saved-searches/{hs_id}/resume", {}, "/my/saved-searches")
    _listing(app, {**draft_data, "products": [{"name": "Green pepper", "hs_code": "090412"}]})
    with app.app_context():
        assert housekeeping().endswith("1 saved-search mails")  # resumed: the newer one
    digest = read_outbox(outbox_path(app.config["SMEDIR"]))[-1].get_content()
    assert digest.count("/listings/") == 1

    khmer = buyer.get("/my/saved-searches?lang=km").text
    assert KHMER.search(re.search(r"<h1>(.*?)</h1>", khmer).group(1)) and "Paused" not in khmer
    post_form(buyer, f"/my/saved-searches/{silk_id}/delete", {}, "/my/saved-searches")
    assert _rows(buyer.get("/my/saved-searches").text, "data-saved-search") == [hs_id]
    with new_session(engine_of(app)) as s:
        assert s.get(SavedSearch, int(silk_id)) is None
