"""Cursor order over real HTTP: the feed's own cursors are compared, a backwards one is refused.

The feed writes ``seq:<n>`` as base64url without padding, so the encoded length
falls in three classes (``len("seq:<n>") % 3`` = 0, 1, 2: no padding dropped, two
dropped, one dropped). Every class must decode, before and after a jump.
"""

from __future__ import annotations

import base64

import pytest

from directory.services.feed import encode_cursor
from sync.adapters.feed import cursor_seq
from sync.runs import RunOutcome
from tests.sync.conftest import held_documents, peer_doc, runs
from tests.sync.test_pull import run_pull

SEQS = [0, 5, 9, 10, 99, 100, 999, 1000, 10008, 99999, 123456, 10**17]


@pytest.mark.parametrize("seq", SEQS)
def test_every_cursor_the_feed_writes_decodes_to_its_sequence(seq):
    cursor = encode_cursor(seq)
    assert cursor_seq(cursor) == seq
    assert cursor_seq(cursor + "=" * (-len(cursor) % 4)) == seq  # padded: the same cursor
    assert cursor_seq(str(seq)) == seq


def test_the_length_classes_are_all_covered():
    assert {len(f"seq:{s}") % 3 for s in SEQS} == {0, 1, 2}


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor",
        base64.urlsafe_b64encode(b"pos:5").decode(),  # another prefix
        base64.urlsafe_b64encode(b"seq:-5").decode(),
        encode_cursor(5) + "!",  # a stray character is not dropped silently
        encode_cursor(5)[:-1] + "h",  # non-canonical trailing bits
        "c2VxOjU===",  # too much padding
        "9" * 40,
    ],
)
def test_anything_else_is_not_a_sequence(cursor):
    assert cursor_seq(cursor) is None


# (seq of the checkpoint before the bad page, seq the peer jumps back to)
JUMPS = [(10008, 5), (10008, 100), (10008, 1000), (1000, 10), (100, 99), (20, 19), (1000, 5)]


@pytest.mark.parametrize(("before", "after"), JUMPS)
def test_a_cursor_that_goes_back_fails_the_run_and_keeps_the_checkpoint(
    store, engine, peer_server, settings, before, after
):
    server = peer_server("th", [peer_doc("th", n) for n in range(35)])
    server.seq_base = before - 20  # the cursor after pages 0 and 1 is seq ``before``
    server.faults[2] = "cursor_jump"
    server.jump_cursor = encode_cursor(after)
    report = run_pull(store, server, settings)
    assert report.outcome == RunOutcome.FAILED
    assert report.error.startswith("cursor: cursor went backwards"), report.error
    assert store.checkpoint("th", "pull") == encode_cursor(before)
    assert sorted(held_documents(engine)) == sorted(f"th:rec{n}" for n in range(20))
    assert runs(engine)[-1].cursor_after == encode_cursor(before)


@pytest.mark.parametrize("bad", ["opaque-token", base64.urlsafe_b64encode(b"pos:30").decode()])
def test_an_unreadable_cursor_from_a_peer_declaring_ordered_cursors_is_a_protocol_error(
    store, engine, peer_server, settings, bad
):
    server = peer_server("th", [peer_doc("th", n) for n in range(35)])
    server.seq_base = 980
    server.faults[2] = "cursor_jump"
    server.jump_cursor = bad
    report = run_pull(store, server, settings)
    assert report.outcome == RunOutcome.FAILED
    assert report.error.startswith("cursor: the peer declares ordered cursors"), report.error
    assert store.checkpoint("th", "pull") == encode_cursor(1000)
    assert len(held_documents(engine)) == 20


def test_a_peer_without_ordered_cursors_may_hand_out_opaque_ones(
    store, engine, peer_server, settings
):
    server = peer_server("th", [peer_doc("th", n) for n in range(5)])
    server.faults[0] = "cursor_jump"
    server.jump_cursor = "opaque-token"
    report = run_pull(store, server, settings)
    assert report.outcome == RunOutcome.SUCCESS, report.error
    assert store.checkpoint("th", "pull") == "opaque-token"


def test_forward_cursors_of_every_length_class_pull_to_the_end(
    store, engine, peer_server, settings
):
    server = peer_server("th", [peer_doc("th", n) for n in range(35)])
    server.seq_base = 80  # 80 -> 90 -> 100 -> 110 -> 115: lengths cross a class boundary
    report = run_pull(store, server, settings)
    assert report.outcome == RunOutcome.SUCCESS, report.error
    assert store.checkpoint("th", "pull") == encode_cursor(115)
    assert len(held_documents(engine)) == 35
