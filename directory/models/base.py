"""Small shared pieces of the table models."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (SQLModel stores it as UTC)."""
    return datetime.now(UTC)


def isoformat_z(moment: datetime) -> str:
    """RFC 3339 UTC text with seconds precision, e.g. 2026-11-21T10:15:00Z."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_utc(moment: datetime) -> datetime:
    """A stored time as timezone-aware UTC (SQLite hands back naive datetimes)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
