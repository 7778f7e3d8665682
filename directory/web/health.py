"""Liveness and readiness: is the process up, is the database reachable and migrated."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from directory.context import get_engine, get_node
from directory.migrations import pending_migrations

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 with the node id when the database answers and has no pending migration."""
    pending = pending_migrations(get_engine(current_app))
    status = 200 if not pending else 503
    body = {"node": get_node(current_app).id, "database": "ok" if not pending else "pending"}
    return jsonify(body), status
