"""One record never fails a batch: savepoints around bulk writes, and text a column can hold.

A pull page, a push batch and an import batch are each written in one
transaction. If the database refuses the batch (a value too long for a column,
a constraint, text PostgreSQL cannot store), the batch is retried record by
record, each in its own savepoint: the records the database refuses are answered
REJECTED with its reason (to be quarantined or written to the rejects file) and
the others are applied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from directory.services.changes import ApplyResult
from schemas import ValidationIssue
from sync.outcomes import Outcome


def storable(text: str) -> str:
    """Text any database column can hold: PostgreSQL refuses NUL, so it is kept as ``\\u0000``."""
    return text.replace("\x00", "\\u0000")


def refused_by_database(doc: Any, exc: DBAPIError) -> ApplyResult:
    """The REJECTED result for a record the database would not store, with its reason."""
    lines = str(exc.orig).strip().splitlines()
    reason = storable(lines[0]) if lines else type(exc.orig).__name__
    issue = ValidationIssue("", f"the database refused this record: {reason}")
    rid = doc.get("id") if isinstance(doc, dict) else None
    version = doc.get("version") if isinstance(doc, dict) else None
    return ApplyResult(rid, version, Outcome.REJECTED, [issue])


def apply_isolated(
    session: Session, apply: Callable[[list[Any]], list], docs: Sequence[Any]
) -> list:
    """``apply(docs)`` in one savepoint; if the database refuses it, record by record."""
    try:
        with session.begin_nested():
            return apply(list(docs))
    except DBAPIError:
        pass
    results = []
    for doc in docs:
        try:
            with session.begin_nested():
                results += apply([doc])
        except DBAPIError as exc:
            results.append(refused_by_database(doc, exc))
    return results
