"""PostgreSQL databases for the benchmarks: made fresh by name, dropped by URL."""

from __future__ import annotations

import os

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ADMIN = os.environ.get("SMEDIR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pg_url(name: str) -> str:
    """The URL of database ``name`` on the benchmark server."""
    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)


def _admin(*statements: str) -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for sql in statements:
                conn.execute(text(sql))
    finally:
        admin.dispose()


def create_pg(name: str) -> str:
    """A new, empty database ``name`` (an old one of that name is dropped first); its URL."""
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return pg_url(name)


def drop_pg(url: str) -> None:
    """Drop the database at ``url``."""
    _admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def checkpoint() -> None:
    """A checkpoint of the benchmark server (its dirty buffers written out now)."""
    _admin("CHECKPOINT")
