"""`smedir serve` runs a production server (gunicorn workers), migrates first, stops on SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import requests


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_with_gunicorn_and_stops_on_sigterm(tmp_path, db_url):
    config = tmp_path / "node.toml"
    config.write_text(
        f'[node]\nid = "kh"\ninstance_path = "inst"\n[database]\nurl = "{db_url}"\n',
        encoding="utf-8",
    )
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from directory.cli import main; main()",
            "serve",
            "--config",
            str(config),
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        response = None
        for _ in range(100):
            try:
                response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert response is not None and response.status_code == 200
        assert response.json() == {"node": "kh", "database": "ok"}
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "gunicorn" in output.lower() and "Booting worker" in output
