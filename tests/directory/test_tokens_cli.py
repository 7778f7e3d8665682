"""``smedir peers token ...``: the real command group, run in-process with click's runner."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from directory.app import create_app
from directory.cli import cli
from tests.directory.exchange_fixtures import bearer


def smedir(config: Path, *args: str) -> Result:
    """Run ``smedir ARGS --config CONFIG``; ``stdout``/``stderr``/``returncode`` as a process."""
    result = CliRunner().invoke(cli, [*args, "--config", str(config)], prog_name="smedir")
    result.returncode = result.exit_code
    return result


def test_create_list_revoke(tmp_path, db_url):
    config = tmp_path / "kh.toml"
    config.write_text(
        f'[node]\nid = "kh"\ninstance_path = "inst"\n[database]\nurl = "{db_url}"\n'
        '[[peers]]\nid = "th"\nbase_url = "http://127.0.0.1:9"\n',
        encoding="utf-8",
    )
    created = smedir(
        config,
        "peers",
        "token",
        "create",
        "th",
        "--scope",
        "feed:read",
        "--scope",
        "changes:push",
        "--name",
        "Thai node",
    )
    assert created.returncode == 0, created.stderr
    plaintext = created.stdout.strip()
    assert plaintext.startswith("smedir_peer_") and "not shown again" in created.stderr
    app = create_app(config)
    assert app.test_client().get("/api/v1/changes", headers=bearer(plaintext)).status_code == 200
    listed = smedir(config, "peers", "token", "list")
    token_id, peer, scopes, status, used, name = listed.stdout.strip().split("\t")
    assert (peer, scopes, status, name) == ("th", "feed:read,changes:push", "active", "Thai node")
    assert used != "never" and plaintext not in listed.stdout
    assert smedir(config, "peers", "token", "revoke", token_id).returncode == 0
    assert app.test_client().get("/api/v1/changes", headers=bearer(plaintext)).status_code == 401
    assert smedir(config, "peers", "token", "list").stdout == ""
    assert "revoked" in smedir(config, "peers", "token", "list", "--all").stdout
    assert smedir(config, "peers", "token", "revoke", "999").returncode == 1
    app.extensions["smedir.engine"].dispose()


def test_unknown_peer_and_scope_are_refused(tmp_path, db_url):
    config = tmp_path / "kh.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n[node]\ninstance_path = "inst"\n')
    unknown = smedir(config, "peers", "token", "create", "th", "--scope", "feed:read")
    assert unknown.returncode == 2 and "not configured" in unknown.stderr
    bad = smedir(config, "peers", "token", "create", "th", "--scope", "feed:write")
    assert bad.returncode == 2 and "feed:write" in bad.stderr
