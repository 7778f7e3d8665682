"""The one blueprint every API route hangs on (``/api``); the modules beside it add routes."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Blueprint, Response

bp = Blueprint("api", __name__, url_prefix="/api")


def json_response(data: Any, status: int = 200, headers: dict | None = None) -> Response:
    """``data`` as a JSON answer (orjson: datetimes and dataclasses as the records write them)."""
    return Response(orjson.dumps(data), status=status, mimetype="application/json", headers=headers)
