"""Our own error pages (403, 404, 410, 429, 500...) in the page's language.

Werkzeug's bare English pages never show: every HTTP error outside the JSON API
renders ``errors/error.html`` with a translated title and explanation. The API
keeps answering with problem documents (``directory.api.problems``).
"""

# ruff: noqa: E501
from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

API_PREFIX = "/api/"

PAGES = {
    400: (
        _l("The request could not be understood"),
        _l("Something in the request was not right. Go back, reload the page and try again."),
    ),
    403: (
        _l("You may not open this page"),
        _l(
            "Your account does not have the right to see this page. Sign in with another account, or ask an administrator."
        ),
    ),
    404: (
        _l("Page not found"),
        _l("There is no page at this address. It may have moved, or the address may be mistyped."),
    ),
    405: (
        _l("This action is not possible here"),
        _l("This page does not accept this kind of request. Go back and use the page's buttons."),
    ),
    410: (
        _l("This listing was withdrawn"),
        _l("The business withdrew this listing from the directory. It is no longer shown."),
    ),
    413: (
        _l("Too much data"),
        _l("What you sent is larger than this directory accepts. Send less at a time."),
    ),
    429: (
        _l("Too many requests"),
        _l("You sent many requests in a short time. Wait a minute, then try again."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l(
            "The directory could not finish this request. Nothing you entered was saved. Please try again later."
        ),
    ),
}
CSRF_PAGE = (
    _l("The form has expired"),
    _l(
        "For your safety a form is only valid for a while. Go back, reload the page and send it again."
    ),
)


def error_page(code: int, title=None, text=None):
    """The error page for HTTP status ``code`` as a (body, status) pair."""
    default_title, default_text = PAGES.get(code, PAGES[500] if code >= 500 else PAGES[400])
    return (
        render_template(
            "errors/error.html", code=code, title=title or default_title, text=text or default_text
        ),
        code,
    )


def _on_http_error(exc: HTTPException):
    if request.path.startswith(API_PREFIX):
        from directory.api.problems import from_http_exception

        return from_http_exception(exc)
    if isinstance(exc, CSRFError):
        return error_page(400, *CSRF_PAGE)
    body, code = error_page(exc.code or 500)
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    return body, code, headers


def register_error_pages(app: Flask) -> None:
    """Render our error pages for every HTTP error (except 401, which leads to sign-in)."""
    for code in (400, 403, 404, 405, 410, 413, 429):
        app.register_error_handler(code, _on_http_error)
    app.extensions["smedir.error_page"] = _on_http_error  # for faces that route 404/405 first
    app.register_error_handler(InternalServerError, _on_http_error)
