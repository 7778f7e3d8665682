"""OAI-PMH 2.0 at /oai: every verb, every protocol error, dates, sets, resumption tokens.

Every response is validated against the official OAI-PMH XML schema.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from directory.oai.resumption import Position, encode_token
from schemas import validate
from tests.directory.exchange_fixtures import (
    add_user,
    edit_own,
    engine_of,
    publish_own,
    replica,
    store_replicas,
    withdraw_own,
)
from tests.directory.oai_schema import assert_valid_oai

NS = {
    "o": "http://www.openarchives.org/OAI/2.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "sme": "https://schemas.sme-directory.org/oai/sme_json/1.0/",
}


@pytest.fixture
def app(app_factory, db_url):
    app = app_factory(db_url, oai={"page_size": 2})
    yield app
    engine_of(app).dispose()


def oai(app, method: str = "get", **params) -> etree._Element:
    client = app.test_client()
    if method == "post":
        response = client.post("/oai", data=params)
    else:
        response = client.get("/oai", query_string=params)
    assert response.status_code == 200
    assert response.content_type == "text/xml; charset=utf-8"
    return assert_valid_oai(response.data)


def error_code(root) -> str | None:
    errors = root.findall("o:error", NS)
    return errors[0].get("code") if errors else None


def ident(record_id: str) -> str:
    return f"oai:kh:{record_id}"


def test_identify(app, draft_data):
    publish_own(app, draft_data)
    root = oai(app, verb="Identify")
    identify = root.find("o:Identify", NS)
    assert identify.findtext("o:protocolVersion", namespaces=NS) == "2.0"
    assert identify.findtext("o:deletedRecord", namespaces=NS) == "persistent"
    assert identify.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", identify.findtext("o:earliestDatestamp", namespaces=NS)
    )
    assert root.find("o:request", NS).get("verb") == "Identify"


def test_list_metadata_formats_and_sets(app, draft_data):
    listing = publish_own(app, draft_data)
    root = oai(app, verb="ListMetadataFormats")
    prefixes = [e.text for e in root.iterfind(".//o:metadataPrefix", NS)]
    assert prefixes == ["oai_dc", "sme_json"]
    assert oai(app, verb="ListMetadataFormats", identifier=ident(listing.id)) is not None
    missing = oai(app, verb="ListMetadataFormats", identifier=ident("kh:nothing"))
    assert error_code(missing) == "idDoesNotExist"
    specs = [e.text for e in oai(app, verb="ListSets").iterfind(".//o:setSpec", NS)]
    for spec in ("country", "country:KH", "province:KH-12", "isic", "isic:C", "isic:A"):
        assert spec in specs
    assert app.test_client().get("/oai/sme_json.xsd").status_code == 200


def test_get_record_in_both_formats_hides_private_contact(app, draft_data):
    listing = publish_own(app, draft_data, contact_public=False)
    root = oai(app, verb="GetRecord", identifier=ident(listing.id), metadataPrefix="sme_json")
    header = root.find(".//o:header", NS)
    assert header.findtext("o:identifier", namespaces=NS) == ident(listing.id)
    assert header.get("status") is None
    doc = json.loads(root.find(".//sme:record", NS).text)
    assert validate(doc, "record") == [] and doc["id"] == listing.id
    assert "contact" not in doc and "contact" in draft_data
    root = oai(app, verb="GetRecord", identifier=ident(listing.id), metadataPrefix="oai_dc")
    titles = [t.text for t in root.iterfind(".//dc:title", NS)]
    assert sorted(titles) == sorted(draft_data["names"].values())
    assert draft_data["contact"]["email"] not in etree.tostring(root).decode()


def test_deleted_and_no_longer_public_records_are_deleted_headers(app, draft_data):
    owner = add_user(app)
    gone = publish_own(app, draft_data, owner=owner)
    hidden = publish_own(app, draft_data, owner=owner)
    withdraw_own(app, gone.id, owner)
    edit_own(
        app, hidden.id, owner, {**draft_data, "sharing": {**draft_data["sharing"], "public": False}}
    )
    for record_id in (gone.id, hidden.id):
        root = oai(app, verb="GetRecord", identifier=ident(record_id), metadataPrefix="oai_dc")
        record = root.find(".//o:record", NS)
        assert record.find("o:header", NS).get("status") == "deleted"
        assert record.find("o:metadata", NS) is None


def test_list_records_pages_with_resumption_tokens(app, draft_data):
    ids = {publish_own(app, draft_data).id for _ in range(5)}
    seen, cursors, token = [], [], None
    while True:
        params = {"resumptionToken": token} if token else {"metadataPrefix": "oai_dc"}
        root = oai(app, verb="ListRecords", **params)
        seen += [e.text for e in root.iterfind(".//o:header/o:identifier", NS)]
        element = root.find(".//o:resumptionToken", NS)
        if element is None:
            break
        assert element.get("completeListSize") == "5"
        cursors.append(element.get("cursor"))
        token = element.text
        if not token:
            break
        assert element.get("expirationDate").endswith("Z")
    assert seen == sorted(seen, key=seen.index) and sorted(seen) == sorted(map(ident, ids))
    assert cursors == ["0", "2", "4"]


def test_list_identifiers_by_set_and_dates(app, draft_data, record_doc):
    publish_own(app, draft_data)
    other = replica(record_doc, "th", 1)
    other["address"] = {"country": "TH", "province": "TH-10"}
    store_replicas(app, [other])
    root = oai(app, verb="ListIdentifiers", metadataPrefix="oai_dc", set="country:TH")
    assert [e.text for e in root.iterfind(".//o:identifier", NS)] == [ident("th:rec1")]
    root = oai(app, verb="ListIdentifiers", metadataPrefix="oai_dc", set="country")
    assert len(root.findall(".//o:header", NS)) == 2
    assert (
        error_code(oai(app, verb="ListIdentifiers", metadataPrefix="oai_dc", set="province:KH-25"))
        == "noRecordsMatch"
    )
    today = time.strftime("%Y-%m-%d", time.gmtime())
    root = oai(app, verb="ListIdentifiers", metadataPrefix="sme_json", **{"from": today})
    assert len(root.findall(".//o:header", NS)) == 2
    root = oai(app, verb="ListIdentifiers", metadataPrefix="oai_dc", until="2000-01-01")
    assert error_code(root) == "noRecordsMatch"
    root = oai(app, verb="ListIdentifiers", metadataPrefix="oai_dc", until=f"{today}T23:59:59Z")
    assert len(root.findall(".//o:header", NS)) == 2


PROTOCOL_ERRORS = [
    ({}, "badVerb"),
    ({"verb": "Harvest"}, "badVerb"),
    ({"verb": "Identify", "set": "x"}, "badArgument"),
    ({"verb": "GetRecord", "identifier": "oai:kh:kh:x"}, "badArgument"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-13-01"}, "badArgument"),
    (
        {
            "verb": "ListRecords",
            "metadataPrefix": "oai_dc",
            "from": "2026-01-02",
            "until": "2026-01-01",
        },
        "badArgument",
    ),
    (
        {
            "verb": "ListRecords",
            "metadataPrefix": "oai_dc",
            "from": "2026-01-01",
            "until": "2026-01-02T00:00:00Z",
        },
        "badArgument",
    ),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "bad set"}, "badArgument"),
    (
        {"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"},
        "badArgument",
    ),
    ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "ListRecords", "metadataPrefix": "bad prefix!"}, "cannotDisseminateFormat"),
    (
        {"verb": "GetRecord", "identifier": "oai:kh:kh:nothing", "metadataPrefix": "oai_dc"},
        "idDoesNotExist",
    ),
    (
        {"verb": "GetRecord", "identifier": "urn:x", "metadataPrefix": "oai_dc"},
        "idDoesNotExist",
    ),
    ({"verb": "ListIdentifiers", "resumptionToken": "forged.token"}, "badResumptionToken"),
    ({"verb": "ListSets", "resumptionToken": "anything"}, "badResumptionToken"),
]


def test_protocol_errors(app, draft_data):
    publish_own(app, draft_data)
    for params, code in PROTOCOL_ERRORS:
        for method in ("get", "post"):
            root = oai(app, method, **params)
            assert error_code(root) == code, (params, method)
            if code in ("badVerb", "badArgument"):
                assert dict(root.find("o:request", NS).attrib) == {}


def test_repeated_arguments_are_bad(app):
    response = app.test_client().get("/oai?verb=Identify&verb=Identify")
    assert error_code(assert_valid_oai(response.data)) == "badVerb"
    response = app.test_client().get("/oai?verb=ListSets&x=1&x=2")
    assert error_code(assert_valid_oai(response.data)) == "badArgument"


def test_expired_and_altered_tokens_are_bad(app, draft_data):
    for _ in range(3):
        publish_own(app, draft_data)
    secret = app.config["SECRET_KEY"]
    expired = Position("ListRecords", "oai_dc", None, None, None, 2, 2, int(time.time()) - 1)
    root = oai(app, verb="ListRecords", resumptionToken=encode_token(expired, secret))
    assert error_code(root) == "badResumptionToken"
    valid = Position("ListRecords", "oai_dc", None, None, None, 0, 0, int(time.time()) + 60)
    assert (
        error_code(oai(app, verb="ListRecords", resumptionToken=encode_token(valid, secret)))
        is None
    )
    root = oai(app, verb="ListIdentifiers", resumptionToken=encode_token(valid, secret))
    assert error_code(root) == "badResumptionToken"  # a token of another verb
    forged = encode_token(valid, "another secret")
    assert error_code(oai(app, verb="ListRecords", resumptionToken=forged)) == "badResumptionToken"


def test_empty_repository(app):
    assert error_code(oai(app, verb="ListRecords", metadataPrefix="oai_dc")) == "noRecordsMatch"
    assert oai(app, verb="Identify").find("o:Identify", NS) is not None


ARG_NAMES = ["verb", "identifier", "metadataPrefix", "from", "until", "set", "resumptionToken"]


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    params=st.dictionaries(
        st.sampled_from(ARG_NAMES),
        st.one_of(
            st.sampled_from(["ListRecords", "GetRecord", "oai_dc", "sme_json", "2026-01-01"]),
            st.text(min_size=0, max_size=30).filter(lambda t: "\x00" not in t),
        ),
        max_size=4,
    )
)
def test_any_request_gets_a_valid_response(app, params):
    root = oai(app, **params)
    assert root.tag == "{http://www.openarchives.org/OAI/2.0/}OAI-PMH"
