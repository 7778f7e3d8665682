"""Shared fixtures: a real, freshly migrated database per test, on SQLite and on PostgreSQL.

Each backend is migrated once per test session into a template (a SQLite file,
a PostgreSQL template database); every test then gets its own copy, so tests
are isolated and may start other processes (servers, schedulers) on the same
database. PostgreSQL is the one on 127.0.0.1:5432 (database ``test``); set
SMEDIR_TEST_PG_URL to use another. Without a server the PostgreSQL half is
skipped, unless SMEDIR_REQUIRE_POSTGRES=1 (as in .ci/run), where it fails.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from directory.db import make_engine, new_session
from directory.migrations import upgrade_database
from directory.models import Role, User
from directory.node import Node

PG_ADMIN_URL = os.environ.get(
    "SMEDIR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
EXAMPLES = Path(__file__).resolve().parent.parent / "schemas" / "examples"
_counter = itertools.count()


def _pg_admin_engine():
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def _pg_available() -> str | None:
    try:
        with _pg_admin_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:  # any connection failure means "not available"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"


class PgDatabases:
    """Creates per-test PostgreSQL databases from one migrated template."""

    def __init__(self):
        self.admin = _pg_admin_engine()
        self.prefix = f"smedir_t{os.getpid()}"
        self.template = f"{self.prefix}_tmpl"
        self.created: list[str] = []
        self.free: list[str] = []
        self._drop(self.template)
        self._exec(f'CREATE DATABASE "{self.template}"')
        engine = make_engine(self.url(self.template))
        upgrade_database(engine)
        engine.dispose()

    def url(self, name: str) -> str:
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def _exec(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def _drop(self, name: str) -> None:
        self._exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def new(self) -> str:
        if self.free:
            return self.url(self.free.pop())
        name = f"{self.prefix}_{next(_counter)}"
        self._drop(name)
        self._exec(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.created.append(name)
        return self.url(name)

    def drop(self, url: str) -> None:
        """Hand the database back emptied for reuse (creating one costs ~1 s); drop it if busy,
        or if a migration test left it at another revision (the next test would get it so)."""
        name = make_url(url).database
        try:
            self._reset(url)
            self.free.append(name)
        except Exception:  # still locked by a stray connection, or not at the head: throw away
            self._drop(name)
            self.created.remove(name)

    def _reset(self, url: str) -> None:
        from sqlmodel import SQLModel

        import directory.models  # noqa: F401  (every table on the metadata)
        from directory.migrations import pending_migrations

        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        engine = create_engine(url, poolclass=NullPool)
        try:
            if pending_migrations(engine):  # a migration test left it at another revision
                raise LookupError(f"{make_url(url).database} is not at the head revision")
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '3s'"))
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
                conn.execute(text("INSERT INTO change_counter (id, value) VALUES (1, 0)"))
        finally:
            engine.dispose()

    def close(self) -> None:
        for name in [*self.created, self.template]:
            self._drop(name)
        self.admin.dispose()


class SqliteDatabases:
    """Creates per-test SQLite files by copying one migrated template file."""

    def __init__(self, base: Path):
        self.base = base
        self.template = base / "template.sqlite3"
        engine = make_engine(f"sqlite:///{self.template}")
        upgrade_database(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()

    def new(self) -> str:
        target = self.base / f"db{next(_counter)}.sqlite3"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        path = Path(make_url(url).database)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@pytest.fixture(scope="session")
def sqlite_databases(tmp_path_factory):
    return SqliteDatabases(tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(scope="session")
def pg_databases():
    reason = _pg_available()
    if reason:
        if os.environ.get("SMEDIR_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    databases = PgDatabases()
    yield databases
    databases.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request):
    """The URL of a fresh, migrated database of each backend."""
    factory = request.getfixturevalue(
        f"{'pg' if request.param == 'postgresql' else 'sqlite'}_databases"
    )
    url = factory.new()
    yield url
    factory.drop(url)


@pytest.fixture
def db_factory(request, db_url):
    """Makes more fresh databases of the same backend as ``db_url`` (for multi-node tests)."""
    name = "pg_databases" if db_url.startswith("postgresql") else "sqlite_databases"
    factory = request.getfixturevalue(name)
    made: list[str] = []

    def make() -> str:
        made.append(factory.new())
        return made[-1]

    yield make
    for url in made:
        factory.drop(url)


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    """A write session; the test commits when it wants the data visible to others."""
    session = new_session(engine, write=True)
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def node():
    return Node(id="kh", country="KH")


@pytest.fixture
def make_user(session):
    """Factory: a committed user with a role."""

    def make(role: str = Role.OWNER, email: str | None = None, country: str | None = None) -> User:
        n = next(_counter)
        user = User(email=email or f"user{n}@example.com", role=role, country=country)
        session.add(user)
        session.commit()
        return user

    return make


def load_example(name: str) -> dict:
    """The document of a file in schemas/examples/valid (name without .json)."""
    data = json.loads((EXAMPLES / "valid" / f"{name}.json").read_text(encoding="utf-8"))
    return data["document"]


def valid_examples(kind: str = "record") -> list[dict]:
    """Documents of every valid example of a kind."""
    docs = []
    for path in sorted((EXAMPLES / "valid").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["kind"] == kind:
            docs.append(data["document"])
    return docs


@pytest.fixture
def record_doc():
    """A full valid record document (envelope included)."""
    return valid_examples("record")[0]


@pytest.fixture
def draft_data(record_doc):
    """An owner's data for a new listing: the record without the origin-set fields."""
    return {
        k: v for k, v in record_doc.items() if k not in ("id", "origin", "version", "updated_at")
    }


class LiveServer:
    """A real HTTP server on 127.0.0.1 running one app, in a thread."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        import threading

        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def app_factory(tmp_path):
    """Factory: a Flask app on a given database URL with config overrides (node id, peers...)."""
    from directory.app import create_app

    def make(db_url: str, **sections) -> object:
        overrides = {
            "node": {"instance_path": str(tmp_path / f"instance{next(_counter)}")},
            "database": {"url": db_url},
            "security": {"secret_key": "test-secret"},
            # counts stay exact after a change however slowly a loaded machine counts them:
            # stale counts are served only past this many ms (test_page_cache sets 0)
            "search": {"stale_counts_ms": 600_000},
        }
        for section, values in sections.items():
            if isinstance(values, dict):
                overrides.setdefault(section, {}).update(values)
            else:
                overrides[section] = values
        app = create_app(overrides=overrides)
        app.config["TESTING"] = True
        return app

    return make


@pytest.fixture
def app(app_factory, db_url):
    """The app on this test's database (node "kh")."""
    app = app_factory(db_url)
    yield app
    app.extensions["smedir.engine"].dispose()


@pytest.fixture
def live_server():
    """Factory: serve an app on 127.0.0.1 on a free port; stopped after the test."""
    servers: list[LiveServer] = []

    def start(app) -> LiveServer:
        servers.append(LiveServer(app))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


pytest_plugins = ["tests.browser", "pytest_httpserver"]  # plugins whose fixtures tests use
