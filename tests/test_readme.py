"""The README as a newcomer reads it: its quick start works word for word, and it (and docs/)
point only at things inside the repository.

The quick start is read from the README itself (the first ``sh`` block under
"## Quick start") and run by bash in a copy of the repository, in a new virtual
environment whose ``pip`` finds the dependencies already installed in this one (the
test never reaches the network: ``PIP_NO_INDEX=1``, ``PIP_NO_BUILD_ISOLATION=0``). The
demo's port comes from ``SMEDIR_DEMO_PORT``, so the command line stays exactly the README's.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import requests

from tests.processes import Demo, alive, descendants, free_base_port, node_urls

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
LEFT_OUT = shutil.ignore_patterns(
    ".git", ".ci", "instance", "test-output", "__pycache__", "*.egg-info", "build", ".*cache"
)


def quick_start_commands() -> list[str]:
    """The command lines of the first ``sh`` block in the README's "Quick start" section."""
    section = README.read_text(encoding="utf-8").split("\n## Quick start\n", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section.split("\n## ", 1)[0], re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def new_environment(folder: Path) -> Path:
    """A virtual environment whose site-packages also sees this one's (no downloads)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(folder), "platbase": str(folder)}))
    outer = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (site / "outer-environment.pth").write_text("\n".join(sorted(outer)) + "\n")
    pip = folder / "bin" / "pip"
    pip.write_text(
        f"#!{folder / 'bin' / 'python'}\n"
        "import sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n"
    )
    pip.chmod(0o755)
    return folder / "bin"


@pytest.mark.slow
def test_the_quick_start_works_word_for_word(tmp_path):
    commands = quick_start_commands()
    assert commands == ["pip install -e . && smedir demo"], commands
    clone = tmp_path / "clone"
    shutil.copytree(ROOT, clone, ignore=LEFT_OUT)
    bin_dir = new_environment(tmp_path / "venv")
    base = free_base_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMEDIR_", "PYTHON"))}
    env.pop("VIRTUAL_ENV", None)
    env.update(
        PATH=f"{bin_dir}:{env['PATH']}",
        PIP_NO_INDEX="1",
        PIP_NO_BUILD_ISOLATION="0",  # pip reads "0" as --no-build-isolation (pypa/pip#5735)
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        SMEDIR_DEMO_PORT=str(base),
    )
    demo = Demo(["bash", "-c", commands[0]], cwd=clone, env=env, new_session=True)
    try:
        output = demo.wait_for("demo ready", timeout=420)
        assert (bin_dir / "smedir").exists()  # pip installed the console script there
        urls = node_urls(output)
        assert urls["kh"] == f"http://127.0.0.1:{base}", output
        home = requests.get(f"{urls['kh']}/?lang=en", timeout=10).text
        assert "businesses listed" in home and "List your business" in home
        assert (clone / "instance" / "demo" / "kh" / "smedir.sqlite3").exists()
        children = descendants(demo.proc.pid)
        os.killpg(demo.proc.pid, signal.SIGINT)  # Ctrl-C at the terminal: the whole group
        assert demo.proc.wait(60) == 0, demo.output
        assert [pid for pid in children if alive(pid)] == []
    finally:
        demo.kill()


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize(
    "doc", [README, *sorted((ROOT / "docs").glob("*.md"))], ids=lambda p: p.name
)
def test_docs_point_only_inside_the_repository(doc):
    text = doc.read_text(encoding="utf-8")
    assert "../shared" not in text and "/work/" not in text
    for target in LINK.findall(text):
        if target.startswith(("http://127.0.0.1", "https://", "http://")):
            assert target.startswith("http://127.0.0.1") or "example" in target, target
            continue
        assert (doc.parent / target).resolve().is_relative_to(ROOT), target
        assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"
