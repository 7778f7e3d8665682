"""The SQLModel implementation of the sync engine's store (``sync.store.SyncStore``).

Each writing method is one transaction (``directory.db.transaction``): a page is
applied through the same services as every other published change
(``apply_remote_changes``, or ``hold_remote_changes`` for peers with trust
"review"), its rejects are quarantined, and the checkpoint moves by
compare-and-set, all in one commit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from directory.db import new_session, transaction
from directory.models import Listing, ListingState
from directory.models.base import utcnow
from directory.models.sync import (
    HeldPageRow,
    HeldRunRow,
    PushReceiptRow,
    QuarantineEntry,
    SyncCheckpoint,
    SyncRun,
)
from directory.node import Node
from directory.services.changes import (
    RemotePrepared,
    apply_remote_changes,
    held_versions,
    is_echo,
    prepare_remote,
    read_changes,
)
from directory.services.feed import PeerView, feed_items
from directory.services.isolation import apply_isolated, storable
from directory.services.reviews import hold_remote_changes
from schemas import ValidationIssue
from sync.adapters import PageItem, Receipt
from sync.errors import CheckpointMoved, SyncError
from sync.outcomes import Outcome
from sync.peers import PULL, PUSH, PeerSpec
from sync.runs import RunCounts, RunOutcome
from sync.store import Applied, HeldPage, HeldRun, PushBatch, Rejected

CHUNK = 500


def _errors_json(issues: Sequence[ValidationIssue]) -> str:
    return orjson.dumps([{"path": i.path, "message": i.message} for i in issues]).decode()


def _quarantine_row(peer: str, run_id: int | None, item: PageItem, issues, now) -> dict:
    doc = item.doc if isinstance(item.doc, dict) else {}
    rid, version = doc.get("id"), doc.get("version")
    return {
        "peer": peer,
        "run_id": run_id,
        "record_id": storable(rid)[:100] if isinstance(rid, str) else None,
        "version": version if isinstance(version, int) and not isinstance(version, bool) else None,
        "payload": storable(item.raw_text()),
        "errors": storable(_errors_json(issues)),
        "created_at": now,
    }


def _envelope_typed(doc: dict) -> bool:
    """id and origin are text and version an integer (the rest is not checked here)."""
    version = doc.get("version")
    return (
        isinstance(doc.get("id"), str)
        and isinstance(doc.get("origin"), str)
        and isinstance(version, int)
        and not isinstance(version, bool)
    )


class SqlSyncStore:
    """The local database, for the sync engine."""

    def __init__(self, engine: Engine, node: Node):
        self.engine = engine
        self.node = node
        self.node_id = node.id

    # -- checkpoints and runs -------------------------------------------------

    def checkpoint(self, peer: str, direction: str) -> str | None:
        """The committed cursor (None: never synced)."""
        with new_session(self.engine) as s:
            return s.execute(
                select(SyncCheckpoint.cursor).where(
                    SyncCheckpoint.peer == peer, SyncCheckpoint.direction == direction
                )
            ).scalar()

    def start_run(self, peer: str, direction: str, cursor_before: str | None, note: str) -> int:
        """Record a running run; mark the pair's earlier ``running`` runs as interrupted."""
        self._ensure_checkpoint_row(peer, direction)
        with transaction(self.engine) as s:
            s.execute(
                update(SyncRun)
                .where(
                    SyncRun.peer == peer,
                    SyncRun.direction == direction,
                    SyncRun.outcome == RunOutcome.RUNNING,
                )
                .values(outcome=RunOutcome.INTERRUPTED, finished_at=utcnow())
            )
            run = SyncRun(peer=peer, direction=direction, cursor_before=cursor_before, note=note)
            s.add(run)
            s.flush()
            return run.id

    def last_started(self, peer: str, direction: str):
        """When the latest run of a peer and direction started (None: never)."""
        with new_session(self.engine) as s:
            return s.execute(
                select(func.max(SyncRun.started_at)).where(
                    SyncRun.peer == peer, SyncRun.direction == direction
                )
            ).scalar()

    def _ensure_checkpoint_row(self, peer: str, direction: str) -> None:
        try:
            with transaction(self.engine) as s:
                if s.get(SyncCheckpoint, (peer, direction)) is None:
                    s.add(SyncCheckpoint(peer=peer, direction=direction))
        except IntegrityError:
            pass  # another run created it meanwhile

    def finish_run(
        self,
        run_id: int,
        outcome: RunOutcome,
        counts: RunCounts,
        cursor_after: str | None,
        error: str,
    ) -> None:
        """Record how a run ended."""
        with transaction(self.engine) as s:
            s.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id)
                .values(
                    outcome=str(outcome),
                    finished_at=utcnow(),
                    cursor_after=cursor_after,
                    error=error or None,
                    **counts.as_dict(),
                )
            )

    def _move(
        self, s: Session, peer: str, direction: str, expected: str | None, new: str | None
    ) -> None:
        """Compare-and-set the checkpoint inside the caller's transaction."""
        t = SyncCheckpoint.__table__
        result = s.execute(
            update(t)
            .where(
                t.c.peer == peer,
                t.c.direction == direction,
                t.c.cursor.is_not_distinct_from(expected),
            )
            .values(cursor=new, updated_at=utcnow())
        )
        if result.rowcount != 1:
            raise CheckpointMoved(
                f"{direction} checkpoint of {peer} is no longer {expected!r}: another run moved it"
            )

    # -- pull -----------------------------------------------------------------

    def live_count(self, peer: str) -> int:
        """Published records held from ``peer``."""
        with new_session(self.engine) as s:
            return s.execute(
                select(func.count())
                .select_from(Listing)
                .where(Listing.source_peer == peer, Listing.state == ListingState.PUBLISHED)
            ).scalar_one()

    def live_among(self, peer: str, ids: Sequence[str]) -> int:
        """How many of ``ids`` are published records held from ``peer``."""
        total = 0
        with new_session(self.engine) as s:
            for start in range(0, len(ids), CHUNK):
                total += s.execute(
                    select(func.count())
                    .select_from(Listing)
                    .where(
                        Listing.id.in_(ids[start : start + CHUNK]),
                        Listing.source_peer == peer,
                        Listing.state == ListingState.PUBLISHED,
                    )
                ).scalar_one()
        return total

    def echoes(self, docs: Sequence[dict[str, Any]]) -> int:
        """How many of ``docs`` this node already holds, same origin, at that version or newer."""
        docs = [
            d for d in docs if isinstance(d.get("id"), str) and isinstance(d.get("version"), int)
        ]
        with new_session(self.engine) as s:
            held = held_versions(s, [d["id"] for d in docs])
        return sum(1 for d in docs if is_echo(d, held.get(d["id"])))

    def apply_page(
        self,
        run_id: int,
        peer: PeerSpec,
        accepted: list[PageItem],
        rejected: list[Rejected],
        expected: str | None,
        new_cursor: str,
        prepared: RemotePrepared | None = None,
    ) -> list[Applied]:
        """Apply, quarantine and move the pull checkpoint in one transaction."""
        with transaction(self.engine) as s:
            self._move(s, peer.id, PULL, expected, new_cursor)
            results = self._apply_isolated(s, peer, [i.doc for i in accepted], prepared)
            now = utcnow()
            rows = [_quarantine_row(peer.id, run_id, r.item, r.issues, now) for r in rejected]
            for item, result in zip(accepted, results, strict=True):
                if result.outcome == Outcome.REJECTED:
                    issues = result.issues or [ValidationIssue("", result.message or "rejected")]
                    rows.append(_quarantine_row(peer.id, run_id, item, issues, now))
            rows = self._new_quarantine_rows(s, peer.id, rows)
            if rows:
                s.execute(insert(QuarantineEntry.__table__), rows)
            self._supersede_quarantine(s, peer.id, results, now)
        return results

    def _new_quarantine_rows(self, s: Session, peer: str, rows: list[dict]) -> list[dict]:
        """Drop rows already open with the same payload (a --full pull reads them again)."""
        ids = list({r["record_id"] for r in rows if r["record_id"]})
        if not ids:
            return rows
        t = QuarantineEntry.__table__
        known = set(
            s.execute(
                select(t.c.record_id, t.c.payload).where(
                    t.c.peer == peer, t.c.resolved_at.is_(None), t.c.record_id.in_(ids)
                )
            ).all()
        )
        return [r for r in rows if (r["record_id"], r["payload"]) not in known]

    def prepare_page(self, peer: PeerSpec, accepted: list[PageItem]) -> RemotePrepared | None:
        """The records' checks, columns and keys, computed ahead (none for a review peer:
        its records are held as revisions, not written as listings)."""
        if peer.trust == "review" or not accepted:
            return None
        return prepare_remote([i.doc for i in accepted])

    def _apply_isolated(
        self, s: Session, peer: PeerSpec, docs: list[Any], prepared: RemotePrepared | None = None
    ) -> list[Applied]:
        """Apply in a savepoint; a record the database refuses is REJECTED alone."""
        return apply_isolated(s, lambda batch: self._apply(s, peer, batch, prepared), docs)

    def _apply(
        self, s: Session, peer: PeerSpec, docs: list[Any], prepared: RemotePrepared | None
    ) -> list[Applied]:
        if not docs:
            return []
        kwargs = {"node": self.node, "source_peer": peer.id, "relay": peer.relay}
        if peer.trust == "review":
            return hold_remote_changes(s, docs, **kwargs)
        return apply_remote_changes(s, docs, **kwargs, prepared=prepared)

    def _supersede_quarantine(self, s: Session, peer: str, results, now) -> None:
        """A newer valid version of a quarantined record resolves the older quarantine rows."""
        newest = {r.id: r.version for r in results if r.outcome.changed or r.outcome == "held"}
        if not newest:
            return
        t = QuarantineEntry.__table__
        any_open = s.execute(
            select(t.c.id).where(t.c.peer == peer, t.c.resolved_at.is_(None)).limit(1)
        ).first()
        if any_open is None:  # the usual case: one indexed probe instead of an IN list
            return
        open_rows = s.execute(
            select(t.c.id, t.c.record_id, t.c.version).where(
                t.c.peer == peer, t.c.resolved_at.is_(None), t.c.record_id.in_(list(newest))
            )
        ).all()
        done = [qid for qid, rid, v in open_rows if v is None or v <= newest[rid]]
        if done:
            s.execute(
                update(t).where(t.c.id.in_(done)).values(resolved_at=now, resolution="superseded")
            )

    # -- held runs ------------------------------------------------------------

    def pending_held(self, peer: str) -> int | None:
        """The peer's held run awaiting a decision, if any."""
        with new_session(self.engine) as s:
            return s.execute(
                select(HeldRunRow.id).where(HeldRunRow.peer == peer, HeldRunRow.state == "pending")
            ).scalar()

    def hold_page(self, held_id: int | None, run_id: int, peer: str, page: HeldPage) -> int:
        """Store one page of a held run (creating it on the first page)."""
        items = [
            {"doc": i.doc, "raw": i.raw, "issues": [list(x) for x in i.issues]} for i in page.items
        ]
        tombstones = sum(1 for i in page.items if isinstance(i.doc, dict) and i.doc.get("deleted"))
        with transaction(self.engine) as s:
            if held_id is None:
                row = HeldRunRow(peer=peer, run_id=run_id, cursor_before=page.cursor_before)
                s.add(row)
                s.flush()
                held_id = row.id
            s.add(
                HeldPageRow(
                    held_run_id=held_id,
                    number=page.number,
                    cursor_before=page.cursor_before,
                    next_cursor=page.next_cursor,
                    items=orjson.dumps(items).decode(),
                )
            )
            s.execute(
                update(HeldRunRow)
                .where(HeldRunRow.id == held_id)
                .values(
                    cursor_after=page.next_cursor,
                    pages=HeldRunRow.pages + 1,
                    records=HeldRunRow.records + len(items),
                    tombstones=HeldRunRow.tombstones + tombstones,
                )
            )
        return held_id

    def held_run(self, held_id: int) -> HeldRun:
        """A held run by id."""
        with new_session(self.engine) as s:
            row = s.get(HeldRunRow, held_id)
            if row is None:
                raise SyncError(f"no held run #{held_id}")
            return HeldRun(row.id, row.peer, row.state, row.cursor_before, row.cursor_after)

    def held_pages(self, held_id: int) -> Iterator[HeldPage]:
        """The stored pages, in order, one at a time."""
        number = -1
        while True:
            with new_session(self.engine) as s:
                row = s.execute(
                    select(HeldPageRow)
                    .where(HeldPageRow.held_run_id == held_id, HeldPageRow.number > number)
                    .order_by(HeldPageRow.number)
                    .limit(1)
                ).scalar()
            if row is None:
                return
            number = row.number
            items = [
                PageItem(i["doc"], i["raw"], [tuple(x) for x in i["issues"]])
                for i in orjson.loads(row.items)
            ]
            yield HeldPage(row.number, items, row.cursor_before, row.next_cursor)

    def close_held(self, held_id: int, state: str, decided_by: str) -> None:
        """Mark a pending held run confirmed or discarded (its pages are deleted)."""
        with transaction(self.engine) as s:
            done = s.execute(
                update(HeldRunRow)
                .where(HeldRunRow.id == held_id, HeldRunRow.state == "pending")
                .values(state=state, decided_at=utcnow(), decided_by=decided_by)
            ).rowcount
            if done != 1:
                raise SyncError(f"held run #{held_id} is not pending")
            s.execute(HeldPageRow.__table__.delete().where(HeldPageRow.held_run_id == held_id))

    # -- push -----------------------------------------------------------------

    def push_batch(self, peer: PeerSpec, after: str | None, limit: int) -> PushBatch:
        """Local changes after ``after`` (a change-log seq as text), filtered like the feed."""
        after_seq = int(after) if after else 0
        with new_session(self.engine) as s:
            rows = read_changes(s, after_seq, limit)
        view = PeerView(peer.id, hub=peer.hub)
        changes = [orjson.loads(text) for text in feed_items(rows, view, self.node)]
        cursor = str(rows[-1].seq) if rows else after
        return PushBatch(changes, cursor, len(rows) == limit)

    def save_receipts(
        self,
        run_id: int,
        peer: str,
        batch: PushBatch,
        receipts: list[Receipt],
        expected: str | None,
    ) -> None:
        """Store the receipts and move the push checkpoint, together."""
        now = utcnow()
        rows = [
            {
                "peer": peer,
                "run_id": run_id,
                "record_id": r.id,
                "version": r.version,
                "status": r.status,
                "errors": orjson.dumps(r.errors).decode() if r.errors else None,
                "message": r.message or None,
                "at": now,
            }
            for r in receipts
        ]
        with transaction(self.engine) as s:
            self._move(s, peer, PUSH, expected, batch.cursor)
            if rows:
                s.execute(insert(PushReceiptRow.__table__), rows)

    # -- quarantine -----------------------------------------------------------

    def quarantined_item(self, quarantine_id: int) -> tuple[str, str]:
        """(peer, raw payload) of an unresolved quarantine row."""
        with new_session(self.engine) as s:
            row = s.get(QuarantineEntry, quarantine_id)
            if row is None or row.resolved_at is not None:
                raise SyncError(f"quarantine entry #{quarantine_id} is not open")
            return row.peer, row.payload

    def retry_quarantined(
        self, quarantine_id: int, peer: PeerSpec, item: PageItem, issues: list[ValidationIssue]
    ) -> Applied | None:
        """Apply a re-checked item and resolve the row, or store its new errors."""
        t = QuarantineEntry.__table__
        with transaction(self.engine) as s:
            if issues:
                s.execute(
                    update(t)
                    .where(t.c.id == quarantine_id)
                    .values(errors=storable(_errors_json(issues)))
                )
                return None
            [result] = self._apply_isolated(s, peer, [item.doc])
            if result.outcome == Outcome.REJECTED:
                errors = _errors_json(result.issues or [ValidationIssue("", result.message)])
                s.execute(update(t).where(t.c.id == quarantine_id).values(errors=storable(errors)))
                return result
            s.execute(
                update(t)
                .where(t.c.id == quarantine_id)
                .values(resolved_at=utcnow(), resolution="applied")
            )
            return result
