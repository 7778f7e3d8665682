"""Exceptions services raise; views and the API turn them into responses.

Every error carries a stable ``code`` and its ``params``; the catalogue in
``directory.services.messages`` turns them into a message. ``exc.message`` is in
the reader's language (web pages), ``str(exc)`` in English (logs, command line,
the API's ``detail``). Never match an error by its text: match its class or code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import LazyString

from directory.services.messages import MESSAGES, english, translated


class ServiceError(Exception):
    """Base class: a request the service refused, named by a code from the catalogue."""

    def __init__(self, code: str, **params: Any):
        if code not in MESSAGES:
            raise KeyError(f"service error code {code!r} is not in the catalogue")
        self.code, self.params = code, params
        super().__init__(code)

    @property
    def message(self) -> LazyString:
        """The message in the reader's language (rendered when shown)."""
        return translated(self.code, self.params)

    @property
    def english(self) -> str:
        """The message in English (the command line, logs, the API's detail)."""
        return english(self.code, self.params)

    def __str__(self) -> str:
        return self.english


class NotFound(ServiceError):
    """The object does not exist (or the actor may not know it exists)."""


class PermissionDenied(ServiceError):
    """The actor may not do this."""


class InvalidTransition(ServiceError):
    """The object is not in a state that allows this action."""


class StaleVersion(ServiceError):
    """The caller edited an older version than the one now stored."""


class InvalidRecord(ServiceError):
    """The data failed schema validation; ``issues`` are (JSON-pointer path, message) pairs."""

    def __init__(self, issues: Sequence):
        self.issues = list(issues)
        super().__init__("invalid-record")

    @property
    def english(self) -> str:
        """Every issue as ``path: message``."""
        return "; ".join(f"{i.path or '/'}: {i.message}" for i in self.issues)
