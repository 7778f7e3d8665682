"""Fault injection in the real database: a trigger that refuses one listing by name."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

POISON = "Poison Pill Trading"

_SQLITE = [
    f"""CREATE TRIGGER refuse_poison_insert BEFORE INSERT ON listings
        WHEN NEW.name_en = '{POISON}' BEGIN SELECT RAISE(ABORT, 'poison pill refused'); END""",
    f"""CREATE TRIGGER refuse_poison_update BEFORE UPDATE ON listings
        WHEN NEW.name_en = '{POISON}' BEGIN SELECT RAISE(ABORT, 'poison pill refused'); END""",
]
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS refuse_poison_insert",
    "DROP TRIGGER IF EXISTS refuse_poison_update",
]
_PG = [
    f"""CREATE FUNCTION refuse_poison() RETURNS trigger AS $$
        BEGIN
          IF NEW.name_en = '{POISON}' THEN RAISE EXCEPTION 'poison pill refused'; END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER refuse_poison BEFORE INSERT OR UPDATE ON listings
        FOR EACH ROW EXECUTE FUNCTION refuse_poison()""",
]
_PG_DROP = [
    "DROP TRIGGER IF EXISTS refuse_poison ON listings",
    "DROP FUNCTION IF EXISTS refuse_poison()",
]


@contextmanager
def database_refuses(engine: Engine) -> Iterator[str]:
    """While open, the database refuses to store a listing named POISON (yielded)."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        for sql in _SQLITE if sqlite else _PG:
            conn.execute(text(sql))
    try:
        yield POISON
    finally:
        with engine.begin() as conn:  # PostgreSQL test databases are reused: leave none behind
            for sql in _SQLITE_DROP if sqlite else _PG_DROP:
                conn.execute(text(sql))
