"""Push: send local changes after the peer's push checkpoint, in batches, and keep every receipt.

Each batch's receipts and the moved checkpoint are stored in one transaction. A
failed POST (timeout, 5xx, unusable answer) fails the run with the checkpoint where
it was, so the next run sends the same changes again; the receiver's version rule
makes a repeat harmless. Rejected and conflicting receipts are kept for focal
points and owners; they do not stop the push.
"""

from __future__ import annotations

from sync.adapters import PushAdapter, Receipt
from sync.errors import SyncError
from sync.peers import PUSH, PeerSpec, SyncSettings
from sync.runs import RunCounts, RunOutcome, RunReport
from sync.store import SyncStore

RECEIPT_COUNTS = {"applied": "updated", "unchanged": "unchanged", "rejected": "rejected"}


def count_receipt(counts: RunCounts, receipt: Receipt, change: dict) -> None:
    """Count one receipt (an applied tombstone counts as deleted)."""
    if receipt.status == "applied" and change.get("deleted") is True:
        counts.add("deleted")
    else:
        counts.add(RECEIPT_COUNTS.get(receipt.status, "conflict"))


def push(
    store: SyncStore,
    peer: PeerSpec,
    adapter: PushAdapter,
    settings: SyncSettings,
    *,
    full: bool = False,
    progress=None,
) -> RunReport:
    """Run one push to ``peer``; the run is recorded; a SyncError fails the run, never raises."""
    checkpoint = store.checkpoint(peer.id, PUSH)
    run_id = store.start_run(peer.id, PUSH, checkpoint, "full" if full else "")
    counts = RunCounts()
    report = RunReport(run_id, peer.id, PUSH, RunOutcome.SUCCESS, counts, checkpoint, checkpoint)
    cursor, stored = (None if full else checkpoint), checkpoint
    try:
        while True:
            batch = store.push_batch(peer, cursor, settings.push_batch_size)
            receipts = adapter.push_batch(store.node_id, batch.changes) if batch.changes else []
            store.save_receipts(run_id, peer.id, batch, receipts, stored)
            for receipt, change in zip(receipts, batch.changes, strict=True):
                count_receipt(counts, receipt, change)
            stored = cursor = report.cursor_after = batch.cursor
            if progress:
                progress(counts)
            if not batch.more:
                break
    except SyncError as exc:
        report.outcome, report.error = RunOutcome.FAILED, str(exc)
    except Exception as exc:
        store.finish_run(run_id, RunOutcome.FAILED, counts, report.cursor_after, repr(exc))
        raise
    store.finish_run(run_id, report.outcome, counts, report.cursor_after, report.error)
    return report
