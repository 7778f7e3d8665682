"""Helpers for tests that run ``smedir`` in subprocesses: config files and the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SMEDIR = [sys.executable, "-c", "import sys; from directory.cli import main; main()"]


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(value)


def write_config(path: Path, sections: dict, peers: list[dict]) -> Path:
    """Write a TOML config file with tables and ``[[peers]]`` entries."""
    lines: list[str] = []
    for name, table in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    for peer in peers:
        lines.append("[[peers]]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in peer.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def node_config(tmp_path: Path, name: str, db_url: str, peers: list[dict], **sync) -> Path:
    """A config for node ``kh`` on ``db_url`` with fast sync settings."""
    sections = {
        "node": {"id": "kh", "country": "KH", "instance_path": str(tmp_path / f"inst-{name}")},
        "database": {"url": db_url},
        "security": {"secret_key": "test-secret"},
        "sync": {
            "connect_timeout": 2.0,
            "read_timeout": 5.0,
            "retries": 0,
            "backoff_factor": 0.0,
            "tombstone_guard_min": 100_000,
            **sync,
        },
    }
    return write_config(tmp_path / f"{name}.toml", sections, peers)


def smedir(*args: str, **kwargs) -> subprocess.Popen:
    """Start ``smedir ARGS`` in a subprocess (from the repository root)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    options = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs}
    return subprocess.Popen([*SMEDIR, *args], cwd=ROOT, env=env, text=True, **options)
