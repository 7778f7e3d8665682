"""A whole-request deadline enforced at the socket, however slowly a peer sends its bytes.

Socket timeouts bound each ``recv``, not a request: a peer that trickles one byte
a second never trips a 30 s read timeout, and a buffered ``read(65536)`` loops over
many ``recv`` calls before any code above it can look at the clock. So every
``recv`` of a response (status line, headers and body alike) goes through
:class:`_DeadlineRaw`, which shrinks the socket timeout to what is left of the
request's deadline and refuses to read once it has passed. Connecting and the
retry back-off are capped to the same deadline.

The pieces hook into requests/urllib3 through their documented extension points:
``HTTPAdapter.init_poolmanager``, a ``PoolManager`` whose pools make our
connection class, and the connection's ``response_class``.
"""

from __future__ import annotations

import http.client
import io
import time

from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError


class RequestDeadline:
    """The deadline of the request in flight on one client (one request at a time)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expires: float | None = None

    def start(self) -> None:
        """A new request begins: it has ``seconds`` from now, headers and body included."""
        self.expires = time.monotonic() + self.seconds

    def remaining(self) -> float | None:
        """Seconds left (may be <= 0), or None when no request has started."""
        return None if self.expires is None else self.expires - time.monotonic()

    def passed(self) -> bool:
        """True once the request in flight has run out of time."""
        left = self.remaining()
        return left is not None and left <= 0

    def cap(self, seconds: float) -> float:
        """``seconds``, or what is left of the deadline if that is shorter (never negative)."""
        left = self.remaining()
        return seconds if left is None else max(0.0, min(seconds, left))


class _DeadlineRaw(io.RawIOBase):
    """The response's socket reader: each ``recv`` waits at most until the deadline."""

    def __init__(self, sock, deadline: RequestDeadline):
        super().__init__()
        self._sock = sock
        self._io = sock.makefile("rb", buffering=0)  # holds a reference, like http.client's
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int | None:
        left = self._deadline.remaining()
        if left is None:
            return self._io.readinto(buffer)
        if left <= 0:
            raise TimeoutError(f"request deadline of {self._deadline.seconds:g} s passed")
        timeout = self._sock.gettimeout()
        self._sock.settimeout(left if timeout is None else min(timeout, left))
        try:
            return self._io.readinto(buffer)
        finally:
            self._sock.settimeout(timeout)

    def close(self) -> None:
        if not self.closed:
            self._io.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    """http.client's response, reading through :class:`_DeadlineRaw`."""

    def __init__(self, sock, deadline: RequestDeadline, *args, **kwargs):
        super().__init__(sock, *args, **kwargs)
        self.fp.close()  # nothing read yet: swap in the deadline-aware reader
        self.fp = io.BufferedReader(_DeadlineRaw(sock, deadline))


class _DeadlineConnectionMixin:
    """A urllib3 connection that connects and reads within its client's deadline."""

    def __init__(self, *args, deadline: RequestDeadline, **kwargs):
        super().__init__(*args, **kwargs)
        self.deadline = deadline

    def response_class(self, sock, *args, **kwargs):
        """http.client calls this to build each response (status line first)."""
        return _DeadlineResponse(sock, self.deadline, *args, **kwargs)

    def connect(self) -> None:
        if self.deadline.passed():
            raise ConnectTimeoutError(self, "request deadline passed before connecting")
        if isinstance(self.timeout, int | float):
            self.timeout = self.deadline.cap(self.timeout)
        super().connect()


class DeadlineHTTPConnection(_DeadlineConnectionMixin, HTTPConnection):
    """Plain HTTP with the deadline."""


class DeadlineHTTPSConnection(_DeadlineConnectionMixin, HTTPSConnection):
    """HTTPS with the deadline."""


_CONNECTIONS = {"http": DeadlineHTTPConnection, "https": DeadlineHTTPSConnection}


class _DeadlinePoolManager(PoolManager):
    """Pools whose connections carry the client's deadline."""

    def __init__(self, *args, deadline: RequestDeadline, **kwargs):
        self.deadline = deadline
        super().__init__(*args, **kwargs)

    def _new_pool(self, scheme, host, port, request_context=None):
        pool = super()._new_pool(scheme, host, port, request_context)
        pool.ConnectionCls = _CONNECTIONS[scheme]
        pool.conn_kw["deadline"] = self.deadline
        return pool


class DeadlineAdapter(HTTPAdapter):
    """requests' HTTPAdapter whose connections enforce ``deadline``."""

    def __init__(self, deadline: RequestDeadline, **kwargs):
        self.deadline = deadline
        super().__init__(**kwargs)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        """Same as HTTPAdapter's, with the deadline-aware pool manager."""
        self._pool_connections, self._pool_maxsize, self._pool_block = connections, maxsize, block
        self.poolmanager = _DeadlinePoolManager(
            num_pools=connections,
            maxsize=maxsize,
            block=block,
            deadline=self.deadline,
            **pool_kwargs,
        )
