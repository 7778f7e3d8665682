"""The JSON API under ``/api``: public listings, owners' listings, the node-to-node exchange,
and the OpenAPI document that describes them.

``register(app)`` attaches it; the blueprint is exempt from the form CSRF
check (see ``directory.api.auth`` for how session writes are protected).
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from directory.api import enquiries, exchange, listings, openapi, review  # noqa: F401  (routes)
from directory.api.blueprint import bp
from directory.api.problems import (
    ApiError,
    from_api_error,
    from_http_exception,
    from_service_error,
    problem,
)
from directory.api.ratelimit import check_rate_limit
from directory.services.errors import ServiceError

API_PREFIX = "/api/"


def routing_error(exc: HTTPException):
    """A path or method no route serves: a problem document under /api/, else the page.

    Routing errors never reach a blueprint's handlers, so the app handles them;
    werkzeug's 405 carries an ``Allow`` header listing only the route's real methods.
    """
    if request.path.startswith(API_PREFIX):
        if exc.code == 404:
            return from_http_exception(exc, _l("no API resource at %(path)s", path=request.path))
        return from_http_exception(exc)
    page = current_app.extensions.get("smedir.error_page")  # the web face's own error pages
    return page(exc) if page is not None else exc


bp.before_request(check_rate_limit)
bp.register_error_handler(ApiError, from_api_error)
bp.register_error_handler(ServiceError, from_service_error)
bp.register_error_handler(HTTPException, from_http_exception)


def register(app: Flask) -> None:
    """Attach the JSON API to ``app`` (exempt from the form CSRF check, see ``api.auth``)."""
    from directory.extensions import csrf

    app.register_blueprint(bp)
    app.register_error_handler(404, routing_error)
    app.register_error_handler(405, routing_error)
    csrf.exempt(bp)


__all__ = ["bp", "problem", "register"]
