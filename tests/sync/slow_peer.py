"""A peer on a real socket that answers one byte at a time: headers, body, or chunked body.

Each byte comes well within any read timeout, so only a whole-request deadline can
stop a client. The server notes whether the client hung up before the answer was
complete (``hung_up``), which is what a test checks instead of timing the client.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time


class SlowPeer:
    """Serves one feed page of ``docs`` for node ``node_id``, trickled in ``mode``."""

    def __init__(self, node_id: str, docs: list[dict], mode: str, interval: float = 0.05):
        self.node_id, self.docs, self.mode, self.interval = node_id, docs, mode, interval
        self.hung_up = threading.Event()  # the client closed before the answer was complete
        self.completed = threading.Event()  # the whole answer went out
        self.sent = 0
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                owner._serve(self.request)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self) -> tuple[bytes, bytes]:
        """(head, body) of the one page this peer serves."""
        page = {"node": self.node_id, "changes": self.docs, "next_cursor": "1", "has_more": False}
        body = json.dumps(page).encode()
        if self.mode == "chunked":
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            head += b"Transfer-Encoding: chunked\r\n\r\n"
            return head, b"".join(b"1\r\n" + body[i : i + 1] + b"\r\n" for i in range(len(body)))
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        head += b"Content-Length: %d\r\nX-Padding: %s\r\n\r\n" % (len(body), b"p" * 200)
        return head, body

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        request = b""
        while b"\r\n\r\n" not in request:
            data = conn.recv(4096)
            if not data:
                return
            request += data
        head, body = self.answer()
        if self.mode == "headers":
            fast, slow = b"", head + body
        else:
            fast, slow = head, body + (b"0\r\n\r\n" if self.mode == "chunked" else b"")
        try:
            conn.sendall(fast)
            for i in range(len(slow)):
                time.sleep(self.interval)
                conn.sendall(slow[i : i + 1])
                self.sent += 1
        except OSError:
            self.hung_up.set()
            return
        self.completed.set()

    def wait_for_hang_up(self, timeout: float = 10.0) -> bool:
        """True once the client closed the connection with the answer still unfinished.

        A closed connection shows on the next byte sent (reset or broken pipe).
        """
        return self.hung_up.wait(timeout)
