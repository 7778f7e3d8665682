"""A small real HTTP server on 127.0.0.1 that speaks the feed/push contract and can misbehave.

Tests script it: ``server.faults[page_number] = "html"`` makes that page fail in
that way. Cursors are the index of the next record as digits, like a sequence; with
``seq_base`` set they are what this software's feed writes instead (``encode_cursor``
of ``seq_base + index``) and the pages declare ordered cursors.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from directory.services.feed import decode_cursor, encode_cursor


class PeerServer:
    """Serves ``docs`` as a change feed of node ``node_id``; records requests."""

    def __init__(self, node_id: str, docs: list | None = None):
        self.node_id = node_id
        self.docs = list(docs or [])
        self.faults: dict[int, str] = {}  # page number (0-based, by since // limit) -> fault
        self.fault_once: set[int] = set()  # pages whose fault happens only on the first request
        self.requests: list[tuple[str, str]] = []
        self.pushed: list[dict] = []
        self.push_status: int = 200
        self.reject_ids: set[str] = set()
        self.stall = threading.Event()  # set: a "stall" page blocks until released
        self.release = threading.Event()
        self.sleep_seconds = 2.0
        self.delay = 0.0  # seconds to wait before answering any GET (widens kill windows)
        self.seq_base: int | None = None  # set: cursors as the real feed writes them
        self.jump_cursor = ""  # the next_cursor a "cursor_jump" page answers with
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                owner.requests.append(("GET", self.path))
                if owner.delay:
                    time.sleep(owner.delay)
                owner._get(self)

            def do_POST(self):
                owner.requests.append(("POST", self.path))
                owner._post(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- responses ---------------------------------------------------------------

    def cursor(self, index: int) -> str:
        """The cursor for "after record ``index``"."""
        if self.seq_base is None:
            return str(index)
        return encode_cursor(self.seq_base + index)

    def index(self, cursor: str) -> int:
        """The record index a cursor handed out by this server stands for."""
        if not cursor:
            return 0
        if self.seq_base is None:
            return int(cursor)
        return decode_cursor(cursor) - self.seq_base

    def page(self, since: int, limit: int) -> dict:
        chunk = self.docs[since : since + limit]
        nxt = since + len(chunk)
        page = {
            "node": self.node_id,
            "changes": chunk,
            "next_cursor": self.cursor(nxt),
            "has_more": nxt < len(self.docs),
        }
        if self.seq_base is not None:
            page["ordered_cursors"] = True
        return page

    def _get(self, h: BaseHTTPRequestHandler) -> None:
        url = urlsplit(h.path)
        query = parse_qs(url.query)
        since = self.index(query.get("since", [""])[0])
        limit = int(query.get("limit", ["100"])[0])
        number = since // limit
        fault = self.faults.get(number)
        if fault and number in self.fault_once:
            del self.faults[number]
        body = json.dumps(self.page(since, limit)).encode()
        if fault is None:
            return _send(h, 200, body)
        if fault == "stall":
            self.stall.set()
            self.release.wait(60)
            return _send(h, 200, body)
        if fault == "timeout":
            time.sleep(self.sleep_seconds)
            return _send(h, 200, body)
        if fault in ("500", "502", "503", "401", "403", "404"):
            headers = {"Retry-After": "0"} if fault == "503" else {}
            return _send(h, int(fault), b'{"title": "nope"}', headers=headers)
        if fault == "html":
            return _send(h, 200, b"<html><body>Maintenance</body></html>", "text/html")
        if fault == "truncated":  # announces more than it sends, then closes
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.send_header("Connection", "close")
            h.end_headers()
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            return None
        if fault == "truncated_json":  # a consistent length, but the JSON stops half-way
            return _send(h, 200, body[: len(body) // 2])
        if fault == "oversized":
            return _send(h, 200, b'{"pad": "' + b"x" * 200_000 + b'"}')
        if fault == "oversized_chunked":  # no Content-Length: the limit must hold while streaming
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            for _ in range(40):
                piece = b"x" * 10_000
                h.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            h.wfile.write(b"0\r\n\r\n")
            return None
        if fault == "redirect_other_host":
            port = self.httpd.server_port
            location = f"http://localhost:{port}{h.path}"
            return _send(h, 302, b"", headers={"Location": location})
        if fault == "redirect_same_host":
            del self.faults[number]
            return _send(h, 302, b"", headers={"Location": h.path})
        if fault == "cursor_backwards":
            page = self.page(since, limit)
            page["next_cursor"] = self.cursor(max(since - 1, 0))
            page["has_more"] = True
            return _send(h, 200, json.dumps(page).encode())
        if fault == "cursor_jump":
            page = self.page(since, limit)
            page["next_cursor"] = self.jump_cursor
            return _send(h, 200, json.dumps(page).encode())
        if fault == "cursor_stuck":
            page = self.page(since, limit)
            page["next_cursor"] = self.cursor(since)
            page["has_more"] = True
            return _send(h, 200, json.dumps(page).encode())
        if fault == "bad_page":
            page = self.page(since, limit)
            del page["has_more"]
            return _send(h, 200, json.dumps(page).encode())
        if fault == "wrong_node":
            page = self.page(since, limit)
            page["node"] = "zz"
            return _send(h, 200, json.dumps(page).encode())
        raise AssertionError(f"unknown fault {fault}")

    def _post(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length", "0"))
        body = json.loads(h.rfile.read(length))
        if self.push_status != 200:
            return _send(h, self.push_status, b'{"title": "down"}', headers={"Retry-After": "0"})
        receipts = []
        for change in body["changes"]:
            self.pushed.append(change)
            receipt = {"id": change["id"], "version": change["version"], "status": "applied"}
            if change["id"] in self.reject_ids:
                receipt["status"] = "rejected"
                receipt["errors"] = [{"path": "/names", "message": "not accepted here"}]
            receipts.append(receipt)
        return _send(h, 200, json.dumps({"receipts": receipts}).encode())


def _send(h, status: int, body: bytes, ctype: str = "application/json", headers=None) -> None:
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    for key, value in (headers or {}).items():
        h.send_header(key, value)
    h.end_headers()
    h.wfile.write(body)
