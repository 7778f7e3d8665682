"""Whole numbers from URLs, bounded before they reach a query.

A number a database column cannot hold (``/admin/users/99999999999999999999``,
``?page=99999999999999999999``) must answer 404 or 400, never 500: SQLite
refuses integers over 2**63 and PostgreSQL compares them as numerics against
32-bit columns. Every route takes ids through the ``id`` converter and page-like
query values through ``bounded_int`` / ``query_int``.
"""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # integer primary keys are 32 bits on PostgreSQL
MAX_PAGE = 100_000


class IdConverter(IntegerConverter):
    """``<id:name>``: a row id from 1 to MAX_ID; anything else is no match (404)."""

    def __init__(self, url_map, min: int = 1, max: int = MAX_ID) -> None:  # noqa: A002
        super().__init__(url_map, min=min, max=max)


def register_converters(app: Flask) -> None:
    """Make ``<id:...>`` available in the app's routes."""
    app.url_map.converters["id"] = IdConverter


def bounded_int(raw: str, low: int, high: int) -> int | None:
    """``raw`` as an integer from ``low`` to ``high`` (plain ASCII digits), else None."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(high)):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def query_int(name: str, default: int, low: int = 1, high: int = MAX_PAGE) -> int:
    """A query parameter of a web page as a bounded integer; 400 when it is not one."""
    raw = request.args.get(name, "").strip()
    if raw == "":
        return default
    value = bounded_int(raw, low, high)
    if value is None:
        abort(400, description=f"{name} must be a whole number from {low} to {high}")
    return value
