"""The sync engine stays independent of the web app: no Flask, no ``directory``."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import sync

ROOT = Path(__file__).resolve().parents[2]


def test_sync_modules_import_neither_flask_nor_directory():
    names = [m.name for m in pkgutil.walk_packages(sync.__path__, "sync.")]
    assert "sync.pull" in names and "sync.adapters.feed" in names
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'directory'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
