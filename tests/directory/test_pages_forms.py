"""The listing form's mapping to documents and the placement and wording of its errors."""

from __future__ import annotations

import json

import pytest
from werkzeug.datastructures import MultiDict

from directory.app import create_app
from directory.records import DEFAULT_SHARING, business_data
from directory.web import forms
from schemas import validate
from tests.conftest import EXAMPLES, valid_examples
from tests.directory.pages_helpers import form_fields


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    path = tmp_path_factory.mktemp("forms")
    return create_app(
        overrides={
            "node": {"instance_path": str(path)},
            "database": {"url": f"sqlite:///{path / 'unused.sqlite3'}"},
        }
    )


def _invalid_examples():
    for path in sorted((EXAMPLES / "invalid").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["kind"] in ("record", "draft"):
            yield pytest.param(data, id=path.stem)


@pytest.mark.parametrize("doc", valid_examples("record") + valid_examples("draft"))
def test_every_valid_example_round_trips_through_the_form(doc):
    expected = business_data({"sharing": DEFAULT_SHARING, **doc})  # as the form shows it
    sent = MultiDict(form_fields(expected))
    assert forms.document_from_form(sent) == expected


def test_blank_inputs_and_blank_rows_are_absent_but_half_filled_rows_stay():
    sent = MultiDict(
        [
            ("/names/km", "  ហាងកាហ្វេ  "),
            ("/names/en", ""),
            ("/products/0/name", ""),
            ("/products/0/hs_code", ""),
            ("/products/1/description", "no name given"),
            ("/sectors/0", "1079"),
            ("/sectors/1", ""),
            ("/sectors/2", "5610"),
            ("/export_markets", "TH"),
            ("/export_markets", ""),
            ("/sharing/public", "true"),
        ]
    )
    doc = forms.document_from_form(sent)
    assert doc["names"] == {"km": "ហាងកាហ្វេ"}
    assert doc["products"] == [{"description": "no name given"}]
    assert doc["sectors"] == ["1079", "5610"]
    assert doc["export_markets"] == ["TH"]
    sharing = {"public": True, "hub": False, "contact_public": False, "peers": []}
    assert doc["sharing"] == {**sharing, "enquiries": False}  # the unticked opt-out box
    assert {i.path for i in validate(doc, "draft")} >= {"/products/0/name"}


def test_values_the_form_cannot_convert_reach_the_schema_as_typed():
    sent = MultiDict(
        [("/employees", "twelve"), ("/geo/lat", "11,55"), ("/geo/lon", "x"), ("/women_owned", "?")]
    )
    doc = forms.document_from_form(sent)
    assert doc["employees"] == "twelve" and doc["geo"] == {"lat": 11.55, "lon": "x"}
    paths = {i.path for i in validate(doc, "draft")}
    assert {"/employees", "/geo/lon", "/women_owned"} <= paths


def test_unknown_inputs_are_not_dropped_but_reported_by_the_schema():
    doc = forms.document_from_form(MultiDict([("/nickname", "x"), ("/contact/fax", "1")]))
    paths = {i.path for i in validate(doc, "draft")}
    assert {"/nickname", "/contact/fax"} <= paths


@pytest.mark.parametrize("example", list(_invalid_examples()))
def test_every_schema_error_gets_a_specific_translated_message_and_a_label(app, example):
    issues = validate(example["document"], "draft")
    with app.test_request_context("/?lang=en"):
        errors = forms.field_errors(issues)
    assert errors
    for error in errors:
        kind = forms.classify(error.detail)
        assert kind != "invalid", error
        if kind != "not_allowed":  # an unknown field has no label: its pointer names it
            assert not error.label.startswith("/"), error


def test_labels_name_the_row_of_repeated_fields(app):
    with app.test_request_context("/?lang=en"):
        assert forms.label_for("/products/1/name") == "Product name (2)"
        assert forms.label_for("/contact/email") == "Email"
        assert forms.label_for("/address/unknown") == "Address"


def test_field_ids_are_safe_html_ids():
    assert forms.field_id("/contact/social/0/url") == "f-contact-social-0-url"
