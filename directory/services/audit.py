"""The audit log: who did what to what, when and why.

Call ``record_audit`` in the same transaction as the change it describes, so the
entry exists exactly when the change does. Actions are dotted names such as
``user.role`` or ``review.approve``; targets name the object, e.g. ``user:7`` or
``listing:kh-abc``; detail is the reason or a small dict of what changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, func, select

from directory.models import AuditEntry, User
from directory.models.base import utcnow

DETAIL_MAX = 4000


def record_audit(
    session: Session,
    actor: User | None,
    action: str,
    target: str = "",
    detail: str | dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry (flushed, not committed); ``actor`` None means the system or CLI."""
    if not action:
        raise ValueError("action: must not be empty")
    if isinstance(detail, dict):
        text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
    else:
        text = detail or ""
    entry = AuditEntry(
        created_at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_email=actor.email if actor is not None else "",
        action=action[:64],
        target=str(target)[:200],
        detail=text[:DETAIL_MAX],
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class AuditFilters:
    """What the admin page filters by; every field optional."""

    actor: str = ""  # part of the actor's email
    action: str = ""  # exact action, or a prefix ending in "." (e.g. "review.")
    target: str = ""  # exact object, e.g. "user:7"
    since: date | None = None
    until: date | None = None  # inclusive


def list_audit(
    session: Session, filters: AuditFilters, page: int = 1, per_page: int = 50
) -> tuple[list[AuditEntry], int]:
    """Entries matching ``filters``, newest first, and the total count."""
    query = select(AuditEntry)
    if filters.actor:
        query = query.where(func.lower(AuditEntry.actor_email).contains(filters.actor.lower()))
    if filters.action.endswith("."):
        query = query.where(AuditEntry.action.startswith(filters.action))
    elif filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.target:
        query = query.where(AuditEntry.target == filters.target)
    if filters.since:
        query = query.where(AuditEntry.created_at >= _day_start(filters.since))
    if filters.until and filters.until < date.max:  # the last day has no day after it
        query = query.where(AuditEntry.created_at < _day_start(filters.until) + timedelta(days=1))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), total


def audit_actions(session: Session) -> list[str]:
    """Every action name present in the log (for the filter's choices)."""
    return list(session.exec(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
