"""Duplicate decisions over JSON, for focal points and admins (session or personal token).

``GET /api/v1/review/revisions/<id>/duplicates`` lists the likely duplicates of a
revision, as its review page shows them; ``POST`` to the same address records "same
business" (a merge) or "not the same", through the services the review page uses, so
both are audited alike (``duplicates.merge`` / ``duplicates.distinct``).
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from directory.api.auth import json_body, require_owner_session
from directory.api.blueprint import bp, json_response
from directory.api.problems import ApiError
from directory.context import db_session, get_node
from directory.models import RevisionState, Role, User
from directory.params import MAX_ID, bounded_int
from directory.records import parse_json
from directory.services import merges, reviews
from directory.services.duplicates import Candidate, likely_duplicates
from directory.services.errors import NotFound

DECISIONS = ("same", "distinct")


def _reviewer() -> User:
    actor = require_owner_session()
    if actor.role not in (Role.FOCAL_POINT, Role.ADMIN):
        raise ApiError("reviewers-only", 403)
    return actor


def _candidate(c: Candidate) -> dict[str, Any]:
    return {
        "listing_id": c.listing_id,
        "state": c.state,
        "names": c.names,
        "score": c.score,
        "band": c.band,
        "reasons": list(c.reasons),
    }


def _revision_id(raw: str) -> int:
    """The revision id of the path: a number a revision can have, else 404 like an unknown one.

    Read here rather than by the ``id`` converter: for a number past it, werkzeug answers
    405 (the other method's rule on the same path), which would be a wrong answer.
    """
    value = bounded_int(raw, 1, MAX_ID)
    if value is None:
        raise NotFound("revision-not-found", id=raw)
    return value


@bp.get("/v1/review/revisions/<revision_id>/duplicates")
def revision_duplicates(revision_id: str):
    """The likely duplicates of a revision the reviewer may read, probable first."""
    session, node, actor = db_session(), get_node(current_app), _reviewer()
    rid = _revision_id(revision_id)
    revision, listing = reviews.read_revision(session, actor, rid, node=node)
    found = likely_duplicates(
        session,
        parse_json(revision.document),
        exclude_id=listing.id,
        bands=node.duplicate_bands,
    )
    return json_response(
        {
            "revision": revision.id,
            "listing_id": listing.id,
            "pending": revision.state == RevisionState.PENDING,
            "candidates": [_candidate(c) for c in found],
        }
    )


@bp.post("/v1/review/revisions/<revision_id>/duplicates")
def decide_duplicate(revision_id: str):
    """ "Same business" (merge) or "not the same" for one candidate of a pending revision."""
    actor, session, node = _reviewer(), db_session(), get_node(current_app)
    rid = _revision_id(revision_id)
    decision, other = _decision_body()
    reviews.read_revision(session, actor, rid, node=node)  # 404 outside the scope
    try:
        if decision == "distinct":
            pair = merges.mark_distinct(session, actor, rid, other, node=node)
            answer = {"decision": decision, "listings": [pair.listing_a, pair.listing_b]}
        else:
            merged, survivor = merges.merge_duplicate(session, actor, rid, other, node=node)
            answer = {"decision": decision, "merged": merged.id, "merged_into": survivor.id}
    except NotFound:  # the revision was found above: the other listing is unknown
        errors = [("/other", "is not a listing of this node")]
        raise ApiError("duplicate-other-unknown", 422, errors=errors, id=other) from None
    session.commit()
    return json_response(answer)


def _decision_body() -> tuple[str, str]:
    """``{"decision": "same" | "distinct", "other": "<listing id>"}``, else 422 naming the field."""
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError("body-not-object", 422, errors=[("", "must be an object")])
    errors = [(f"/{key}", "is not an allowed field") for key in body if key not in DECISION_KEYS]
    decision, other = body.get("decision"), body.get("other")
    if decision is None:
        errors.append(("/decision", "is required"))
    elif decision not in DECISIONS:
        errors.append(("/decision", "must be one of: same, distinct"))
    if other is None:
        errors.append(("/other", "is required"))
    elif not isinstance(other, str) or not 1 <= len(other) <= 100:
        errors.append(("/other", "must be a listing id (1 to 100 characters)"))
    if errors:
        raise ApiError("body-invalid", 422, errors=sorted(errors))
    return decision, other


DECISION_KEYS = ("decision", "other")
