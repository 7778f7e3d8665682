"""The JSON API under ``/api``: public listings, owners' listings, the node-to-node exchange,
and the OpenAPI document that describes them.

``register(app)`` attaches it; the blueprint is exempt from the form CSRF
check (see ``directory.api.auth`` for how session writes are protected).
"""

from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from directory.api import exchange, listings, openapi  # noqa: F401  (routes)
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

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@bp.route("/<path:rest>", methods=METHODS)
def unknown(rest: str):
    """Paths under /api that no route serves: 404, or 405 when another method would match."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = set()
    for method in METHODS:
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != "api.unknown":
            allowed.add(method)
    if allowed:
        raise MethodNotAllowed(valid_methods=sorted(allowed))
    raise NotFound(f"no API resource at {request.path}")


bp.before_request(check_rate_limit)
bp.register_error_handler(ApiError, from_api_error)
bp.register_error_handler(ServiceError, from_service_error)
bp.register_error_handler(HTTPException, from_http_exception)


def register(app: Flask) -> None:
    """Attach the JSON API to ``app`` (exempt from the form CSRF check, see ``api.auth``)."""
    from directory.extensions import csrf

    app.register_blueprint(bp)
    csrf.exempt(bp)


__all__ = ["bp", "problem", "register"]
