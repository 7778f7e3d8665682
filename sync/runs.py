"""What a run did: its outcome and counts, as recorded in the run history."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field

from sync.outcomes import Outcome


class RunOutcome(enum.StrEnum):
    """How a run ended."""

    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"  # feed-level failure: checkpoint left at the last committed page
    HELD = "held"  # tombstone guard tripped: pages stored, waiting for a focal point
    SKIPPED = "skipped"  # not attempted (a held run awaits a decision)
    INTERRUPTED = "interrupted"  # the process died; found by the next run of the same peer


@dataclass
class RunCounts:
    """Records per outcome. Conflicts (own records echoed back, other origins) are not errors."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    held: int = 0
    conflict: int = 0

    def add(self, outcome: Outcome | str, n: int = 1) -> None:
        """Count ``n`` records with ``outcome``."""
        name = str(outcome)
        setattr(self, name, getattr(self, name) + n)

    def as_dict(self) -> dict[str, int]:
        """The counts by name."""
        return asdict(self)

    @property
    def total(self) -> int:
        """Every record seen."""
        return sum(self.as_dict().values())


@dataclass
class RunReport:
    """The result of one run, as returned to the CLI and the scheduler."""

    run_id: int
    peer: str
    direction: str
    outcome: RunOutcome
    counts: RunCounts = field(default_factory=RunCounts)
    cursor_before: str | None = None
    cursor_after: str | None = None
    error: str = ""
    held_id: int | None = None

    @property
    def ok(self) -> bool:
        """True unless the run failed."""
        return self.outcome in (RunOutcome.SUCCESS, RunOutcome.HELD)
