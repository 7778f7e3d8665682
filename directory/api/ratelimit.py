"""A small per-client request limit for the API (429 with Retry-After).

Fixed one-minute windows counted in this process's memory, per client
address: enough to stop a runaway client hammering one worker. With several
workers or hosts each counts on its own, so the effective limit is that many
times higher; put a proxy limit in front for a hard, shared one.
``api.rate_limit_per_minute = 0`` turns it off.

The exchange endpoints (``/api/v1/changes``) are not counted: they answer only
peers holding a token, and a pull legitimately reads many pages in a row.
"""

from __future__ import annotations

import threading
import time

from flask import current_app, request

from directory.api.problems import ApiError

WINDOW = 60
EXEMPT_ENDPOINTS = frozenset({"api.read_changes", "api.push"})


class RateLimiter:
    """Counts requests per key in fixed windows."""

    def __init__(self, per_window: int):
        self.per_window = per_window
        self._lock = threading.Lock()
        self._window = 0
        self._counts: dict[str, int] = {}

    def hit(self, key: str, now: float | None = None) -> int:
        """Count one request; returns 0 if allowed, else the seconds until the next window."""
        now = time.time() if now is None else now
        window = int(now // WINDOW)
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
        if count <= self.per_window:
            return 0
        return max(1, int((window + 1) * WINDOW - now))


def check_rate_limit() -> None:
    """Before each API request: raise a 429 problem when the client is over its limit."""
    limit = current_app.config["SMEDIR"]["api"]["rate_limit_per_minute"]
    if limit <= 0 or request.endpoint in EXEMPT_ENDPOINTS:
        return
    limiter = current_app.extensions.get("smedir.api_limiter")
    if limiter is None or limiter.per_window != limit:
        limiter = current_app.extensions["smedir.api_limiter"] = RateLimiter(limit)
    retry_after = limiter.hit(request.remote_addr or "unknown")
    if retry_after:
        raise ApiError("rate-limited", 429, headers={"Retry-After": str(retry_after)}, limit=limit)
