"""Alembic environment: runs on the connection handed in by directory.migrations."""

from alembic import context
from sqlmodel import SQLModel

import directory.models  # noqa: F401  (registers the tables)
from directory.search.index import include_in_comparison

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    """Run migrations on the connection passed in config.attributes, or on the URL."""
    connection = config.attributes.get("connection")
    if connection is None:
        from directory.db import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as conn:
            _run(conn)
        engine.dispose()
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_in_comparison,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
