"""Run the demo's processes: a web server per node and a sync scheduler per node with peers.

Each child runs in its own session, so a Ctrl-C at the terminal reaches only the
demo process, which then stops every child (SIGTERM, then SIGKILL after a grace
period) and waits for them; nothing is left running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

import directory
from directory.demo.nodes import HOST, DemoNode, DemoState, node_environment, peers_of

SMEDIR = [sys.executable, "-c", "from directory.cli import main; main()"]
PACKAGE_ROOT = str(Path(directory.__file__).resolve().parents[1])


class DemoError(Exception):
    """The demo could not start; str() says why and what to do."""


@dataclass
class Child:
    """One process of the demo and the file its output goes to."""

    name: str
    proc: subprocess.Popen
    log: Path

    def tail(self, lines: int = 15) -> str:
        """The last lines of its log."""
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def check_ports_free(nodes: tuple[DemoNode, ...], base_port: int) -> None:
    """DemoError naming the first port another program already uses."""
    for node in nodes:
        port = base_port + node.offset
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, port))
            except OSError:
                raise DemoError(f"port {port} is in use: choose others with --port") from None


class Federation:
    """The running demo: start, wait until every node answers, watch, stop."""

    def __init__(self, root: Path, nodes: tuple[DemoNode, ...], base_port: int, state: DemoState):
        self.root, self.nodes, self.base_port, self.state = root, nodes, base_port, state
        self.children: list[Child] = []

    def start_servers(self) -> None:
        """Start a web server (gunicorn, one worker) for every node."""
        for node in self.nodes:
            port = str(self.base_port + node.offset)
            args = ["serve", "--config", self._config(node), "--port", port, "--workers", "1"]
            self._spawn(node, "serve", args)

    def start_schedulers(self) -> None:
        """Start a sync scheduler for every node with peers (once the servers answer)."""
        for node in self.nodes:
            if peers_of(node, self.nodes):
                self._spawn(node, "scheduler", ["scheduler", "--config", self._config(node)])

    def _config(self, node: DemoNode) -> str:
        return str(self.root / node.id / "config.toml")

    def _spawn(self, node: DemoNode, what: str, args: list[str]) -> None:
        log = self.root / node.id / f"{what}.log"
        env = node_environment(node, self.nodes, self.state)
        env["PYTHONPATH"] = PACKAGE_ROOT + (f":{env['PYTHONPATH']}" if "PYTHONPATH" in env else "")
        with log.open("a", encoding="utf-8") as out:
            proc = subprocess.Popen(
                [*SMEDIR, *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self.children.append(Child(f"{node.id} {what}", proc, log))

    def wait_ready(self, stop: threading.Event, timeout: float = 120.0) -> bool:
        """True once every node's /healthz answers 200; False if stopped first."""
        waiting = list(self.nodes)
        deadline = time.monotonic() + timeout
        while waiting:
            if stop.is_set():
                return False
            self.check_alive()
            waiting = [n for n in waiting if not _healthy(n.url(self.base_port))]
            if time.monotonic() > deadline:
                names = ", ".join(n.id for n in waiting)
                raise DemoError(f"{names} did not answer within {timeout:.0f} s; see the logs")
            stop.wait(0.3)
        return True

    def check_alive(self) -> None:
        """DemoError with the log of a child that exited on its own."""
        for child in self.children:
            if child.proc.poll() is not None:
                raise DemoError(
                    f"{child.name} exited with status {child.proc.returncode}; "
                    f"the end of {child.log}:\n{child.tail()}"
                )

    def watch(self, stop: threading.Event) -> None:
        """Return when ``stop`` is set; DemoError if a child dies meanwhile."""
        while not stop.wait(0.5):
            self.check_alive()

    def stop(self, grace: float = 25.0) -> None:
        """SIGTERM every child, wait up to ``grace`` seconds, SIGKILL what is left."""
        for child in self.children:
            _signal_group(child.proc, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in self.children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.proc.wait(max(deadline - time.monotonic(), 0.1))
            _signal_group(child.proc, signal.SIGKILL)  # whatever is left of its group
            child.proc.wait()


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    """Signal the child's process group (it leads its own session: gunicorn and its workers)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signum)


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=(1, 3)).status_code == 200
    except requests.RequestException:
        return False
