"""Who is acting in this request, and the decorator that guards role-only pages."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from directory.models import User


def current_actor() -> User | None:
    """The signed-in user, or None for a visitor."""
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user._get_current_object()
    return None


def require_role(*roles: str):
    """Allow a view only to signed-in users with one of ``roles`` (401 if anonymous, 403 if not)."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            actor = current_actor()
            if actor is None:
                abort(401)
            if actor.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate
