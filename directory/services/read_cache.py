"""Per-worker caches of what read requests computed, valid for one state of the data.

The search counts (``search.py``) and the listings' open duplicates
(``duplicate_counts.py``) are remembered the same way:

- per database engine and process: each gunicorn worker keeps its own cache, shared by
  its threads under a lock;
- keyed by a *generation* read in one cheap statement, which every write that could
  change the answer moves in its own transaction, so an entry is only ever served for
  the data it was computed on;
- for read sessions only: a write session may see its own uncommitted rows, which no
  other request must be served.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlmodel import Session

C = TypeVar("C", bound="GenerationCache")


class GenerationCache:
    """The most recently used entries of one generation of the data, up to ``size`` in
    all by ``weight`` (1 an entry unless given)."""

    def __init__(self, size: int, weight: Callable[[Any], int] | None = None) -> None:
        self.size = size
        self.weight = weight or (lambda _value: 1)
        self.used = 0
        self.lock = threading.Lock()
        self.generation: Any = None
        self.entries: OrderedDict = OrderedDict()

    def get(self, generation: Any, key: Any) -> Any:
        """The entry of ``key`` computed on ``generation``, or None."""
        with self.lock:
            if generation != self.generation:
                return None
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def put(self, generation: Any, key: Any, value: Any) -> None:
        """Keep ``value``; a generation that replaces the current one drops its entries."""
        with self.lock:
            if generation != self.generation:
                if not self.replaces(generation):
                    return
                self.retire(self.entries)
                self.generation, self.entries, self.used = generation, OrderedDict(), 0
            old = self.entries.pop(key, None)
            self.used += self.weight(value) - (self.weight(old) if old is not None else 0)
            self.entries[key] = value
            while self.used > self.size and self.entries:
                _, dropped = self.entries.popitem(last=False)
                self.used -= self.weight(dropped)

    def replaces(self, generation: Any) -> bool:
        """Whether entries of ``generation`` replace the current ones (any other one does)."""
        return True

    def retire(self, entries: OrderedDict) -> None:
        """Called under the lock with the entries a newer generation is about to drop."""


class SequenceCache(GenerationCache):
    """A generation cache whose generation is the change-log sequence number: only a newer
    number replaces the entries (a request that began before the last change computed
    older data, which is not kept)."""

    def replaces(self, generation: int) -> bool:
        return self.generation is None or generation > self.generation


class EngineCaches(Generic[C]):
    """One cache per database engine, made by ``factory`` when first asked for."""

    def __init__(self, factory: Callable[[], C]) -> None:
        self.factory = factory
        self._caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def for_session(self, session: Session) -> C | None:
        """The cache of the session's engine, or None for a write session."""
        bind = session.get_bind()
        if bind.get_execution_options().get("sqlite_write"):
            return None
        with self._lock:
            cache = self._caches.get(bind)
            if cache is None:
                cache = self._caches[bind] = self.factory()
            return cache
