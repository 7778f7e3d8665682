"""Sync state: checkpoints, run history, quarantine, push receipts, held runs, scheduler lease."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from directory.models.base import utcnow
from sync.runs import RunOutcome

RUN_OUTCOMES = tuple(outcome.value for outcome in RunOutcome)
HELD_STATES = ("pending", "confirmed", "discarded")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SyncCheckpoint(SQLModel, table=True):
    """Where the last committed page of a peer and direction ended (opaque cursor)."""

    __tablename__ = "sync_checkpoints"
    __table_args__ = (CheckConstraint(_in("direction", ("pull", "push")), name="ck_ckpt_dir"),)

    peer: str = Field(primary_key=True, max_length=32)
    direction: str = Field(primary_key=True, max_length=8)
    cursor: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow)


class SyncRun(SQLModel, table=True):
    """One pull or push of one peer, with what it did."""

    __tablename__ = "sync_runs"
    __table_args__ = (
        CheckConstraint(_in("outcome", RUN_OUTCOMES), name="ck_sync_runs_outcome"),
        Index("ix_sync_runs_peer", "peer", "direction", "started_at"),
        Index("ix_sync_runs_started", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    peer: str = Field(max_length=32)
    direction: str = Field(max_length=8)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    outcome: str = Field(default="running", max_length=12)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    held: int = 0
    conflict: int = 0
    cursor_before: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    cursor_after: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    note: str = Field(default="", max_length=100)


class QuarantineEntry(SQLModel, table=True):
    """A pulled item that failed validation: its raw payload and errors, until resolved."""

    __tablename__ = "quarantine"
    __table_args__ = (
        Index("ix_quarantine_open", "peer", "resolved_at"),
        Index("ix_quarantine_record", "record_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    peer: str = Field(max_length=32)
    run_id: int | None = Field(default=None, foreign_key="sync_runs.id")
    record_id: str | None = Field(default=None, max_length=100)
    version: int | None = None
    payload: str = Field(sa_column=Column(Text, nullable=False))
    errors: str = Field(sa_column=Column(Text, nullable=False))  # JSON [{"path", "message"}]
    created_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None
    resolution: str | None = Field(default=None, max_length=20)  # applied | superseded


class PushReceiptRow(SQLModel, table=True):
    """A peer's receipt for one pushed record."""

    __tablename__ = "push_receipts"
    __table_args__ = (
        Index("ix_push_receipts_record", "record_id", "at"),
        Index("ix_push_receipts_peer_status", "peer", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    peer: str = Field(max_length=32)
    run_id: int | None = Field(default=None, foreign_key="sync_runs.id")
    record_id: str = Field(max_length=100)
    version: int
    status: str = Field(max_length=12)
    errors: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    at: datetime = Field(default_factory=utcnow)


class HeldRunRow(SQLModel, table=True):
    """A pull the tombstone guard stopped: its pages wait for a focal point's decision."""

    __tablename__ = "held_runs"
    __table_args__ = (
        CheckConstraint(_in("state", HELD_STATES), name="ck_held_runs_state"),
        Index(
            "uq_held_runs_one_pending",
            "peer",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    peer: str = Field(max_length=32)
    run_id: int | None = Field(default=None, foreign_key="sync_runs.id")
    state: str = Field(default="pending", max_length=12)
    cursor_before: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    cursor_after: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    pages: int = 0
    records: int = 0
    tombstones: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    decided_by: str | None = Field(default=None, max_length=254)


class HeldPageRow(SQLModel, table=True):
    """One stored page of a held run: items as fetched (JSON), and the cursors around it."""

    __tablename__ = "held_run_pages"

    held_run_id: int = Field(foreign_key="held_runs.id", primary_key=True)
    number: int = Field(primary_key=True)
    cursor_before: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    next_cursor: str = Field(sa_column=Column(Text, nullable=False))
    items: str = Field(sa_column=Column(Text, nullable=False))  # JSON [{"doc","raw","issues"}]


class SchedulerLease(SQLModel, table=True):
    """On SQLite, the scheduler that holds this row (until expires_at) is the one that runs jobs."""

    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=100)
    expires_at: datetime
