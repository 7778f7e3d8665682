"""The explicit result of applying one incoming record."""

from __future__ import annotations

import enum


class Outcome(enum.StrEnum):
    """What applying one record did to the local store."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    REJECTED = "rejected"  # failed validation or a rule (errors say which)
    CONFLICT = "conflict"  # another node is authoritative for this record
    HELD = "held"  # valid, waiting for a focal point's review before it publishes

    @property
    def changed(self) -> bool:
        """True when the local published data changed."""
        return self in (Outcome.CREATED, Outcome.UPDATED, Outcome.DELETED)
