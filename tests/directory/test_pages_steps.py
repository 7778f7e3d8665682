"""The listing in steps: the basics save and submit on their own, each further step saves
only its own fields, steps can be skipped and come back, progress counts them, and phone
numbers are stored in E.164 whatever way they were typed."""

from __future__ import annotations

import pytest
from sqlmodel import select

from directory.models import Listing, Revision, RevisionState
from directory.records import parse_json
from directory.web import listing_steps
from tests.directory.pages_helpers import post_form, read, signed_in

BASICS = [
    ("step", "basics"),
    ("/names/km", "ហាងកាហ្វេ ភ្នំសំពៅ"),
    ("/sectors/0", "5630"),
    ("/address/country", "KH"),
    ("/address/province", "KH-2"),
    ("/address/district", "Battambang"),
    ("/contact/phone", "012 345 678"),
]


def _draft(app, listing_id: str) -> dict:
    def find(session):
        revision = session.exec(
            select(Revision)
            .where(Revision.listing_id == listing_id)
            .order_by(Revision.number.desc())
        ).first()
        return parse_json(revision.document), revision.state

    return read(app, find)


def _start(client) -> str:
    response = post_form(client, "/my/listings/new", [*BASICS, ("action", "save")])
    assert response.status_code == 302, response.text
    return response.headers["Location"].split("/")[-2]


def test_the_basics_alone_make_a_draft_without_registration(app):
    client, _ = signed_in(app)
    page = client.get("/my/listings/new?lang=en").text
    assert 'name="/registration/number"' not in page and 'name="/contact/phone"' in page
    assert "ការបកប្រែក្រៅផ្លូវការ" in client.get("/my/listings/new?lang=km").text  # ISIC titles
    listing_id = _start(client)
    doc, state = _draft(app, listing_id)
    assert state == RevisionState.DRAFT and "registration" not in doc
    assert doc["contact"]["phone"] == "+85512345678"
    overview = client.get(f"/my/listings/{listing_id}/edit?lang=en").text
    assert "0 of 6 done" in overview  # sharing's default choices are not the owner's
    assert overview.count('class="step-item done"') == 1  # the basics


def test_the_basics_can_be_submitted_for_review_at_once(app):
    client, _ = signed_in(app)
    response = post_form(client, "/my/listings/new", [*BASICS, ("action", "submit")])
    assert response.status_code == 302
    listing_id = response.headers["Location"].split("/")[-2]
    assert _draft(app, listing_id)[1] == RevisionState.PENDING


def test_each_step_saves_only_its_own_fields_and_leads_on(app):
    client, _ = signed_in(app)
    listing_id = _start(client)
    url = f"/my/listings/{listing_id}/step/size"
    response = post_form(
        client,
        url,
        [("step", "size"), ("/employees", "8"), ("/size_class", "micro"), ("action", "save")],
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/step/products")
    doc, _state = _draft(app, listing_id)
    assert doc["employees"] == 8 and doc["names"]["km"] == "ហាងកាហ្វេ ភ្នំសំពៅ"
    assert doc["contact"]["phone"] == "+85512345678"  # the basics' phone is kept
    # skipped: products and markets; registration comes back later
    response = post_form(
        client,
        f"/my/listings/{listing_id}/step/registration",
        [
            ("step", "registration"),
            ("/registration/country", "KH"),
            ("/registration/authority", "Ministry of Commerce"),
            ("/registration/number", "123"),
            ("/legal_form", "sole_proprietorship"),
            ("action", "save_close"),
        ],
    )
    assert response.headers["Location"].endswith(f"/my/listings/{listing_id}/edit")
    doc, _state = _draft(app, listing_id)
    assert doc["registration"]["number"] == "123" and doc["employees"] == 8
    assert "2 of 6 done" in client.get(f"/my/listings/{listing_id}/edit?lang=en").text
    # saving sharing as it was (the defaults) counts: the owner made that choice
    sharing = [("step", "sharing"), ("/sharing/public", "true"), ("action", "save_close")]
    assert post_form(client, f"/my/listings/{listing_id}/step/sharing", sharing).status_code == 302
    assert _draft(app, listing_id)[0]["sharing"]["public"] is True
    assert "3 of 6 done" in client.get(f"/my/listings/{listing_id}/edit?lang=en").text


def test_a_registration_without_its_number_is_refused_next_to_the_field(app):
    client, _ = signed_in(app)
    listing_id = _start(client)
    response = post_form(
        client,
        f"/my/listings/{listing_id}/step/registration?lang=en",
        [
            ("step", "registration"),
            ("/registration/country", "KH"),
            ("/registration/authority", "Ministry of Commerce"),
            ("action", "save"),
        ],
    )
    assert response.status_code == 422 and 'id="f-registration-number-error"' in response.text


@pytest.mark.parametrize(
    "typed", ["012 345 678", "+855 12 345 678", "855-12-345678", "(012) 345-678"]
)
def test_phone_numbers_as_people_type_them_are_stored_in_e164(typed):
    doc = {"address": {"country": "KH"}, "contact": {"phone": typed}}
    assert listing_steps.normalize_phone(doc, "KH")["contact"]["phone"] == "+85512345678"


def test_the_country_of_the_address_decides_a_local_number():
    doc = {"address": {"country": "TH"}, "contact": {"phone": "081 234 5678"}}
    assert listing_steps.normalize_phone(doc, "KH")["contact"]["phone"] == "+66812345678"


def test_a_number_that_is_no_phone_number_is_reported_not_changed(app):
    client, _ = signed_in(app)
    bad = [(k, "12" if k == "/contact/phone" else v) for k, v in BASICS]
    response = post_form(client, "/my/listings/new?lang=km", [*bad, ("action", "save")])
    assert response.status_code == 422 and 'value="12"' in response.text
    assert "012 345 678" in response.text  # the message shows how to type it
    assert read(app, lambda s: s.exec(select(Listing)).first()) is None


def test_every_field_of_the_schema_belongs_to_one_step():
    from tests.directory.test_pages_listings import _schema_pointers

    owners = [s.pointers for s in (listing_steps.BASICS, *listing_steps.STEPS)]
    for pointer in _schema_pointers() - {"/id", "/origin", "/version", "/updated_at"}:
        owning = [p for ps in owners for p in ps if (pointer + "/").startswith(p + "/")]
        assert len(owning) == 1, pointer
