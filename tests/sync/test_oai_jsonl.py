"""OAI-PMH harvest with a declarative mapping, and JSON Lines dumps (URL and path)."""

from __future__ import annotations

import dataclasses
import json

import orjson
import pytest
from werkzeug import Response

from sync.adapters import make_adapter
from sync.peers import PeerSpec
from sync.pull import pull, retry_quarantined
from sync.runs import RunOutcome
from tests.sync.conftest import FAST, held_documents, peer_doc, quarantine_rows, tombstone


@pytest.fixture
def settings():
    """No tombstone guard here (these dumps are small)."""
    return dataclasses.replace(FAST, tombstone_guard_min=1000)


OAI = "http://www.openarchives.org/OAI/2.0/"
DC = "http://purl.org/dc/elements/1.1/"

MAPPING = {
    "id": "{peer}:{local}",
    "fields": {
        "/names/en": "dc:title[1]",
        "/descriptions/en": "dc:description[1]",
        "/registration/number": "dc:identifier[starts-with(., 'REG-')]",
        "/sectors[]": "dc:subject[string-length(.) = 4]",
        "/founded_year|int": "dc:date[1]",
    },
    "constants": {
        "/registration/country": "KH",
        "/registration/authority": "Ministry of Commerce",
        "/legal_form": "sole_proprietorship",
        "/size_class": "micro",
        "/address/country": "KH",
        "/address/province": "KH-12",
    },
}


def oai_record(identifier: str, stamp: str, title: str | None, year: str = "2001") -> str:
    fields = f"<dc:title>{title}</dc:title>" if title else ""
    fields += (
        f"<dc:description>Made in Cambodia</dc:description><dc:identifier>REG-{identifier[-3:]}"
        f"</dc:identifier><dc:subject>1071</dc:subject><dc:subject>Bakery</dc:subject>"
        f"<dc:date>{year}</dc:date>"
    )
    return (
        f"<record><header><identifier>{identifier}</identifier><datestamp>{stamp}</datestamp>"
        f"</header><metadata><oai_dc:dc xmlns:oai_dc='http://www.openarchives.org/OAI/2.0/oai_dc/'"
        f" xmlns:dc='{DC}'>{fields}</oai_dc:dc></metadata></record>"
    )


def deleted_record(identifier: str, stamp: str) -> str:
    return (
        f"<record><header status='deleted'><identifier>{identifier}</identifier>"
        f"<datestamp>{stamp}</datestamp></header></record>"
    )


def oai_response(records: list[str], token: str | None) -> str:
    resumption = f"<resumptionToken>{token}</resumptionToken>" if token else ""
    if token == "":
        resumption = "<resumptionToken/>"
    return (
        f"<?xml version='1.0' encoding='UTF-8'?><OAI-PMH xmlns='{OAI}'>"
        f"<responseDate>2026-11-21T00:00:00Z</responseDate><request>x</request>"
        f"<ListRecords>{''.join(records)}{resumption}</ListRecords></OAI-PMH>"
    )


class OaiRepo:
    """Two pages joined by a resumption token; a third request with from= sees one change."""

    def __init__(self):
        self.requests: list[dict] = []
        self.expire_token = False

    def __call__(self, request):
        args = dict(request.args)
        self.requests.append(args)
        if args.get("resumptionToken") == "page2":
            if self.expire_token:
                self.expire_token = False
                body = (
                    f"<?xml version='1.0'?><OAI-PMH xmlns='{OAI}'><responseDate>x</responseDate>"
                    f"<request>x</request><error code='badResumptionToken'>expired</error>"
                    "</OAI-PMH>"
                )
                return Response(body, content_type="text/xml")
            records = [
                oai_record("oai:legacy:003", "2026-01-03T00:00:00Z", "Kampot Salt"),
                deleted_record("oai:legacy:002", "2026-01-04T00:00:00Z"),
            ]
            return Response(oai_response(records, ""), content_type="text/xml")
        if args.get("from") == "2026-01-04T00:00:00Z":
            records = [oai_record("oai:legacy:001", "2026-02-01T00:00:00Z", "Angkor Bread 2")]
            return Response(oai_response(records, None), content_type="text/xml")
        records = [
            oai_record("oai:legacy:001", "2026-01-01T00:00:00Z", "Angkor Bread"),
            oai_record("oai:legacy:002", "2026-01-02T00:00:00Z", "Mekong Fish"),
            oai_record("oai:legacy:004", "2026-01-02T10:00:00Z", None),  # no title: invalid
        ]
        return Response(oai_response(records, "page2"), content_type="text/xml")


def oai_peer(httpserver, **kw) -> PeerSpec:
    spec = {"mapping": MAPPING, "trust": "publish", **kw}
    return PeerSpec(id="legacy", base_url=httpserver.url_for("/oai"), protocol="oai-pmh", **spec)


def test_oai_harvest_maps_records_follows_tokens_and_quarantines_what_does_not_map(
    httpserver, store, engine, settings
):
    repo = OaiRepo()
    httpserver.expect_request("/oai").respond_with_handler(repo)
    peer = oai_peer(httpserver)
    report = pull(store, peer, make_adapter(peer, settings), settings)
    assert report.outcome == RunOutcome.SUCCESS, report.error
    assert (report.counts.created, report.counts.deleted, report.counts.rejected) == (3, 1, 1)
    docs = {k: orjson.loads(v) for k, v in held_documents(engine).items()}
    bread = docs["legacy:001"]
    assert bread["names"] == {"en": "Angkor Bread"}
    assert bread["sectors"] == ["1071"] and bread["founded_year"] == 2001
    assert bread["origin"] == "legacy" and bread["updated_at"] == "2026-01-01T00:00:00Z"
    assert docs["legacy:002"]["deleted"] is True
    [bad] = quarantine_rows(engine)
    assert bad.record_id == "legacy:004" and "/names" in bad.errors
    assert "<identifier>oai:legacy:004</identifier>" in bad.payload
    assert json.loads(store.checkpoint("legacy", "pull"))["from"] == "2026-01-04T00:00:00Z"

    # incremental: from the newest datestamp; the newer datestamp is a newer version
    again = pull(store, peer, make_adapter(peer, settings), settings)
    assert repo.requests[-1]["from"] == "2026-01-04T00:00:00Z"
    assert again.counts.updated == 1
    assert orjson.loads(held_documents(engine)["legacy:001"])["names"]["en"] == "Angkor Bread 2"

    # a mapping fix (a default name) lets the quarantined record through on retry
    fixed = oai_peer(httpserver, mapping={**MAPPING, "fields": {**MAPPING["fields"]}})
    fixed.mapping["constants"] = {**MAPPING["constants"], "/names/en": "Unnamed"}
    ok, issues = retry_quarantined(store, fixed, make_adapter(fixed, settings), bad.id)
    assert ok, issues
    assert quarantine_rows(engine)[0].resolution == "applied"
    assert "legacy:004" in held_documents(engine)


def test_an_expired_resumption_token_restarts_the_harvest_from_the_checkpoint(
    httpserver, store, engine, settings
):
    repo = OaiRepo()
    repo.expire_token = True
    httpserver.expect_request("/oai").respond_with_handler(repo)
    peer = oai_peer(httpserver)
    report = pull(store, peer, make_adapter(peer, settings), settings)
    assert report.outcome == RunOutcome.SUCCESS, report.error
    assert "resumptionToken" not in repo.requests[2]  # restarted without the token
    assert len(held_documents(engine)) == 3


def test_oai_errors_and_non_xml_fail_the_run(httpserver, store, settings):
    httpserver.expect_request("/oai").respond_with_data(
        "<html>oops</html", content_type="text/html"
    )
    peer = oai_peer(httpserver)
    report = pull(store, peer, make_adapter(peer, settings), settings)
    assert report.outcome == RunOutcome.FAILED and report.error.startswith("not_json")
    assert store.checkpoint("legacy", "pull") is None


@pytest.mark.parametrize("where", ["path", "url"])
def test_jsonl_dump_from_a_path_or_a_url(httpserver, store, engine, settings, tmp_path, where):
    lines = [json.dumps(peer_doc("th", n)) for n in range(23)]
    lines.insert(5, "{not json")
    lines.append(json.dumps(tombstone("th", 3, 2)))
    dump = tmp_path / "th.jsonl"
    dump.write_text("\n".join(lines) + "\n")
    if where == "url":
        httpserver.expect_request("/dump.jsonl").respond_with_data(dump.read_bytes())
        source = httpserver.url_for("/dump.jsonl")
    else:
        source = str(dump)
    peer = PeerSpec(id="th", base_url=source, protocol="jsonl", trust="publish")
    report = pull(store, peer, make_adapter(peer, settings), settings)
    assert report.outcome == RunOutcome.SUCCESS, report.error
    assert (report.counts.created, report.counts.deleted, report.counts.rejected) == (23, 1, 1)
    assert store.checkpoint("th", "pull") == str(len(lines))
    [row] = quarantine_rows(engine)
    assert row.payload == "{not json" and "line 6" in row.errors
    dump.write_text(dump.read_text() + json.dumps(peer_doc("th", 1, version=2)) + "\n")
    if where == "url":
        httpserver.clear()
        httpserver.expect_request("/dump.jsonl").respond_with_data(dump.read_bytes())
    more = pull(store, peer, make_adapter(peer, settings), settings)
    assert (more.counts.updated, more.counts.created) == (1, 0)
