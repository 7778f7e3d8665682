"""Errors as RFC 9457 problem documents (``application/problem+json``).

Every error the API answers goes through ``problem()``: HTTP errors raised by
Flask or werkzeug (404, 405, 413...), service errors, and validation failures
(422 with ``errors: [{path, message}]``, paths as JSON pointers).
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

import orjson
from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException

from directory.services.errors import (
    InvalidRecord,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ServiceError,
    StaleVersion,
)

PROBLEM_TYPE = "application/problem+json"
SERVICE_TYPE_PREFIX = "urn:smedir:problem:"  # + the service error's stable code

SERVICE_STATUS = {
    InvalidRecord: 422,
    NotFound: 404,
    PermissionDenied: 403,
    InvalidTransition: 409,
    StaleVersion: 412,
}


class ApiError(Exception):
    """Raised by API handlers to answer with a problem document."""

    def __init__(self, status: int, detail: str, errors: Iterable | None = None, headers=None):
        super().__init__(detail)
        self.status, self.detail = status, detail
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})


def problem(
    status: int,
    detail: str = "",
    *,
    errors: Iterable | None = None,
    headers=None,
    type_uri: str = "about:blank",
) -> Response:
    """A problem+json response; ``errors`` are ValidationIssues or (path, message) pairs."""
    body: dict[str, Any] = {
        "type": type_uri,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or HTTPStatus(status).description,
        "instance": request.path,
    }
    if errors is not None:
        body["errors"] = [_error(e) for e in errors]
    response = Response(orjson.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _error(issue: Any) -> dict[str, str]:
    if isinstance(issue, dict):
        return {"path": str(issue["path"]), "message": str(issue["message"])}
    if hasattr(issue, "path"):
        return {"path": issue.path, "message": issue.message}
    path, message = issue
    return {"path": path, "message": message}


def from_http_exception(exc: HTTPException) -> Response:
    """A werkzeug HTTP error as a problem document (keeping Allow, WWW-Authenticate...)."""
    status = exc.code or 500
    detail = exc.description or ""
    if status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        detail = f"the request body is larger than the limit of {limit} bytes"
    headers = {}
    if exc.response is None:
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return problem(status, detail, headers=headers)


def from_service_error(exc: ServiceError) -> Response:
    """A service error as a problem document: its code in ``type``, its English message as
    ``detail``; invalid records give 422 with their issues."""
    status = next((s for cls, s in SERVICE_STATUS.items() if isinstance(exc, cls)), 400)
    errors = exc.issues if isinstance(exc, InvalidRecord) else None
    return problem(status, str(exc), errors=errors, type_uri=SERVICE_TYPE_PREFIX + exc.code)


def from_api_error(exc: ApiError) -> Response:
    """An ApiError raised by a handler."""
    return problem(exc.status, exc.detail, errors=exc.errors, headers=exc.headers)
