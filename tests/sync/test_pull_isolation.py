"""Issue 10.1 on the pull path: a record with unusable characters, or one the database
refuses, is quarantined alone; the rest of its page applies and the peer does not fail."""

from __future__ import annotations

import orjson

from sync.adapters import make_adapter
from sync.peers import PeerSpec
from sync.pull import pull
from sync.runs import RunOutcome
from tests.refusing_database import database_refuses
from tests.sync.conftest import held_documents, peer_doc, quarantine_rows, runs
from tests.sync.test_pull import run_pull


def test_a_pulled_record_with_nul_is_quarantined_alone(store, engine, peer_server, settings):
    nul = peer_doc("th", 2)
    nul["names"] = {"en": "a\x00b"}
    bidi = peer_doc("th", 3)
    bidi["address"] = {**bidi["address"], "street": "Street \u202e1"}
    docs = [peer_doc("th", 1), nul, bidi, peer_doc("th", 4)]
    report = run_pull(store, peer_server("th", docs), settings)
    assert report.outcome == RunOutcome.SUCCESS, report.error
    assert (report.counts.created, report.counts.rejected) == (2, 2)
    assert sorted(held_documents(engine)) == ["th:rec1", "th:rec4"]
    rows = quarantine_rows(engine)
    assert [r.record_id for r in rows] == ["th:rec2", "th:rec3"]
    assert [e["path"] for e in orjson.loads(rows[0].errors)] == ["/names/en"]
    assert "control characters" in rows[0].errors
    assert [e["path"] for e in orjson.loads(rows[1].errors)] == ["/address/street"]
    assert orjson.loads(rows[0].payload)["names"]["en"] == "a\x00b"  # kept as sent
    assert store.checkpoint("th", "pull") == "4"


def test_a_record_the_database_refuses_never_fails_the_peer(store, engine, peer_server, settings):
    with database_refuses(engine) as poison:
        docs = [peer_doc("th", n) for n in range(1, 6)]
        docs[2]["names"] = {"en": poison}
        report = run_pull(store, peer_server("th", docs), settings)
        assert report.outcome == RunOutcome.SUCCESS, report.error
        assert (report.counts.created, report.counts.rejected) == (4, 1)
        assert sorted(held_documents(engine)) == ["th:rec1", "th:rec2", "th:rec4", "th:rec5"]
        [row] = quarantine_rows(engine)
        assert row.record_id == "th:rec3" and row.run_id == report.run_id
        [error] = orjson.loads(row.errors)
        assert error["path"] == "" and "database refused" in error["message"]
        assert "poison pill refused" in error["message"]
        assert store.checkpoint("th", "pull") == "5"
        [run] = runs(engine)
        assert run.outcome == "success" and run.error is None


def test_a_dump_line_with_a_raw_nul_byte_is_quarantined_storably(store, engine, settings, tmp_path):
    good = [orjson.dumps(peer_doc("th", n)) for n in (1, 2)]
    dump = tmp_path / "th.jsonl"
    dump.write_bytes(
        good[0] + b'\n{"id": "th:rec9", "names": {"en": "a\x00b"}}\n' + good[1] + b"\n"
    )
    peer = PeerSpec(id="th", base_url=str(dump), protocol="jsonl", trust="publish")
    report = pull(store, peer, make_adapter(peer, settings), settings)
    assert report.outcome == RunOutcome.SUCCESS, report.error
    assert (report.counts.created, report.counts.rejected) == (2, 1)
    [row] = quarantine_rows(engine)
    assert row.payload == '{"id": "th:rec9", "names": {"en": "a\\u0000b"}}'  # NUL kept visibly
    assert "line 2" in row.errors
