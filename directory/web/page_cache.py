"""Whole search and browse pages for visitors, cached per worker and change-log number.

A visitor's search page is the same bytes for every visitor who asks for the same URL
in the same language, until the data changes; rendering it again (about 100 facet
links, highlighting, excerpts) cost several milliseconds of CPU a request. So each
worker keeps the rendered pages of recent anonymous GETs, keyed by the path, the raw
query string, the page language (``?lang=``, the cookie or the browser's), the host and
the application root, and valid for one change-log sequence number (``current_seq``,
the number the search's count cache uses): every write that changes what a search or
browse page shows takes a new number in its own transaction, so a page is never
served for other data than it was rendered from.

Never cached: a signed-in user's page (their menu), a request whose session holds
flashed messages, a response that is not a plain 200 page, one that set a cookie or
asked for a CSP nonce while rendering, and a search whose counts were served stale
(``SearchPage.counts_updating``). The one per-visitor part of a visitor's page, the
CSRF token of the "save this search" form, is rendered as a placeholder and filled in
for each request with that visitor's own token (hole punching), so the cached bytes hold
nothing of any visitor.

Responses carry a weak ``ETag`` (sequence number, key, and for a page with a form the
visitor's CSRF token) and are answered 304 on ``If-None-Match``, with a short
``Cache-Control`` (``search.page_max_age``) and ``Vary: Accept-Language, Cookie``.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from functools import wraps

from flask import Flask, Response, current_app, g, make_response, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf

from directory.context import db_session
from directory.services.read_cache import SequenceCache
from directory.services.search import current_seq
from directory.web.access import current_actor

EXTENSION = "smedir.page_cache"
# per process and random, so no listing's text can contain it
HOLE = f"csrf-hole-{secrets.token_hex(16)}"
HOLE_BYTES = HOLE.encode()


@dataclass(frozen=True)
class CachedPage:
    """A rendered page: its bytes (maybe with CSRF holes) and its ETag's fixed part."""

    body: bytes
    tag: str
    hole: bool


def init_app(app: Flask) -> None:
    """Set up the app's page cache (``search.page_cache_mb``; 0 turns it off)."""
    megabytes = app.config["SMEDIR"]["search"]["page_cache_mb"]
    if megabytes > 0:
        # rendered pages of one sequence number, least recently used dropped past the size
        size = int(megabytes * 1024 * 1024)
        app.extensions[EXTENSION] = SequenceCache(size, weight=lambda page: len(page.body))
    generate = app.jinja_env.globals.get("csrf_token", generate_csrf)

    def csrf_token() -> str:
        """The form's CSRF token, or the placeholder while a cacheable page renders."""
        if g.get("page_cache_render"):
            g.page_cache_hole = True
            return HOLE
        return generate()

    # Flask-WTF offers its csrf_token() both ways; a later context processor wins
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})


def skip_page_cache() -> None:
    """Keep the page being rendered out of the cache (it shows something provisional)."""
    g.page_cache_skip = True


def cached_page(view):
    """Serve ``view``'s page to visitors from the page cache (see the module docstring)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        cache = current_app.extensions.get(EXTENSION)
        if cache is None or not _anonymous():
            return view(*args, **kwargs)
        seq = current_seq(db_session())
        key = (
            request.host,
            request.script_root,
            request.path,
            request.query_string,
            str(get_locale()),
        )
        page = cache.get(seq, key)
        if page is None:
            g.page_cache_render, g.page_cache_hole = True, False
            try:
                response = make_response(view(*args, **kwargs))
            finally:
                g.page_cache_render = False
            if not _storable(response):
                return _filled(response)
            tag = hashlib.blake2b(repr((seq, key)).encode(), digest_size=9).hexdigest()
            page = CachedPage(response.get_data(), f"{seq}-{tag}", g.page_cache_hole)
            cache.put(seq, key, page)
        return _respond(page)

    return wrapped


def _anonymous() -> bool:
    """A visitor's GET whose page holds nothing of theirs but a CSRF token."""
    return (
        request.method in ("GET", "HEAD") and current_actor() is None and "_flashes" not in session
    )


def _storable(response: Response) -> bool:
    return (
        response.status_code == 200
        and response.mimetype == "text/html"
        and not response.direct_passthrough
        and "Set-Cookie" not in response.headers
        and not g.get("csp_nonce")
        and current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") not in g  # a real token
        and not g.get("page_cache_skip")
    )


def _filled(response: Response) -> Response:
    """A response rendered in cache mode but not kept: its holes get this visitor's token."""
    if g.get("page_cache_hole"):
        body = response.get_data().replace(HOLE_BYTES, generate_csrf().encode())
        response.set_data(body)
    return response


def _respond(page: CachedPage) -> Response:
    """The cached page for this request: its token filled in, or 304 when the client has it."""
    max_age = current_app.config["SMEDIR"]["search"]["page_max_age"]
    etag, body = page.tag, page.body
    if page.hole:
        token = generate_csrf()
        field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        etag += "-" + _token_tag(session[field])
        body = body.replace(HOLE_BYTES, token.encode())
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = Response(body, mimetype="text/html")
    response.set_etag(etag, weak=True)
    scope = "private" if page.hole else "public"
    response.headers["Cache-Control"] = f"{scope}, max-age={max_age}" if max_age else "no-cache"
    response.vary.update(("Accept-Language", "Cookie"))
    return response


def _token_tag(raw_token: str) -> str:
    """A short digest of the session's CSRF token and the half of its lifetime we are in.

    A 304 leaves the client with the token it was sent before; the lifetime part makes
    the ETag change before that token expires (Flask-WTF's ``WTF_CSRF_TIME_LIMIT``).
    """
    limit = current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600) or 0
    period = int(time.time() // max(limit // 2, 1)) if limit else 0
    return hashlib.blake2b(f"{raw_token}:{period}".encode(), digest_size=6).hexdigest()
