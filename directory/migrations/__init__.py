"""Create or evolve the database schema through Alembic (never create_all); the revisions
are in ``versions/``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at our migrations and this engine's URL."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade_database(engine: Engine) -> None:
    """Bring the database to the newest revision of every migration branch."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")


@cache
def script_heads() -> frozenset[str]:
    """The head revisions of our migration scripts, read once per process.

    The scripts ship with the code and do not change while it runs; building
    Alembic's script directory parses every one of them, too slow for each /healthz.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return frozenset(ScriptDirectory.from_config(cfg).get_heads())


def pending_migrations(engine: Engine) -> list[str]:
    """Revision ids not yet applied (empty when the schema is current); reads the database."""
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return sorted(script_heads() - current)
