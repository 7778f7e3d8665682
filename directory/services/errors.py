"""Exceptions services raise; views and the API turn them into responses."""

from __future__ import annotations

from collections.abc import Sequence


class ServiceError(Exception):
    """Base class: a request the service refused; the message is safe to show."""


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
        super().__init__("; ".join(f"{i.path or '/'}: {i.message}" for i in self.issues))
