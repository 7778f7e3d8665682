"""A standard third-party harvester (Sickle) reads the whole repository over real HTTP."""

from __future__ import annotations

import json

import pytest
import requests
from sickle import Sickle

from schemas import validate
from tests.directory.exchange_fixtures import (
    add_user,
    edit_own,
    engine_of,
    peer_token,
    publish_own,
    replica,
    store_replicas,
    withdraw_own,
)

SME_NS = "https://schemas.sme-directory.org/oai/sme_json/1.0/"


@pytest.fixture
def app(app_factory, db_url):
    app = app_factory(db_url, oai={"page_size": 2})
    yield app
    engine_of(app).dispose()


@pytest.fixture
def repository(app, draft_data, record_doc):
    """8 own records (5 live, 2 withdrawn, 1 no longer public) and 2 live replicas; and
    records that were never public, which are no items at all: an own record shared only
    with the hub, one withdrawn later, and a replica shared only with the hub."""
    owner = add_user(app)
    own = [publish_own(app, draft_data, owner=owner).id for _ in range(8)]
    never = [publish_own(app, draft_data, owner=owner, public=False, hub=True).id for _ in "ab"]
    store_replicas(app, [replica(record_doc, "th", n) for n in range(2)])
    store_replicas(app, [replica(record_doc, "th", 2, public=False, hub=True)])
    withdraw_own(app, own[0], owner)
    withdraw_own(app, own[1], owner)
    withdraw_own(app, never[1], owner)
    private = {**draft_data, "sharing": {**draft_data["sharing"], "public": False}}
    edit_own(app, own[2], owner, private)
    live = set(own[3:]) | {"th:rec0", "th:rec1"}
    return live, set(own[:3]), {*never, "th:rec2"}


def test_sickle_harvests_every_record_and_every_deletion(app, live_server, repository):
    live, deleted, _never_public = repository
    server = live_server(app)
    sickle = Sickle(f"{server.url}/oai", max_retries=0, timeout=10)
    assert sickle.Identify().deletedRecord == "persistent"
    for prefix in ("oai_dc", "sme_json"):
        records = list(sickle.ListRecords(metadataPrefix=prefix, ignore_deleted=False))
        ids = [r.header.identifier.removeprefix("oai:kh:") for r in records]
        assert len(ids) == len(set(ids)) == 10  # 5 pages of 2, no duplicates
        assert {i for i, r in zip(ids, records, strict=True) if r.header.deleted} == deleted
        assert {i for i, r in zip(ids, records, strict=True) if not r.header.deleted} == live
        for record in records:
            if record.header.deleted:
                continue
            if prefix == "sme_json":
                element = record.xml.find(f".//{{{SME_NS}}}record")
                assert validate(json.loads(element.text), "record") == []
            else:
                assert record.metadata.get("title")


def test_sickle_lists_identifiers_and_sets(app, live_server, repository):
    live, deleted, never_public = repository
    url = f"{live_server(app).url}/oai"
    sickle = Sickle(url, max_retries=0, timeout=10)
    headers = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=False))
    assert {h.identifier.removeprefix("oai:kh:") for h in headers} == live | deleted
    specs = {s.setSpec for s in sickle.ListSets()}
    assert {"country:KH", "province:KH-12", "isic:C"} <= specs
    record = sickle.GetRecord(identifier=f"oai:kh:{sorted(deleted)[0]}", metadataPrefix="oai_dc")
    assert record.header.deleted
    for record_id in never_public:  # not even a deleted header: its id never leaks
        params = {
            "verb": "GetRecord",
            "identifier": f"oai:kh:{record_id}",
            "metadataPrefix": "oai_dc",
        }
        answer = requests.get(url, params=params, timeout=10).text
        assert 'code="idDoesNotExist"' in answer


def test_a_token_can_be_required(app_factory, db_url, live_server, draft_data):
    app = app_factory(db_url, oai={"require_token": True})
    publish_own(app, draft_data)
    _, feed_only = peer_token(app, "th", "feed:read")
    _, token = peer_token(app, "th", "oai:read")
    url = f"{live_server(app).url}/oai"
    assert requests.get(url, params={"verb": "Identify"}, timeout=10).status_code == 401
    headers = {"Authorization": f"Bearer {feed_only}"}
    assert (
        requests.get(url, params={"verb": "Identify"}, headers=headers, timeout=10).status_code
        == 401
    )
    sickle = Sickle(url, max_retries=0, timeout=10, headers={"Authorization": f"Bearer {token}"})
    assert len(list(sickle.ListIdentifiers(metadataPrefix="oai_dc"))) == 1
    engine_of(app).dispose()
