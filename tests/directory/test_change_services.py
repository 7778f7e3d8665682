"""Applying remote changes by the version rule, and reading the change log, on both databases."""

from __future__ import annotations

import copy
import threading

import pytest
from sqlalchemy import func, select

from directory.db import new_session
from directory.models import ChangeLogEntry, Listing, ListingState, Role
from directory.records import parse_json
from directory.services import listings as listing_svc
from directory.services import reviews
from directory.services.changes import apply_remote_changes, last_change_seq, read_changes
from sync.outcomes import Outcome


def _thai(record_doc, n: int = 1, version: int = 1) -> dict:
    doc = copy.deepcopy(record_doc)
    doc.update(id=f"th:rec{n}", origin="th", version=version)
    doc["address"] = {**doc["address"], "country": "KH"}
    return doc


def _tombstone(rid: str, version: int) -> dict:
    origin = rid.split(":")[0]
    return {
        "id": rid,
        "origin": origin,
        "version": version,
        "updated_at": "2026-11-21T10:00:00Z",
        "deleted": True,
        "reason": "closed",
    }


def _apply(session, node, docs, **kw):
    kw.setdefault("source_peer", "th")
    results = apply_remote_changes(session, docs, node=node, **kw)
    session.commit()
    return [r.outcome for r in results]


def test_create_update_unchanged_by_version(session, node, record_doc):
    v1 = _thai(record_doc)
    assert _apply(session, node, [v1]) == [Outcome.CREATED]
    assert _apply(session, node, [v1]) == [Outcome.UNCHANGED]
    v2 = {**v1, "version": 2, "names": {"en": "Second name"}}
    assert _apply(session, node, [v2]) == [Outcome.UPDATED]
    assert _apply(session, node, [v1]) == [Outcome.UNCHANGED]  # late, older: ignored
    listing = session.get(Listing, "th:rec1")
    assert listing.version == 2 and listing.name_en == "Second name" and listing.source_peer == "th"


def test_order_tolerant_and_idempotent(session, node, record_doc):
    versions = [_thai(record_doc, version=v) for v in (3, 1, 2)]
    assert _apply(session, node, versions) == [
        Outcome.CREATED,
        Outcome.UNCHANGED,
        Outcome.UNCHANGED,
    ]
    assert session.get(Listing, "th:rec1").version == 3
    entries = session.execute(select(func.count()).select_from(ChangeLogEntry)).scalar_one()
    assert entries == 1


def test_tombstone_applies_and_is_kept(session, node, record_doc):
    _apply(session, node, [_thai(record_doc)])
    assert _apply(session, node, [_tombstone("th:rec1", 2)]) == [Outcome.DELETED]
    listing = session.get(Listing, "th:rec1")
    assert listing.state == ListingState.WITHDRAWN and parse_json(listing.document)["deleted"]
    assert listing.name_en is None and listing.share_public is False
    # a tombstone for a record never seen is stored, so it can travel on
    assert _apply(session, node, [_tombstone("th:unknown", 4)]) == [Outcome.DELETED]


def test_invalid_record_rejected_with_paths(session, node, record_doc):
    bad = _thai(record_doc)
    bad["contact"] = {"email": "nope"}
    [result] = apply_remote_changes(session, [bad], node=node, source_peer="th")
    assert result.outcome == Outcome.REJECTED
    assert "/contact/email" in [i.path for i in result.issues]


def test_id_must_name_origin(session, node, record_doc):
    doc = _thai(record_doc)
    doc["id"] = "la:rec1"
    [result] = apply_remote_changes(session, [doc], node=node, source_peer="th", relay=True)
    assert result.outcome == Outcome.REJECTED and result.issues[0].path == "/id"


def test_peer_may_only_send_own_records_unless_relay(session, node, record_doc):
    doc = _thai(record_doc)
    doc.update(id="la:rec1", origin="la")
    assert _apply(session, node, [doc], source_peer="th") == [Outcome.REJECTED]
    assert _apply(session, node, [doc], source_peer="hub", relay=True) == [Outcome.CREATED]


def test_own_records_are_never_overwritten(session, node, make_user, draft_data):
    owner = make_user(Role.OWNER)
    reviewer = make_user(Role.FOCAL_POINT, country="KH")
    listing = listing_svc.create_draft(session, owner, draft_data, node=node)
    revision = listing_svc.submit_for_review(session, owner, listing.id, node=node)
    reviews.approve_revision(session, reviewer, revision.id, node=node)
    session.commit()
    echo = parse_json(listing.document)
    assert _apply(session, node, [echo], source_peer="hub", relay=True) == [Outcome.UNCHANGED]
    forged = {**echo, "version": 9, "names": {"en": "Hijacked"}}
    assert _apply(session, node, [forged], source_peer="hub", relay=True) == [Outcome.CONFLICT]
    assert session.get(Listing, listing.id).version == 1


def test_same_id_other_origin_is_conflict(session, node, record_doc):
    _apply(session, node, [_thai(record_doc)])
    doc = _thai(record_doc, version=5)
    session.get(Listing, "th:rec1").origin = "vn"  # held as another origin's record
    session.commit()
    assert _apply(session, node, [doc]) == [Outcome.CONFLICT]


def test_read_changes_latest_version_per_record_in_order(session, node, record_doc):
    _apply(session, node, [_thai(record_doc, 1), _thai(record_doc, 2)])
    _apply(session, node, [_thai(record_doc, 1, version=2)])
    rows = read_changes(session, 0, 10)
    assert [(r.id, r.version) for r in rows] == [("th:rec2", 1), ("th:rec1", 2)]
    assert rows[0].seq < rows[1].seq == last_change_seq(session)
    assert read_changes(session, rows[0].seq, 10) == rows[1:]
    assert parse_json(rows[1].document)["version"] == 2


def test_held_for_review_then_approved(session, node, make_user, record_doc):
    reviewer = make_user(Role.FOCAL_POINT, country="KH")
    doc = _thai(record_doc)
    [held] = reviews.hold_remote_changes(session, [doc], node=node, source_peer="th")
    session.commit()
    assert held.outcome == Outcome.HELD
    assert read_changes(session, 0, 10) == []
    [again] = reviews.hold_remote_changes(session, [doc], node=node, source_peer="th")
    assert again.outcome == Outcome.UNCHANGED
    [(revision, _)] = reviews.review_queue(session, kind="remote")
    reviews.approve_revision(session, reviewer, revision.id, node=node)
    session.commit()
    assert session.get(Listing, doc["id"]).version == 1
    assert [r.id for r in read_changes(session, 0, 10)] == [doc["id"]]


def test_concurrent_writers_get_gapless_ordered_sequence(engine, node, record_doc):
    """Writers in parallel threads: no 'database is locked', no lost or duplicate seq."""
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for i in range(10):
                with new_session(engine, write=True) as s:
                    doc = _thai(record_doc, n=worker * 100 + i)
                    apply_remote_changes(s, [doc], node=node, source_peer="th")
                    s.commit()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with new_session(engine) as s:
        seqs = list(s.execute(select(ChangeLogEntry.seq).order_by(ChangeLogEntry.seq)).scalars())
    assert seqs == list(range(1, 41))


@pytest.mark.parametrize("count", [3])
def test_batch_with_duplicates_keeps_newest(session, node, record_doc, count):
    docs = [_thai(record_doc, version=v) for v in range(1, count + 1)]
    outcomes = _apply(session, node, docs)
    assert outcomes.count(Outcome.CREATED) == 1 and session.get(Listing, "th:rec1").version == count


def test_prepared_ahead_writes_what_computed_inline_writes(session, node, record_doc):
    """A pull prepares its next page in another thread (``prepare_remote``): applying a batch
    with those values stores the same rows and answers as computing them during the write."""
    from directory.services.changes import prepare_remote
    from directory.services.match_keys import match_keys

    plain = [_thai(record_doc, n) for n in range(1, 4)]
    plain.append({**_thai(record_doc, 4), "contact": {"email": "not an address"}})
    ahead = copy.deepcopy(plain)
    for doc in ahead:
        doc["id"] = doc["id"].replace("rec", "ahead")
    ahead.append(_tombstone("th:ahead9", 1))
    plain.append(_tombstone("th:rec9", 1))
    prepared = prepare_remote(ahead)
    assert prepared[id(ahead[3])].check.issues[0].path == "/contact/email"
    inline = [
        (r.outcome, r.issues)
        for r in apply_remote_changes(session, plain, node=node, source_peer="th")
    ]
    early = apply_remote_changes(session, ahead, node=node, source_peer="th", prepared=prepared)
    session.commit()
    assert [(r.outcome, r.issues) for r in early] == inline
    assert [r.outcome for r in early] == [Outcome.CREATED] * 3 + [Outcome.REJECTED, Outcome.DELETED]
    columns = [
        c.name
        for c in Listing.__table__.columns
        if c.name not in ("id", "change_seq", "document", "created_at", "updated_at")
    ]
    for a, b in zip(plain, ahead, strict=True):
        if a is plain[3]:
            continue
        x, y = session.get(Listing, a["id"]), session.get(Listing, b["id"])
        assert {c: getattr(x, c) for c in columns} == {c: getattr(y, c) for c in columns}
        assert parse_json(y.document) == b
    assert match_keys(ahead[0]) == match_keys(plain[0]) and match_keys(ahead[0])
