"""The SME owner's pages on both databases: form errors, drafts, submit, edits, withdrawal."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from directory.models import Listing, ListingState, Revision, RevisionState, Role
from directory.records import SYSTEM_FIELDS, parse_json
from directory.web import forms
from schemas import SCHEMA_DIR
from tests.conftest import load_example
from tests.directory.pages_helpers import (
    add_account,
    form_fields,
    pending_listing,
    post_form,
    published_listing,
    read,
    signed_in,
)

RICE = load_example("battambang-rice-mill")


def _fields(doc, **changes):
    pairs = dict(form_fields(doc))
    pairs.update(changes)
    multi = [(k, v) for k, v in form_fields(doc) if k in ("/export_markets", "/sharing/peers")]
    return [(k, v) for k, v in pairs.items() if k not in dict(multi)] + multi


def _listing_count(app) -> int:
    return read(app, lambda s: s.execute(select(func.count()).select_from(Listing)).scalar_one())


def _input_then_error(html: str, pointer: str) -> str:
    """The text between an input and the next input: where its error must be."""
    fid = forms.field_id(pointer)
    start = html.index(f'id="{fid}"')
    end = html.find("<input", start + 1)
    return html[start:end]


@pytest.mark.parametrize("lang", ["en", "km"])
def test_invalid_fields_show_errors_next_to_them_in_the_page_language(app, lang):
    client, _ = signed_in(app)
    client.get(f"/?lang={lang}")
    bad = _fields(RICE, **{"/contact/email": "not-an-email", "/employees": "many"})
    response = post_form(client, "/my/listings/new", bad)
    assert response.status_code == 422
    html = response.text
    with app.test_request_context(f"/?lang={lang}"):
        expected_format = str(forms.FIELD_HINTS["email"])
        expected_number = str(forms.MESSAGES["integer"])
        email_label = forms.label_for("/contact/email")
    email_block = _input_then_error(html, "/contact/email")
    assert 'class="error-text"' in email_block and str(expected_format) in email_block
    assert "must be an email address" not in html  # no English line after the message
    assert str(expected_number) in _input_then_error(html, "/employees")
    assert 'aria-invalid="true"' in email_block
    assert f">{email_label}</a>" in html  # the summary links to the field
    assert 'value="not-an-email"' in html  # what was typed is kept
    if lang == "km":
        assert str(expected_format) != "Enter an email address like name@example.com."
        assert re.search("[\u1780-\u17ff]", str(expected_format))
    assert _listing_count(app) == 0  # nothing saved


def test_save_draft_then_submit_from_the_list(app):
    client, _ = signed_in(app)
    response = post_form(
        client, "/my/listings/new", [*_fields(RICE), ("action", "save")], "/my/listings/new"
    )
    assert response.status_code == 302
    listing_id = response.headers["Location"].split("/")[-2]
    page = client.get("/my/listings?lang=en").text
    assert "Battambang Meas Rice Mill" in page and "Draft" in page
    response = post_form(client, f"/my/listings/{listing_id}/submit", {}, "/my/listings")
    assert response.status_code == 302
    revision = read(app, lambda s: s.execute(select(Revision)).scalar_one())
    assert revision.state == RevisionState.PENDING
    assert "Waiting for review" in client.get("/my/listings?lang=en").text


def test_submit_straight_from_the_new_form(app):
    client, _ = signed_in(app)
    response = post_form(client, "/my/listings/new", [*_fields(RICE), ("action", "submit")])
    assert response.status_code == 302
    page = client.get(response.headers["Location"] + "?lang=en").text
    assert "Waiting for review" in page
    assert read(app, lambda s: s.execute(select(Revision.state)).scalar_one()) == "pending"


def test_an_approved_listing_stays_live_while_an_edit_waits(app):
    client, owner = signed_in(app)
    reviewer = add_account(app, Role.FOCAL_POINT, "KH")
    listing_id = published_listing(app, owner, RICE, reviewer)
    edit_url = f"/my/listings/{listing_id}/edit"
    changed = _fields(RICE, **{"/names/en": "Meas Rice Mill and Trading"})
    response = post_form(client, edit_url, [*changed, ("action", "submit")])
    assert response.status_code == 302
    assert "Battambang Meas Rice Mill" in client.get(f"/listings/{listing_id}").text
    visitor = app.test_client().get(f"/listings/{listing_id}?lang=en").text
    assert "Meas Rice Mill and Trading" not in visitor and "Battambang Meas Rice Mill" in visitor
    page = client.get(edit_url + "?lang=en&all=1").text
    assert "The published version stays online" in page
    assert 'value="Meas Rice Mill and Trading"' in page


def test_an_edit_outside_verified_fields_publishes_at_once(app):
    client, owner = signed_in(app)
    reviewer = add_account(app, Role.FOCAL_POINT, "KH")
    listing_id = published_listing(app, owner, RICE, reviewer)
    changed = _fields(RICE, **{"/descriptions/en": "Now also selling broken rice."})
    url = f"/my/listings/{listing_id}/edit"
    response = post_form(client, url, [*changed, ("action", "submit")])
    assert response.status_code == 302
    listing = read(app, lambda s: s.get(Listing, listing_id))
    assert listing.version == 2
    assert parse_json(listing.document)["descriptions"]["en"] == "Now also selling broken rice."
    assert "Now also selling broken rice." in app.test_client().get(f"/listings/{listing_id}").text


def test_withdraw_asks_first_then_removes_the_listing(app):
    client, owner = signed_in(app)
    reviewer = add_account(app, Role.FOCAL_POINT, "KH")
    listing_id = published_listing(app, owner, RICE, reviewer)
    confirm = client.get(f"/my/listings/{listing_id}/withdraw?lang=en")
    assert confirm.status_code == 200 and "Yes, withdraw it" in confirm.text
    assert read(app, lambda s: s.get(Listing, listing_id)).state == ListingState.PUBLISHED
    response = post_form(client, f"/my/listings/{listing_id}/withdraw", {})
    assert response.status_code == 302
    listing = read(app, lambda s: s.get(Listing, listing_id))
    assert listing.state == ListingState.WITHDRAWN and parse_json(listing.document)["deleted"]
    gone = app.test_client().get(f"/listings/{listing_id}?lang=en")
    assert gone.status_code == 410 and "This listing was withdrawn" in gone.text
    mine = client.get("/my/listings?lang=en").text
    assert "Battambang Meas Rice Mill" in mine and "Withdrawn" in mine


def test_an_owner_holds_several_listings(app):
    client, owner = signed_in(app)
    pending_listing(app, owner, RICE)
    other = {**RICE, "names": {"en": "Meas Second Mill"}}
    other["registration"] = {**RICE["registration"], "number": "00099999"}
    pending_listing(app, owner, other)
    page = client.get("/my/listings").text
    assert page.count("data-listing=") == 2 and "Meas Second Mill" in page


def test_another_owners_listing_does_not_exist_for_them(app):
    _, owner = signed_in(app)
    listing_id, _ = pending_listing(app, owner, RICE)
    stranger, _ = signed_in(app)
    assert stranger.get(f"/my/listings/{listing_id}/edit").status_code == 404
    token_page = stranger.get("/my/listings/new")
    assert token_page.status_code == 200
    response = post_form(
        stranger, f"/my/listings/{listing_id}/edit", _fields(RICE), "/my/listings/new"
    )
    assert response.status_code == 404
    assert stranger.get(f"/my/listings/{listing_id}/withdraw").status_code == 404


def test_visitors_are_sent_to_sign_in_and_reviewers_may_not_list(app):
    response = app.test_client().get("/my/listings")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    reviewer, _ = signed_in(app, Role.FOCAL_POINT, "KH")
    assert reviewer.get("/my/listings/new").status_code == 403


def _schema_pointers() -> set[str]:
    """Every leaf input the record schema's listing allows, with /0 for array rows."""
    schema = json.loads((SCHEMA_DIR / "record.schema.json").read_text(encoding="utf-8"))
    defs = schema["$defs"]

    def walk(node, pointer):
        ref = node.get("$ref", "")
        if ref.startswith("#/$defs/"):
            node = defs[ref.rsplit("/", 1)[-1]]
        if node.get("type") == "object" and "properties" in node:
            return {p for k, v in node["properties"].items() for p in walk(v, f"{pointer}/{k}")}
        if node.get("type") == "array":
            items = node["items"]
            if items.get("$ref", "").startswith("#/$defs/") or items.get("type") == "object":
                return walk(items, f"{pointer}/0")
            return {pointer}
        return {pointer}

    listing = defs["listing"]["properties"]
    skip = SYSTEM_FIELDS  # only the origin sets these, never a form
    return {p for k, v in listing.items() if k not in skip for p in walk(v, f"/{k}")}


def test_the_form_offers_every_schema_field(app_factory, db_url):
    peers = [{"id": "th-sme", "base_url": "http://127.0.0.1:9/th"}]
    app = app_factory(db_url, peers=peers)
    client, _ = signed_in(app)
    html = client.get("/my/listings/new?all=1").text  # every field on one page
    names = set(re.findall(r'name="(/[^"]+)"', html))
    expected = _schema_pointers()
    assert "/contact/social/0/url" in expected and "/sectors" in expected
    expected = {"/sectors/0" if p == "/sectors" else p for p in expected}
    assert expected <= names, expected - names
    assert html.count("<option") > 900  # ISIC codes, provinces and countries
    assert 'value="KH-12"' in html and 'list="isic-list"' in html
    assert 'name="/sharing/peers" value="th-sme"' in html
    app.extensions["smedir.engine"].dispose()
