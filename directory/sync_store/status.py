"""The read side of sync for the pages: peer health, runs, quarantine, held runs and
push receipts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import func, select
from sqlmodel import Session

from directory.models import Listing, ListingState
from directory.models.base import as_utc, utcnow
from directory.models.sync import (
    HeldRunRow,
    PushReceiptRow,
    QuarantineEntry,
    SyncCheckpoint,
    SyncRun,
)
from sync.peers import PULL, PUSH, PeerSpec


def push_rejections_for_listing(session: Session, listing_id: str) -> list[PushReceiptRow]:
    """The latest receipt per peer for a listing, when that peer rejected or refused it.

    For the owner's listing page: a peer's reasons stay visible until a later push
    to that peer is applied.
    """
    rows = session.execute(
        select(PushReceiptRow)
        .where(PushReceiptRow.record_id == listing_id)
        .order_by(PushReceiptRow.at.desc(), PushReceiptRow.id.desc())
    ).scalars()
    latest: dict[str, PushReceiptRow] = {}
    for row in rows:
        latest.setdefault(row.peer, row)
    return [r for r in latest.values() if r.status in ("rejected", "conflict")]


def receipt_errors(row: PushReceiptRow) -> list[dict[str, str]]:
    """A receipt's errors as [{"path", "message"}]."""
    return orjson.loads(row.errors) if row.errors else []


@dataclass
class PeerHealth:
    """One peer and direction as the peers page shows it."""

    peer: str
    direction: str
    protocol: str
    checkpoint: str | None
    last_run: SyncRun | None
    last_success: datetime | None
    last_error: str | None
    lag_seconds: float | None  # since the last success
    lag_records: int | None  # push: local changes not yet sent; pull: unknown
    open_quarantine: int
    pending_held: int | None


def peer_health(session: Session, peers: Sequence[PeerSpec]) -> list[PeerHealth]:
    """Health of every configured peer and enabled direction."""
    now = utcnow()
    out = []
    for peer in peers:
        for direction in [d for d, on in ((PULL, peer.pull), (PUSH, peer.push)) if on]:
            ckpt = session.get(SyncCheckpoint, (peer.id, direction))
            base = (SyncRun.peer == peer.id, SyncRun.direction == direction)
            last = session.execute(
                select(SyncRun).where(*base).order_by(SyncRun.id.desc()).limit(1)
            ).scalar()
            success = session.execute(
                select(func.max(SyncRun.finished_at)).where(*base, SyncRun.outcome == "success")
            ).scalar()
            error = session.execute(
                select(SyncRun.error)
                .where(*base, SyncRun.error.is_not(None))
                .order_by(SyncRun.id.desc())
                .limit(1)
            ).scalar()
            cursor = ckpt.cursor if ckpt else None
            out.append(
                PeerHealth(
                    peer=peer.id,
                    direction=direction,
                    protocol=peer.protocol,
                    checkpoint=cursor,
                    last_run=last,
                    last_success=success,
                    last_error=error,
                    lag_seconds=(now - as_utc(success)).total_seconds() if success else None,
                    lag_records=_push_lag(session, cursor) if direction == PUSH else None,
                    open_quarantine=_open_quarantine_count(session, peer.id),
                    pending_held=session.execute(
                        select(HeldRunRow.id).where(
                            HeldRunRow.peer == peer.id, HeldRunRow.state == "pending"
                        )
                    ).scalar(),
                )
            )
    return out


def _push_lag(session: Session, cursor: str | None) -> int:
    after = int(cursor) if cursor and cursor.isdigit() else 0
    return session.execute(
        select(func.count()).select_from(Listing).where(Listing.change_seq > after)
    ).scalar_one()


def _open_quarantine_count(session: Session, peer: str) -> int:
    return session.execute(
        select(func.count())
        .select_from(QuarantineEntry)
        .where(QuarantineEntry.peer == peer, QuarantineEntry.resolved_at.is_(None))
    ).scalar_one()


def recent_runs(session: Session, peer: str | None = None, limit: int = 100) -> list[SyncRun]:
    """The latest runs, newest first."""
    stmt = select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)
    if peer:
        stmt = stmt.where(SyncRun.peer == peer)
    return list(session.execute(stmt).scalars())


def open_quarantine(
    session: Session, peer: str | None = None, limit: int = 200
) -> list[QuarantineEntry]:
    """Unresolved quarantine entries, newest first."""
    stmt = (
        select(QuarantineEntry)
        .where(QuarantineEntry.resolved_at.is_(None))
        .order_by(QuarantineEntry.id.desc())
        .limit(limit)
    )
    if peer:
        stmt = stmt.where(QuarantineEntry.peer == peer)
    return list(session.execute(stmt).scalars())


def quarantine_errors(row: QuarantineEntry) -> list[dict[str, str]]:
    """A quarantine entry's errors as [{"path", "message"}]."""
    return orjson.loads(row.errors)


def pending_held_runs(session: Session) -> list[HeldRunRow]:
    """Held runs awaiting a decision, oldest first."""
    return list(
        session.execute(
            select(HeldRunRow).where(HeldRunRow.state == "pending").order_by(HeldRunRow.id)
        ).scalars()
    )


def held_share(session: Session, held: HeldRunRow) -> tuple[int, int]:
    """(tombstones in the held run, published records held from its peer)."""
    live = session.execute(
        select(func.count())
        .select_from(Listing)
        .where(Listing.source_peer == held.peer, Listing.state == ListingState.PUBLISHED)
    ).scalar_one()
    return held.tombstones, live


def open_push_rejections(session: Session, limit: int = 200) -> list[PushReceiptRow]:
    """Records a peer refused on push whose latest receipt from that peer is still a refusal."""
    refused = list(
        session.execute(
            select(PushReceiptRow)
            .where(PushReceiptRow.status.in_(("rejected", "conflict")))
            .order_by(PushReceiptRow.id.desc())
            .limit(limit)
        ).scalars()
    )
    if not refused:
        return []
    latest = dict(
        session.execute(
            select(
                PushReceiptRow.peer + " " + PushReceiptRow.record_id,
                func.max(PushReceiptRow.id),
            )
            .where(PushReceiptRow.record_id.in_({r.record_id for r in refused}))
            .group_by(PushReceiptRow.peer, PushReceiptRow.record_id)
        ).all()
    )
    return [r for r in refused if latest.get(f"{r.peer} {r.record_id}") == r.id]
