"""Pull: read a peer's pages after the checkpoint, validate, apply, commit page + checkpoint.

A page is applied and its cursor saved in one store transaction, so a crash at any
point resumes from the last committed page: nothing lost, nothing applied twice
(and the version rule would make a repeat harmless anyway). Invalid records are
quarantined with their raw payload; the rest of the page still applies. A feed-level
failure (FeedError) fails the run and leaves the checkpoint where it was.

Tombstone guard: before applying a page, the tombstones this run would apply to
records held live from the peer are counted; once they exceed
``tombstone_guard_share`` of those records (and ``tombstone_guard_min``), the run
stops before applying that page, stores it and every following page as a held
run, and waits for a focal point to confirm (apply exactly the stored pages) or
discard it (nothing applied; the checkpoint stays, so the next pull reads again).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import chain
from typing import Any

from schemas import ValidationIssue, validate_record
from sync.adapters import Page, PageItem, PullAdapter
from sync.errors import FeedError, HeldRunPending, SyncError
from sync.outcomes import Outcome
from sync.peers import PULL, PeerSpec, SyncSettings
from sync.runs import RunCounts, RunOutcome, RunReport
from sync.store import HeldPage, Rejected, SyncStore

Progress = Callable[[RunCounts], None]


@dataclass
class _Split:
    accepted: list[PageItem]
    rejected: list[Rejected]
    foreign: list[PageItem]  # third-origin records from a peer that is not a relay


@dataclass
class _Prepared:
    """A fetched page, split, with what the store computed ahead for its accepted items."""

    page: Page
    split: _Split
    prepared: Any


def check_item(item: PageItem, peer: PeerSpec, node_id: str) -> list[ValidationIssue]:
    """Problems that keep an item from being applied: adapter issues, schema, id prefix."""
    issues = [ValidationIssue(path, message) for path, message in item.issues]
    issues += validate_record(item.doc)
    if issues:
        return issues
    rid, origin = item.doc["id"], item.doc["origin"]
    if rid.split(":", 1)[0] != origin:
        return [ValidationIssue("/id", f"must start with its origin node id {origin!r}")]
    return []


def split_page(items: list[PageItem], peer: PeerSpec, node_id: str) -> _Split:
    """Sort a page into items to apply, items to quarantine, and other-origin items to skip.

    Schema validation of the items passed on happens once, in the store's apply
    (``validate_record`` through the same code path as every import and push); the
    store quarantines what it rejects in the page's transaction. Here: items the
    adapter could not build, and anything that is not even an object. A peer that
    is not a relay may only send its own records (and ours, echoed back, which the
    version rule answers with UNCHANGED): others are set aside, not applied, and
    counted as unchanged when they echo what is held here, else as conflicts.
    """
    out = _Split([], [], [])
    for item in items:
        doc = item.doc
        if item.issues or not isinstance(doc, dict):
            out.rejected.append(Rejected(item, check_item(item, peer, node_id)))
        elif not peer.relay and doc.get("origin", peer.id) not in (peer.id, node_id):
            out.foreign.append(item)
        else:
            out.accepted.append(item)
    return out


def check_cursor(adapter: PullAdapter, cursor: str | None, page: Page, seen: set[str]) -> None:
    """Refuse a page whose cursor goes backwards, repeats, or stands still while has_more.

    A peer that declares ordered cursors must hand out cursors whose order can be
    read: one that cannot be is a protocol error, never "order unknown".
    """
    order = adapter.cursor_order(cursor, page.next_cursor)
    if order is None and page.ordered_cursors:
        raise FeedError(
            "cursor",
            f"the peer declares ordered cursors, but {cursor!r} -> {page.next_cursor!r}"
            " cannot be compared (not a cursor of that form)",
        )
    if order is not None and order < 0:
        raise FeedError("cursor", f"cursor went backwards: {cursor!r} -> {page.next_cursor!r}")
    if page.has_more and (order == 0 or page.next_cursor == cursor):
        raise FeedError("cursor", f"cursor did not advance past {cursor!r} while has_more")
    if page.has_more and page.next_cursor in seen:
        raise FeedError("cursor", f"cursor {page.next_cursor!r} came back (a loop)")


class Puller:
    """One pull run of one peer."""

    def __init__(
        self,
        store: SyncStore,
        peer: PeerSpec,
        adapter: PullAdapter,
        settings: SyncSettings,
        progress: Progress | None = None,
    ):
        self.store, self.peer, self.adapter, self.settings = store, peer, adapter, settings
        self.progress = progress or (lambda counts: None)
        self.counts = RunCounts()

    def run(self, *, full: bool = False) -> RunReport:
        """Pull until the peer has no more pages; record the run; never raise a SyncError."""
        store, peer = self.store, self.peer
        checkpoint = store.checkpoint(peer.id, PULL)
        run_id = store.start_run(peer.id, PULL, checkpoint, "full" if full else "")
        report = RunReport(run_id, peer.id, PULL, RunOutcome.RUNNING, self.counts, checkpoint)
        report.cursor_after = checkpoint
        try:
            held = store.pending_held(peer.id)
            if held is not None:
                raise HeldRunPending(f"held run #{held} awaits a focal point's decision")
            self._pages(report, None if full else checkpoint, checkpoint)
        except HeldRunPending as exc:
            report.outcome, report.error = RunOutcome.SKIPPED, str(exc)
        except SyncError as exc:
            report.outcome, report.error = RunOutcome.FAILED, str(exc)
        except Exception as exc:
            self._finish(report, RunOutcome.FAILED, f"{exc.__class__.__name__}: {exc}")
            raise
        self._finish(report, report.outcome, report.error)
        return report

    def _finish(self, report: RunReport, outcome: RunOutcome, error: str) -> None:
        report.outcome = RunOutcome.SUCCESS if outcome == RunOutcome.RUNNING else outcome
        report.error = error
        self.store.finish_run(
            report.run_id, report.outcome, self.counts, report.cursor_after, error
        )

    def _fetch(self, cursor: str | None) -> Iterator[tuple[str | None, _Prepared]]:
        """(cursor, page) pairs in order, each page checked; the next page is fetched, split
        and prepared (``SyncStore.prepare_page``) in the background while the caller applies
        the current one: the peer works meanwhile, and the page's Python work overlaps this
        node's database writes."""
        size, seen = self.settings.page_size, set()
        with ThreadPoolExecutor(1, thread_name_prefix=f"fetch-{self.peer.id}") as pool:
            future = pool.submit(self._fetch_page, cursor, size)
            while True:
                ready = future.result()
                page = ready.page
                check_cursor(self.adapter, cursor, page, seen)
                seen.add(page.next_cursor)
                if page.has_more:
                    future = pool.submit(self._fetch_page, page.next_cursor, size)
                yield cursor, ready
                if not page.has_more:
                    return
                cursor = page.next_cursor

    def _fetch_page(self, cursor: str | None, size: int) -> _Prepared:
        page = self.adapter.fetch_page(cursor, size)
        split = split_page(page.items, self.peer, self.store.node_id)
        return _Prepared(page, split, self.store.prepare_page(self.peer, split.accepted))

    def _pages(self, report: RunReport, cursor: str | None, stored: str | None) -> None:
        live = None  # counted once, on the first page with tombstones (a table scan)
        tombstoned = 0
        pages = self._fetch(cursor)
        for cursor, ready in pages:
            hits = self._tombstone_hits(ready.split.accepted)
            if hits and live is None:
                live = self.store.live_count(self.peer.id)
            tombstoned += hits
            if hits and self._guard_trips(tombstoned, live):
                self._hold(report, ready.page, cursor, ((c, r.page) for c, r in pages))
                return
            self._apply(report, ready, stored)
            stored = ready.page.next_cursor

    def _apply(self, report: RunReport, ready: _Prepared, stored: str | None) -> None:
        page, split = ready.page, ready.split
        results = self.store.apply_page(
            report.run_id,
            self.peer,
            split.accepted,
            split.rejected,
            stored,
            page.next_cursor,
            ready.prepared,
        )
        for result in results:
            self.counts.add(result.outcome)
        self.counts.add(Outcome.REJECTED, len(split.rejected))
        echoes = self.store.echoes([i.doc for i in split.foreign]) if split.foreign else 0
        self.counts.add(Outcome.UNCHANGED, echoes)
        self.counts.add(Outcome.CONFLICT, len(split.foreign) - echoes)
        report.cursor_after = page.next_cursor
        self.progress(self.counts)

    def _tombstone_hits(self, accepted: list[PageItem]) -> int:
        ids = [i.doc["id"] for i in accepted if i.doc.get("deleted") is True]
        return self.store.live_among(self.peer.id, ids) if ids else 0

    def _guard_trips(self, tombstoned: int, live: int) -> bool:
        if tombstoned <= self.settings.tombstone_guard_min:
            return False
        return tombstoned > self.settings.tombstone_guard_share * live

    def _hold(self, report: RunReport, page: Page, cursor: str | None, rest) -> None:
        """Store this page and every following one, unapplied, as a held run."""
        held_id = None
        for number, (before, held_page) in enumerate(chain([(cursor, page)], rest)):
            held = HeldPage(number, held_page.items, before, held_page.next_cursor)
            held_id = self.store.hold_page(held_id, report.run_id, self.peer.id, held)
            self.counts.add(Outcome.HELD, len(held_page.items))
            self.progress(self.counts)
        report.held_id = held_id
        report.outcome = RunOutcome.HELD
        report.error = (
            f"held: this run would tombstone more than {self.settings.tombstone_guard_share:.0%}"
            f" of the records held from {self.peer.id}; a focal point must confirm or discard"
        )


def pull(
    store: SyncStore,
    peer: PeerSpec,
    adapter: PullAdapter,
    settings: SyncSettings,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> RunReport:
    """Run one pull of ``peer`` and return its report (the run is recorded in the store)."""
    return Puller(store, peer, adapter, settings, progress).run(full=full)


def confirm_held(
    store: SyncStore, peer: PeerSpec, settings: SyncSettings, held_id: int, decided_by: str
) -> RunReport:
    """Apply exactly the pages of a held run, as a run of its own, then close the held run.

    Resumable: if a previous confirm died half-way, pages up to the current
    checkpoint are skipped (the pages chain by cursor).
    """
    held = store.held_run(held_id)
    if held.state != "pending" or held.peer != peer.id:
        raise SyncError(f"held run #{held_id} of {peer.id} is not pending")
    checkpoint = store.checkpoint(peer.id, PULL)
    run_id = store.start_run(peer.id, PULL, checkpoint, f"confirm held #{held_id}")
    puller = Puller(store, peer, _NoFetch(), settings)
    report = RunReport(run_id, peer.id, PULL, RunOutcome.RUNNING, puller.counts, checkpoint)
    report.cursor_after = checkpoint
    try:
        started = checkpoint == held.cursor_before
        for page in store.held_pages(held_id):
            if not started:
                started = page.next_cursor == checkpoint
                continue
            split = split_page(page.items, peer, store.node_id)
            ready = _Prepared(Page(page.items, page.next_cursor, True), split, None)
            puller._apply(report, ready, checkpoint)
            checkpoint = page.next_cursor
        if not started:
            raise SyncError(f"checkpoint {checkpoint!r} is not on held run #{held_id}'s pages")
        store.close_held(held_id, "confirmed", decided_by)
    except SyncError as exc:
        puller._finish(report, RunOutcome.FAILED, str(exc))
        return report
    puller._finish(report, RunOutcome.RUNNING, "")
    return report


def discard_held(store: SyncStore, held_id: int, decided_by: str) -> None:
    """Drop a held run unapplied; the checkpoint stays, so the next pull reads those pages again."""
    store.close_held(held_id, "discarded", decided_by)


def retry_quarantined(
    store: SyncStore, peer: PeerSpec, adapter: PullAdapter, quarantine_id: int
) -> tuple[bool, list[ValidationIssue]]:
    """Re-parse and re-check one quarantined item; apply it if it now passes."""
    _peer, raw = store.quarantined_item(quarantine_id)
    try:
        item = adapter.reparse(raw)
    except FeedError as exc:
        item = PageItem(None, raw, [("", exc.message)])
    issues = check_item(item, peer, store.node_id)
    store.retry_quarantined(quarantine_id, peer, item, issues)
    return not issues, issues


class _NoFetch:
    """Stands in for an adapter when applying stored pages: cursors are not compared."""

    def fetch_page(self, cursor, limit):  # pragma: no cover - never called
        raise SyncError("confirming a held run fetches nothing")

    def cursor_order(self, before, after):
        return None
