"""``smedir users``: the first admin from the shell, listing, role changes, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

from click.testing import CliRunner
from sqlmodel import select

from directory.cli import cli
from directory.db import make_engine, new_session
from directory.models import AuditEntry, User
from directory.services.passwords import verify_password

PASSWORD = "mango season 2026"


def write_config(tmp_path, db_url):
    config = tmp_path / "node.toml"
    config.write_text(
        f'[node]\ninstance_path = "inst"\n[database]\nurl = "{db_url}"\n', encoding="utf-8"
    )
    return str(config)


def smedir(tmp_path, db_url, *args, stdin=None):
    """The real console entry point in a subprocess (slow: used once)."""
    return subprocess.run(
        [sys.executable, "-c", "from directory.cli import main; main()", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        env={**os.environ, "SMEDIR_CONFIG": write_config(tmp_path, db_url)},
    )


def run(tmp_path, db_url, *args, stdin=None):
    """The same command group in this process."""
    result = CliRunner().invoke(
        cli, [*args, "--config", write_config(tmp_path, db_url)], input=stdin
    )
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


def users(db_url) -> list[User]:
    engine = make_engine(db_url)
    with new_session(engine) as session:
        rows = list(session.exec(select(User).order_by(User.id)))
        audit = list(session.exec(select(AuditEntry).order_by(AuditEntry.id)))
    engine.dispose()
    return rows, audit


def test_create_the_first_admin_with_the_password_on_stdin(tmp_path, db_url):
    result = smedir(
        tmp_path,
        db_url,
        "users",
        "create",
        "--email",
        "Admin@Example.org",
        "--role",
        "admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert result.returncode == 0, result.stderr
    assert "created user" in result.stdout and "admin" in result.stdout
    [admin], [entry] = users(db_url)
    assert (admin.email, admin.role) == ("admin@example.org", "admin")
    assert verify_password(admin.password_hash, PASSWORD)
    assert (entry.action, entry.actor_id, entry.target) == ("user.create", None, f"user:{admin.id}")


def test_list_and_set_role(tmp_path, db_url):
    for email in ("a@example.org", "b@example.org"):
        result = run(tmp_path, db_url, "users", "create", "--email", email, "--password", PASSWORD)
        assert result.returncode == 0, result.stderr
    result = run(
        tmp_path,
        db_url,
        "users",
        "set-role",
        "--email",
        "b@example.org",
        "--role",
        "focal_point",
        "--reason",
        "covers Siem Reap",
    )
    assert result.returncode == 0, result.stderr
    result = run(tmp_path, db_url, "users", "list")
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert [line[1:] for line in lines] == [
        ["a@example.org", "owner", "-", "active"],
        ["b@example.org", "focal_point", "KH", "active"],
    ]
    _rows, audit = users(db_url)
    assert [e.action for e in audit] == ["user.create", "user.create", "user.role"]
    assert "covers Siem Reap" in audit[-1].detail


def test_errors_name_the_option(tmp_path, db_url):
    weak = run(tmp_path, db_url, "users", "create", "--email", "a@example.org", "--password", "123")
    assert weak.returncode == 1
    assert "--password: Use at least 10 characters." in weak.stderr
    both = run(
        tmp_path, db_url, "users", "create", "--email", "a@example.org", "--password-stdin",
        "--password", PASSWORD,
    )  # fmt: skip
    assert both.returncode != 0 and "at most one of --password and --password-stdin" in both.stderr
    no_terminal = run(tmp_path, db_url, "users", "create", "--email", "a@example.org")
    assert no_terminal.returncode != 0 and "use --password-stdin" in no_terminal.stderr
    missing = run(
        tmp_path, db_url, "users", "set-role", "--email", "x@example.org", "--role", "admin",
        "--reason", "r",
    )  # fmt: skip
    assert missing.returncode == 1 and "--email: no user" in missing.stderr
    assert users(db_url) == ([], [])
