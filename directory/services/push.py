"""Changes a peer pushes to this node: one receipt per item, the whole batch in one transaction.

Items go through the same code path as a pull (``apply_remote_changes``), or,
for a peer configured with ``trust = "review"``, into the focal points' queue
(``hold_remote_changes``); either way the version rule makes a repeated batch
change nothing. Receipt statuses: created, updated, deleted and held answer
``applied`` (held ones with the message "held for review"), unchanged answers
``unchanged``, rejected ones carry their JSON-pointer errors, and an item whose
id is held here with another origin, or whose origin is this node, answers
``conflict``. An item the database refuses is rejected alone (``apply_isolated``).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from directory.node import Node
from directory.services.changes import ApplyResult, apply_remote_changes
from directory.services.errors import InvalidRecord, PermissionDenied
from directory.services.isolation import apply_isolated
from directory.services.reviews import hold_remote_changes
from schemas import ValidationIssue, validate
from sync.outcomes import Outcome

MAX_VERSION = 2_147_483_647  # listings.version is a 32-bit integer column
STATUS = {
    Outcome.CREATED: "applied",
    Outcome.UPDATED: "applied",
    Outcome.DELETED: "applied",
    Outcome.HELD: "applied",
    Outcome.UNCHANGED: "unchanged",
    Outcome.REJECTED: "rejected",
    Outcome.CONFLICT: "conflict",
}


def receipt(result: ApplyResult, item: Any) -> dict[str, Any]:
    """The push-receipts entry for one item's result."""
    rid = result.id if isinstance(result.id, str) else str(item.get("id", ""))
    version = result.version if isinstance(result.version, int) else 0
    out: dict[str, Any] = {"id": rid, "version": version, "status": STATUS[result.outcome]}
    if result.outcome == Outcome.REJECTED:
        issues = result.issues or [ValidationIssue("", result.message or "rejected")]
        out["errors"] = [{"path": i.path, "message": i.message} for i in issues]
    message = "held for review" if result.outcome == Outcome.HELD else result.message
    if message:
        out["message"] = message
    return out


def push_changes(
    session: Session, body: Any, *, node: Node, peer_id: str, peer_config: dict[str, Any]
) -> dict[str, Any]:
    """Apply a push batch from ``peer_id``; returns the push-receipts document.

    Raises InvalidRecord when the batch itself is malformed and PermissionDenied
    when ``source`` names another node than the token's peer.
    """
    issues = validate(body, "push-batch")
    if issues:
        raise InvalidRecord(issues)
    if body["source"] != peer_id:
        raise PermissionDenied("push-source-mismatch", source=body["source"], peer=peer_id)
    docs = body["changes"]
    results: list[ApplyResult | None] = [_out_of_range(d) for d in docs]
    accepted = [d for d, r in zip(docs, results, strict=True) if r is None]
    relay = bool(peer_config.get("relay"))
    apply = hold_remote_changes if peer_config.get("trust") == "review" else apply_remote_changes
    applied = iter(
        apply_isolated(
            session,
            lambda batch: apply(session, batch, node=node, source_peer=peer_id, relay=relay),
            accepted,
        )
    )
    results = [r if r is not None else next(applied) for r in results]
    return {"receipts": [receipt(r, d) for r, d in zip(results, docs, strict=True)]}


def _out_of_range(doc: dict[str, Any]) -> ApplyResult | None:
    """A version the database cannot hold (the schema sets no maximum) is rejected here."""
    version = doc["version"]
    if 1 <= version <= MAX_VERSION:
        return None
    issue = ValidationIssue("/version", f"must be from 1 to {MAX_VERSION}")
    return ApplyResult(doc["id"], version, Outcome.REJECTED, [issue])
