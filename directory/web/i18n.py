"""The page language: remember ?lang= in a cookie, and locale-aware helpers for templates."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale

from directory.extensions import LANG_COOKIE, LANGUAGES
from directory.web import forms, labels

bp = Blueprint("i18n", __name__)

ONE_YEAR = 365 * 24 * 3600


@bp.after_app_request
def remember_language(response):
    """Store the language chosen with ?lang=km|en for a year."""
    chosen = request.args.get("lang")
    if chosen in LANGUAGES and request.cookies.get(LANG_COOKIE) != chosen:
        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=ONE_YEAR,
            samesite="Lax",
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def language_url(code: str) -> str:
    """This page's URL in another language, keeping its query (search filters, page).

    A ``next`` that points off this site is dropped, so the link never carries it on.
    """
    from directory.web.auth import safe_next

    args = [
        (k, v)
        for k, values in request.args.lists()
        if k != "lang"
        for v in values
        if k != "next" or safe_next(v, "") == v
    ]
    return f"{request.path}?{urlencode([*args, ('lang', code)])}"


# One clock for both languages: 24 hours (CLDR's Khmer patterns say "7:07 AM" in Latin).
WHEN_PATTERNS = {"km": ("d MMMM y", "HH:mm"), "en": ("d MMM y", "HH:mm")}


def format_when(value, *, date_only: bool = False, seconds: bool = False) -> str:
    """A date and time in the page's language, with Babel: "29 វិច្ឆិកា 2026 07:07"."""
    if value is None:
        return ""
    day, clock = WHEN_PATTERNS.get(str(get_locale()), WHEN_PATTERNS["en"])
    if seconds:
        clock += ":ss"
    return format_datetime(value, day if date_only else f"{day} {clock}")


@bp.app_context_processor
def template_helpers() -> dict:
    """Locale-aware formatting and reference-data labels for every template."""
    return {
        "format_date": format_date,
        "format_datetime": format_datetime,
        "format_when": format_when,
        "format_decimal": format_decimal,
        "locale_code": lambda: str(get_locale()),
        "language_url": language_url,
        "province_name": labels.province_name,
        "country_name": labels.country_name,
        "isic_title": labels.isic_title,
        "legal_form_label": labels.legal_form_label,
        "size_class_label": labels.size_class_label,
        "network_label": labels.network_label,
        "state_label": labels.state_label,
        "kind_label": labels.kind_label,
        "run_outcome_label": labels.run_outcome_label,
        "owner_status": labels.owner_status,
        "direction_label": labels.direction_label,
        "receipt_status_label": labels.receipt_status_label,
        "sync_error_label": labels.sync_error_label,
        "schema_message": forms.message_for,
        "display_names": labels.display_names,
    }
