"""Flask extensions, created unbound and attached in ``create_app``."""

from __future__ import annotations

from flask import has_request_context, request
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

LANGUAGES = ("km", "en")
DEFAULT_LANGUAGE = "km"
LANG_COOKIE = "lang"

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()


def select_locale() -> str:
    """The page language: ?lang=, then the remembered cookie, then the browser, then Khmer."""
    if not has_request_context():  # CLI commands and background jobs
        return DEFAULT_LANGUAGE
    chosen = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE
