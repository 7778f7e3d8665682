"""Deliver waiting enquiry messages to one peer (``POST /api/v1/enquiries``), batch by batch.

The local store is reached only through :class:`EnquiryOutbox`. Each batch's
receipts are stored as they come: accepted and duplicate messages are done,
rejected ones fail with their errors. A batch that does not get through
(timeout, refused connection, 5xx, an answer that is not one receipt per
message) stays pending with the error noted, and the next delivery sends it
again; the receiver answers ``duplicate`` for what it already holds, so a
message is applied exactly once however often it is sent. POSTs are never
retried within a delivery (``sync.http``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from schemas import validate
from sync.errors import FeedError
from sync.http import PeerHttp
from sync.peers import PeerSpec, SyncSettings

ENQUIRIES_PATH = "api/v1/enquiries"


class EnquiryOutbox(Protocol):
    """Duties of the local store towards enquiry delivery; each write is one transaction."""

    node_id: str

    def pending_messages(self, peer: str, limit: int) -> list[dict[str, Any]]:
        """The oldest messages waiting for ``peer``, as they are to be sent."""
        ...

    def record_receipts(self, peer: str, receipts: list[dict[str, Any]]) -> None:
        """Store one batch's receipts (accepted/duplicate: sent; rejected: failed)."""
        ...

    def record_failure(self, peer: str, ids: list[str], error: str) -> None:
        """Note a failed attempt; the messages stay pending."""
        ...


@dataclass
class DeliveryReport:
    """What one delivery to one peer did."""

    peer: str
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        """True when every batch got its receipts."""
        return not self.error

    def __str__(self) -> str:
        counts = f"accepted {self.accepted}, duplicate {self.duplicate}, rejected {self.rejected}"
        return f"{self.peer} enquiries: {counts}" + (f" - {self.error}" if self.error else "")


def deliver_enquiries(
    outbox: EnquiryOutbox,
    peer: PeerSpec,
    settings: SyncSettings,
    token: str | None,
    *,
    max_batches: int = 100,
) -> DeliveryReport:
    """Send what waits for ``peer``; a failure is reported, never raised."""
    report = DeliveryReport(peer.id)
    http = PeerHttp(peer.base_url, settings, token)
    try:
        for _ in range(max_batches):
            messages = outbox.pending_messages(peer.id, settings.push_batch_size)
            if not messages:
                break
            ids = [m["id"] for m in messages]
            try:
                answer = http.post_json(
                    ENQUIRIES_PATH, {"source": outbox.node_id, "messages": messages}
                )
                receipts = _receipts(answer, ids, http.url(ENQUIRIES_PATH))
            except FeedError as exc:
                outbox.record_failure(peer.id, ids, str(exc))
                report.error = str(exc)
                break
            outbox.record_receipts(peer.id, receipts)
            for receipt in receipts:
                setattr(report, receipt["status"], getattr(report, receipt["status"]) + 1)
    finally:
        http.close()
    return report


def _receipts(answer: Any, ids: list[str], url: str) -> list[dict[str, Any]]:
    """The receipts of an answer: valid, one per message, in order; else a FeedError."""
    issues = validate(answer, "enquiry-receipts")
    if issues:
        first = issues[0]
        raise FeedError("schema", f"receipts: {first.path or '/'} {first.message}", url)
    receipts = answer["receipts"]
    matches = len(receipts) == len(ids) and all(
        r["id"] == i or (r["id"] == "" and r["status"] == "rejected")
        for r, i in zip(receipts, ids, strict=False)
    )
    if not matches:
        raise FeedError("schema", "the receipts do not match the messages sent", url)
    return [{**r, "id": i} for r, i in zip(receipts, ids, strict=True)]
