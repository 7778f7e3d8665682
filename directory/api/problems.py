"""Errors as RFC 9457 problem documents (``application/problem+json``).

Every error the API answers goes through ``problem()``: HTTP errors raised by
Flask or werkzeug (404, 405, 413...), service errors, and validation failures
(422 with ``errors: [{path, message}]``, paths as JSON pointers).

The words follow ``Accept-Language`` (Khmer or English; English when the client
names neither): ``title``, ``detail`` and each error's ``message``. What clients
match on never changes with the language: ``type`` (``urn:smedir:problem:<code>``
for service errors), ``status`` and each error's ``path``.
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

import orjson
from flask import Response, current_app, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from directory.services.errors import (
    InvalidRecord,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ServiceError,
    StaleVersion,
)
from directory.web.forms import message_for

PROBLEM_TYPE = "application/problem+json"
SERVICE_TYPE_PREFIX = "urn:smedir:problem:"  # + the service error's stable code
API_LANGUAGES = ("en", "km")  # English first: a client that names neither, or "*", gets English

SERVICE_STATUS = {
    InvalidRecord: 422,
    NotFound: 404,
    PermissionDenied: 403,
    InvalidTransition: 409,
    StaleVersion: 412,
}

# (title, detail) in Khmer for an HTTP error that has no message of ours; in English the
# title stays the status phrase and the detail werkzeug's description, as clients saw them.
STATUS_TEXT = {
    400: (_l("Bad request"), _l("The request is not valid.")),
    401: (_l("Credentials required"), _l("This resource needs a valid token or a sign-in.")),
    403: (_l("Not allowed"), _l("This token or account may not do this.")),
    404: (_l("Not found"), _l("There is nothing at this address.")),
    405: (_l("Method not allowed"), _l("This resource does not take this method.")),
    406: (_l("Not acceptable"), _l("This resource cannot answer in the format asked for.")),
    409: (_l("Conflict"), _l("The listing is not in a state that allows this.")),
    412: (_l("Precondition failed"), _l("The listing changed since you read it.")),
    413: (_l("Request too large"), _l("The request body is larger than this API accepts.")),
    415: (_l("Unsupported media type"), _l("Send the body as JSON.")),
    422: (_l("Invalid content"), _l("The record is not valid.")),
    428: (_l("Precondition required"), _l("Send If-Match with the listing's ETag.")),
    429: (_l("Too many requests"), _l("Too many requests in a short time; wait a minute.")),
    500: (_l("Server error"), _l("The directory could not finish this request.")),
}
OTHER_ERROR = (_l("Error"), _l("The request failed."))


class ApiError(ServiceError):
    """Raised by API handlers to answer with a problem document: a catalogue ``code`` (its
    message is the ``detail``) and the HTTP ``status``; ``errors`` are (JSON pointer,
    English message) pairs. Its ``type`` stays ``about:blank``: the status says it all."""

    def __init__(
        self, code: str, status: int, *, errors: Iterable | None = None, headers=None, **params
    ):
        super().__init__(code, **params)
        self.status = status
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})


def api_language() -> str:
    """The language of this request's answer: Accept-Language's choice of Khmer and English."""
    return request.accept_languages.best_match(API_LANGUAGES, default="en")


def problem(
    status: int,
    detail: Any = "",
    *,
    errors: Iterable | None = None,
    headers=None,
    type_uri: str = "about:blank",
) -> Response:
    """A problem+json response in the request's language.

    ``detail`` is text already in English, or a lazy string, or a ServiceError
    (its message); ``errors`` are ValidationIssues or (path, English message) pairs.
    """
    language = api_language()
    with force_locale(language):
        if language == "en":
            title = HTTPStatus(status).phrase
            text = detail.english if isinstance(detail, ServiceError) else str(detail)
            text = text or HTTPStatus(status).description
        else:
            title, default = (str(s) for s in STATUS_TEXT.get(status, OTHER_ERROR))
            text = str(detail.message) if isinstance(detail, ServiceError) else str(detail)
            text = text or default
        body: dict[str, Any] = {
            "type": type_uri,
            "title": title,
            "status": status,
            "detail": text,
            "instance": request.path,
        }
        if errors is not None:
            body["errors"] = [_error(e, language) for e in errors]
    response = Response(orjson.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _error(issue: Any, language: str) -> dict[str, str]:
    if isinstance(issue, dict):
        path, message = str(issue["path"]), str(issue["message"])
    elif hasattr(issue, "path"):
        path, message = issue.path, issue.message
    else:
        path, message = issue
    if language != "en":  # the validator's English, as the form pages translate it
        message = message_for(path, message)
    return {"path": path, "message": message}


def from_http_exception(exc: HTTPException, detail: Any = None) -> Response:
    """A werkzeug HTTP error as a problem document (keeping Allow, WWW-Authenticate...).

    In English the detail is werkzeug's description unless ``detail`` says better; in
    Khmer it is ``detail`` or the status's own text.
    """
    status = exc.code or 500
    if status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        detail = _l("the request body is larger than the limit of %(limit)s bytes", limit=limit)
    if detail is None and api_language() == "en":
        detail = exc.description or ""
    headers = {}
    if exc.response is None:
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return problem(status, detail or "", headers=headers)


def from_service_error(exc: ServiceError) -> Response:
    """A service error as a problem document: its code in ``type``, its message as ``detail``;
    invalid records give 422 with their issues."""
    status = next((s for cls, s in SERVICE_STATUS.items() if isinstance(exc, cls)), 400)
    errors = exc.issues if isinstance(exc, InvalidRecord) else None
    return problem(status, exc, errors=errors, type_uri=SERVICE_TYPE_PREFIX + exc.code)


def from_api_error(exc: ApiError) -> Response:
    """An ApiError raised by a handler."""
    return problem(exc.status, exc, errors=exc.errors, headers=exc.headers)
