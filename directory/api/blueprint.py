"""The one blueprint every API route hangs on (``/api``); the modules beside it add routes."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")
