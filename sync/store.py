"""The local database as the sync engine sees it: a Protocol that ``directory`` implements.

The engine never opens a transaction itself. Each method that writes is one
transaction of its own, and the ones that move a checkpoint write the data and
the checkpoint together, so a crash between two calls loses nothing and applies
nothing twice. Checkpoints move by compare-and-set: a method given ``expected``
raises :class:`sync.errors.CheckpointMoved` (and writes nothing) when the stored
cursor is no longer ``expected``, so two runs of the same peer cannot interleave.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from schemas import ValidationIssue
from sync.adapters import PageItem, Receipt
from sync.outcomes import Outcome
from sync.peers import PeerSpec
from sync.runs import RunCounts, RunOutcome


class Applied(Protocol):
    """The result of applying one record (directory's ApplyResult has this shape)."""

    id: str | None
    version: int | None
    outcome: Outcome
    issues: list[ValidationIssue]
    message: str


@dataclass
class Rejected:
    """An item refused before applying, with its problems; it goes to quarantine."""

    item: PageItem
    issues: list[ValidationIssue]


@dataclass
class HeldPage:
    """One page of a held run, in order."""

    number: int
    items: list[PageItem]
    cursor_before: str | None
    next_cursor: str


@dataclass
class HeldRun:
    """A pull stopped by the tombstone guard."""

    id: int
    peer: str
    state: str  # pending | confirmed | discarded
    cursor_before: str | None
    cursor_after: str | None


@dataclass
class PushBatch:
    """Local changes to send to one peer; ``cursor`` is where the push checkpoint moves after."""

    changes: list[dict[str, Any]]
    cursor: str | None
    more: bool


class SyncStore(Protocol):
    """Duties of the local store towards the engine."""

    node_id: str

    def checkpoint(self, peer: str, direction: str) -> str | None:
        """The committed cursor of a peer and direction (None: never synced)."""
        ...

    def start_run(self, peer: str, direction: str, cursor_before: str | None, note: str) -> int:
        """Record a running run; earlier runs of the pair left ``running`` become interrupted."""
        ...

    def finish_run(
        self,
        run_id: int,
        outcome: RunOutcome,
        counts: RunCounts,
        cursor_after: str | None,
        error: str,
    ) -> None:
        """Record how a run ended."""
        ...

    def live_count(self, peer: str) -> int:
        """How many published (not tombstoned) records this node holds from ``peer``."""
        ...

    def live_among(self, peer: str, ids: Sequence[str]) -> int:
        """How many of ``ids`` are published records held from ``peer``."""
        ...

    def echoes(self, docs: Sequence[dict[str, Any]]) -> int:
        """How many of ``docs`` this node already holds, same origin, at that version or newer."""
        ...

    def apply_page(
        self,
        run_id: int,
        peer: PeerSpec,
        accepted: list[PageItem],
        rejected: list[Rejected],
        expected: str | None,
        new_cursor: str,
        prepared: Any = None,
    ) -> list[Applied]:
        """In ONE transaction: apply ``accepted`` (publish, or hold for review when the peer's
        trust is "review"), quarantine ``rejected`` and any item the apply rejects, and move
        the pull checkpoint from ``expected`` to ``new_cursor``. One result per accepted item.
        ``prepared``: what ``prepare_page`` returned for ``accepted``, or None."""
        ...

    def prepare_page(self, peer: PeerSpec, accepted: list[PageItem]) -> Any:
        """Work on a page's items that reads and writes nothing (validation, computed rows),
        for ``apply_page``. The puller calls it in its fetch thread, on the next page while
        the current one is applied, so it must be safe to call from another thread."""
        ...

    def pending_held(self, peer: str) -> int | None:
        """The id of the peer's held run awaiting a decision, if any."""
        ...

    def hold_page(self, held_id: int | None, run_id: int, peer: str, page: HeldPage) -> int:
        """Store one page of a held run (creating it when ``held_id`` is None); the held run's
        ``cursor_after`` becomes the page's next cursor. Returns the held run's id."""
        ...

    def held_run(self, held_id: int) -> HeldRun:
        """A held run by id."""
        ...

    def held_pages(self, held_id: int) -> Iterator[HeldPage]:
        """The stored pages of a held run, in order."""
        ...

    def close_held(self, held_id: int, state: str, decided_by: str) -> None:
        """Mark a held run confirmed or discarded."""
        ...

    def push_batch(self, peer: PeerSpec, after: str | None, limit: int) -> PushBatch:
        """Local changes after the push cursor that the peer may see (else consent tombstones);
        never a record whose origin is the peer."""
        ...

    def save_receipts(
        self,
        run_id: int,
        peer: str,
        batch: PushBatch,
        receipts: list[Receipt],
        expected: str | None,
    ) -> None:
        """In ONE transaction: store the receipts and move the push checkpoint to batch.cursor."""
        ...

    def quarantined_item(self, quarantine_id: int) -> tuple[str, str]:
        """(peer id, raw payload) of an unresolved quarantine row."""
        ...

    def retry_quarantined(
        self, quarantine_id: int, peer: PeerSpec, item: PageItem, issues: list[ValidationIssue]
    ) -> Applied | None:
        """In ONE transaction: apply a re-parsed item and resolve the row, or (with ``issues``)
        store the new errors. Returns the apply result, or None when still invalid."""
        ...
