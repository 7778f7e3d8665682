"""HTTP to one peer: one requests Session, timeouts, safe retries, same-host redirects, size limit.

Duties, in order of importance:
- every call has a (connect, read) timeout and a whole-request deadline, enforced at the
  socket (``sync.deadline``): a peer trickling bytes cannot hold a run past it;
- only idempotent reads (GET, HEAD) are retried, and only on connection errors and
  502/503/504, with exponential backoff and ``Retry-After`` honoured (capped); never on
  401/403/409/412 or any other status; a POST is never retried (not even on connect errors);
- redirects are followed only to the same scheme, host and port; any other is refused;
- a body larger than ``max_response_bytes`` is refused while streaming (decoded size);
- a body cut short by the peer (fewer bytes than announced) is a failure, not a parse.

Every failure is a :class:`sync.errors.FeedError` with a ``kind``; nothing here touches the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import orjson
import requests
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from sync.deadline import DeadlineAdapter, RequestDeadline
from sync.errors import FeedError
from sync.peers import SyncSettings

IDEMPOTENT = frozenset({"GET", "HEAD"})
RETRY_STATUSES = frozenset({502, 503, 504})
MAX_REDIRECTS = 5
CHUNK = 65_536


class ReadOnlyRetry(Retry):
    """Retry that never repeats a non-idempotent request, even on a connection error."""

    def __init__(
        self,
        *args,
        retry_after_max: float = 60.0,
        deadline: RequestDeadline | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.retry_after_max = retry_after_max
        self.deadline = deadline

    def new(self, **kw) -> ReadOnlyRetry:
        """Copy with updated counters (urllib3 calls this on every attempt)."""
        new = super().new(**kw)
        new.retry_after_max = self.retry_after_max
        new.deadline = self.deadline
        return new

    def increment(self, method=None, url=None, *args, **kwargs):
        """Refuse to retry a method outside ``allowed_methods``; else count down as usual."""
        if method is not None and method.upper() not in (self.allowed_methods or ()):
            reason = kwargs.get("error") or ResponseError(f"{method} is not retried")
            raise MaxRetryError(kwargs.get("_pool"), url, reason)
        return super().increment(method, url, *args, **kwargs)

    def get_retry_after(self, response) -> float | None:
        """The peer's Retry-After, capped so a hostile peer cannot park the run."""
        value = super().get_retry_after(response)
        return None if value is None else self._cap(min(value, self.retry_after_max))

    def get_backoff_time(self) -> float:
        """The back-off, never past the request's deadline."""
        return self._cap(super().get_backoff_time())

    def _cap(self, seconds: float) -> float:
        return seconds if self.deadline is None else self.deadline.cap(seconds)


def make_session(
    settings: SyncSettings, token: str | None, deadline: RequestDeadline | None = None
) -> requests.Session:
    """A Session for one peer: retrying adapter mounted for http and https, bearer auth.

    Every request through it must first ``deadline.start()`` (PeerHttp does).
    """
    deadline = deadline or RequestDeadline(settings.request_deadline_seconds)
    retry = ReadOnlyRetry(
        total=settings.retries,
        connect=settings.retries,
        read=False,  # a read timeout is raised as is: the request may have been processed
        redirect=0,
        other=0,
        status=settings.retries,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=IDEMPOTENT,
        backoff_factor=settings.backoff_factor,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
        retry_after_max=settings.retry_after_max_seconds,
        deadline=deadline,
    )
    session = requests.Session()
    adapter = DeadlineAdapter(deadline, max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "smedir-sync/1"
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


class PeerHttp:
    """The HTTP client of one peer; all requests are relative to its base URL."""

    def __init__(self, base_url: str, settings: SyncSettings, token: str | None = None):
        self.base_url = base_url
        self.settings = settings
        self.deadline = RequestDeadline(settings.request_deadline_seconds)
        self.session = make_session(settings, token, self.deadline)

    def close(self) -> None:
        """Release the connection pool."""
        self.session.close()

    def url(self, path: str) -> str:
        """An absolute URL under the peer's base URL (the base URL itself for "")."""
        if not path:
            return self.base_url
        return urljoin(self.base_url.rstrip("/") + "/", path.lstrip("/"))

    def get_bytes(self, path: str, params: dict[str, Any] | None = None) -> bytes:
        """GET a whole body (size-limited)."""
        with self._send("GET", self.url(path), params=params) as resp:
            return self._read_limited(resp, self.settings.max_response_bytes)

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET and parse a JSON body."""
        url = self.url(path)
        return parse_json_body(self.get_bytes(path, params), url)

    def post_json(self, path: str, body: Any) -> Any:
        """POST a JSON body and parse the JSON answer (never retried)."""
        url = self.url(path)
        data = orjson.dumps(body)
        headers = {"Content-Type": "application/json"}
        with self._send("POST", url, data=data, headers=headers) as resp:
            return parse_json_body(self._read_limited(resp, self.settings.max_response_bytes), url)

    def iter_lines(self, path: str, limit: int) -> Iterator[bytes]:
        """Stream a (large) body line by line, refusing more than ``limit`` bytes in total."""
        with self._send("GET", self.url(path)) as resp:
            size, rest = 0, b""
            for chunk in self._chunks(resp, resp.url):
                size += len(chunk)
                if size > limit:
                    raise FeedError("oversized", f"more than {limit} bytes", resp.url)
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                yield from lines
            if rest:
                yield rest

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        """One request, redirects included, within one deadline that also covers its body."""
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        self.deadline.start()
        for _ in range(MAX_REDIRECTS + 1):
            try:
                resp = self.session.request(
                    method, url, timeout=timeout, allow_redirects=False, stream=True, **kwargs
                )
            except requests.RequestException as exc:
                raise self._failure(exc, url) from None
            if not resp.is_redirect:
                _check_status(resp)
                return resp
            target = urljoin(url, resp.headers.get("Location", ""))
            resp.close()
            if _origin(target) != _origin(url):
                raise FeedError("redirect", f"refused redirect to another host: {target}", url)
            url = target
        raise FeedError("redirect", f"more than {MAX_REDIRECTS} redirects", url)

    def _read_limited(self, resp: requests.Response, limit: int) -> bytes:
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FeedError("oversized", f"announced {declared} bytes, limit {limit}", resp.url)
        chunks, size = [], 0
        for chunk in self._chunks(resp, resp.url):
            size += len(chunk)
            if size > limit:
                raise FeedError("oversized", f"more than {limit} bytes", resp.url)
            chunks.append(chunk)
        return b"".join(chunks)

    def _chunks(self, resp: requests.Response, url: str) -> Iterator[bytes]:
        try:
            yield from resp.iter_content(CHUNK)
        except requests.RequestException as exc:
            raise self._failure(exc, url) from None
        finally:
            resp.close()

    def _failure(self, exc: requests.RequestException, url: str) -> FeedError:
        """The FeedError for a failed request; the deadline is named when it was the cause."""
        if self.deadline.passed():
            limit = self.settings.request_deadline_seconds
            return FeedError("timeout", f"no complete answer within the {limit:g} s deadline", url)
        if isinstance(exc, requests.exceptions.ChunkedEncodingError):
            return FeedError("truncated", f"body cut short: {_reason(exc)}", url)
        return FeedError(_failure_kind(exc), _reason(exc), url)


def parse_json_body(body: bytes, url: str) -> Any:
    """Parse JSON or fail with a ``not_json`` FeedError quoting the start of the body."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        start = body[:60].decode("utf-8", "replace")
        raise FeedError("not_json", f"{exc} (body starts {start!r})", url) from None


def _check_status(resp: requests.Response) -> None:
    if resp.status_code < 400:
        return
    body = resp.raw.read(300, decode_content=True) or b""
    resp.close()
    kind = "auth" if resp.status_code in (401, 403) else "http_status"
    text = body.decode("utf-8", "replace").strip().replace("\n", " ")[:200]
    raise FeedError(kind, f"HTTP {resp.status_code}: {text}", resp.url)


def _failure_kind(exc: Exception) -> str:
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
        return "timeout"
    return "connection"


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 300 else text[:300] + "..."
