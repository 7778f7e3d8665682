"""A JSON Lines dump (one record or tombstone per line) at a URL or a local path.

The cursor is the number of lines consumed, as digits. Within one run the dump is
read once, as a stream; a new run (or a resumed one) skips the lines before its
cursor. A line that is not JSON is an item with an issue, so it is quarantined
with its raw text like any invalid record.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import orjson

from sync.adapters import Page, PageItem
from sync.errors import FeedError, PeerConfigError
from sync.http import PeerHttp
from sync.peers import PeerSpec, SyncSettings


class JsonLinesAdapter:
    """Pull-only adapter for a dump file."""

    def __init__(self, peer: PeerSpec, settings: SyncSettings, token: str | None = None):
        self.peer, self.settings, self.token = peer, settings, token
        self._lines: Iterator[bytes] | None = None
        self._position = 0
        self._http: PeerHttp | None = None

    def _open(self) -> Iterator[bytes]:
        source = self.peer.base_url
        scheme = urlsplit(source).scheme
        if scheme in ("http", "https"):
            self._http = PeerHttp(source, self.settings, self.token)
            return self._http.iter_lines("", self.settings.max_dump_bytes)
        path = Path(url2pathname(urlsplit(source).path) if scheme == "file" else source)
        if not path.is_file():
            raise PeerConfigError(f"peer {self.peer.id}: no dump file at {path}")
        return _file_lines(path)

    def fetch_page(self, cursor: str | None, limit: int) -> Page:
        """The next ``limit`` lines after ``cursor`` lines."""
        start = int(cursor) if cursor and cursor.isdigit() else 0
        if self._lines is None or self._position != start:
            self.close()
            self._lines, self._position = self._open(), 0
            for _ in range(start):
                if next(self._lines, None) is None:
                    break
                self._position += 1
        items: list[PageItem] = []
        exhausted = False
        while len(items) < limit:
            line = next(self._lines, None)
            if line is None:
                exhausted = True
                break
            self._position += 1
            if line.strip():
                items.append(parse_line(line, self._position))
        if not exhausted:  # look ahead one line so has_more is exact at the end of the dump
            peek = next(self._lines, None)
            exhausted = peek is None
            if peek is not None:
                self._lines = _chain(peek, self._lines)
        return Page(items, str(self._position), not exhausted)

    def cursor_order(self, before: str | None, after: str) -> int | None:
        """Line counts compare as numbers."""
        a = int(before) if before and before.isdigit() else 0
        b = int(after) if after.isdigit() else None
        return None if b is None else (b > a) - (b < a)

    def reparse(self, raw: str) -> PageItem:
        """A quarantined line, parsed again."""
        return parse_line(raw.encode(), 0)

    def close(self) -> None:
        """Close the stream."""
        if self._http is not None:
            self._http.close()
            self._http = None
        self._lines = None


def parse_line(line: bytes, number: int) -> PageItem:
    """One line as an item (an item with an issue when it is not JSON)."""
    raw = line.decode("utf-8", "replace").rstrip("\r\n")
    try:
        return PageItem(orjson.loads(line), raw)
    except orjson.JSONDecodeError as exc:
        where = f"line {number}: " if number else ""
        return PageItem(None, raw, [("", f"{where}not JSON ({exc})")])


def _file_lines(path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as fh:
            yield from fh
    except OSError as exc:
        raise FeedError("connection", f"cannot read {path}: {exc}") from None


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest
