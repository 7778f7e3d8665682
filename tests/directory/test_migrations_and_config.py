"""Migrations build exactly the models' schema on both databases; config loading rules."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

import directory.models  # noqa: F401  (registers every table)
from directory.config import ConfigError, load_config
from directory.db import make_engine
from directory.migrations import pending_migrations, upgrade_database
from directory.search.index import include_in_comparison


def test_migrations_match_models(engine):
    assert pending_migrations(engine) == []
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_in_comparison})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_upgrade_is_idempotent(engine):
    upgrade_database(engine)
    assert pending_migrations(engine) == []


def test_sqlite_runs_in_wal_mode(sqlite_databases):
    url = sqlite_databases.new()
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    engine.dispose()
    sqlite_databases.drop(url)


def test_defaults_without_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = load_config(environ={})
    assert cfg["node"]["id"] == "kh" and cfg["database"]["url"].startswith("sqlite:///")
    assert cfg["database"]["url"].endswith("instance/smedir.sqlite3")


def test_environment_overrides_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[node]\nid = "kh"\n[search]\npage_size = 10\n', encoding="utf-8")
    env = {"SMEDIR_NODE__ID": "kh-moc", "SMEDIR_SEARCH__PAGE_SIZE": "50"}
    cfg = load_config(path, environ=env)
    assert cfg["node"]["id"] == "kh-moc" and cfg["search"]["page_size"] == 50


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[node]\nrole = "capital"\n', "node.role"),
        ('[search]\npage_size = "many"\n', "search.page_size"),
        ("[search]\nstale_counts_ms = -1\n", "search.stale_counts_ms"),
        ("[search]\npage_cache_mb = -5\n", "search.page_cache_mb"),
        ('[[peers]]\nid = "th"\n', "peers[0].base_url"),
        ('[[peers]]\nid = "th"\nbase_url = "http://x"\ntrust = "blind"\n', "peers[0].trust"),
        ("[security]\nproduction = true\n", "security.secret_key"),
        ("[enquiries]\nmax_per_sender_per_day = 0\n", "enquiries.max_per_sender_per_day"),
        ("[enquiries]\nexpire_days = 30\nkeep_days = 7\n", "enquiries.keep_days"),
        ('[enquiries]\nenabled = "yes"\n', "enquiries.enabled"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path, text, key):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert str(info.value).startswith(f"{path}: {key}: ")


def test_invalid_toml_is_one_line(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[node\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert "\n" not in str(info.value) and "not valid TOML" in str(info.value)


def test_example_config_documents_every_key_and_loads():
    import tomllib
    from pathlib import Path

    from directory.config import DEFAULTS, PEER_DEFAULTS

    path = Path(__file__).resolve().parents[2] / "config.example.toml"
    example = tomllib.loads(path.read_text(encoding="utf-8"))
    for section, defaults in DEFAULTS.items():
        if isinstance(defaults, dict):
            assert set(example[section]) == set(defaults), section
            assert example[section] == defaults, section
    text = path.read_text(encoding="utf-8")
    for key in PEER_DEFAULTS:
        assert f"# {key} = " in text or f"# [peers.{key}]" in text, f"peers.{key} undocumented"
    load_config(path, environ={})


def test_healthz_reports_a_pending_migration_every_time_it_asks(app, engine):
    """The script heads are read once per process; the database's revisions on every call."""
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    version = text("SELECT version_num FROM alembic_version ORDER BY version_num")
    with engine.begin() as conn:
        head = conn.execute(version).scalars().all()[-1]
        conn.execute(text("DELETE FROM alembic_version WHERE version_num = :v"), {"v": head})
    assert pending_migrations(engine) == [head]
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json["database"] == "pending"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": head})
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["database"] == "ok"
