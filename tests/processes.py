"""Helpers for tests that run long-lived commands (``smedir demo``): ports, process trees."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_base_port(count: int = 3) -> int:
    """A port such that it and the next ``count - 1`` are free on 127.0.0.1."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + count < 65000 and all(_free(base + i) for i in range(count)):
            return base
    raise RuntimeError("no free ports")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (children, grandchildren ...), from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Demo:
    """A running ``smedir demo`` whose output is read line by line in a thread."""

    def __init__(
        self, args: list[str], cwd: Path, env: dict | None = None, *, new_session: bool = False
    ):
        if env is None:  # run this checkout's code
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=new_session,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float) -> str:
        """The output so far once ``text`` appeared in it."""
        end = time.monotonic() + timeout
        while text not in self.output:
            assert self.proc.poll() is None, self.output
            assert time.monotonic() < end, self.output
            time.sleep(0.2)
        return self.output

    def interrupt(self) -> int:
        """Ctrl-C: SIGINT, then the exit status."""
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(60)

    def kill(self) -> None:
        if self.proc.poll() is None:
            for pid in descendants(self.proc.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.proc.kill()
            self.proc.wait()


def node_urls(output: str) -> dict[str, str]:
    """Node id -> URL, from the lines ``<name> (<id>, <role>)  <url>/``."""
    return dict(re.findall(r"^\S.* \(([a-z]+), (?:national|hub)\)\s+(http://\S+?)/$", output, re.M))
