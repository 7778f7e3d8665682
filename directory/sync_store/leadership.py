"""Scheduler leadership: at most one ``smedir scheduler`` of a database runs sync jobs.

On SQLite a lease row (taken when free or expired, renewed while running); on
PostgreSQL a session-level advisory lock held on a dedicated connection.
``leadership_for(engine, ...)`` picks the right one.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, text, update

from directory.db import is_sqlite, transaction
from directory.models.base import as_utc, utcnow
from directory.models.sync import SchedulerLease


class SqliteLease:
    """Scheduler leadership on SQLite: a lease row, taken when free or expired, renewed."""

    def __init__(self, engine: Engine, holder: str, seconds: int, name: str = "sync-scheduler"):
        self.engine, self.holder, self.seconds, self.name = engine, holder, seconds, name

    def acquire(self) -> bool:
        """Take the lease if nobody holds a live one."""
        now = utcnow()
        expires = now + timedelta(seconds=self.seconds)
        with transaction(self.engine) as s:
            row = s.get(SchedulerLease, self.name)
            if row is None:
                s.add(SchedulerLease(name=self.name, holder=self.holder, expires_at=expires))
                return True
            if row.holder != self.holder and as_utc(row.expires_at) > now:
                return False
            row.holder, row.expires_at = self.holder, expires
            s.add(row)
            return True

    def renew(self) -> bool:
        """Extend the lease while we still hold it."""
        expires = utcnow() + timedelta(seconds=self.seconds)
        t = SchedulerLease.__table__
        with transaction(self.engine) as s:
            done = s.execute(
                update(t)
                .where(t.c.name == self.name, t.c.holder == self.holder)
                .values(expires_at=expires)
            ).rowcount
        return done == 1

    def release(self) -> None:
        """Drop the lease if it is ours."""
        t = SchedulerLease.__table__
        with transaction(self.engine) as s:
            s.execute(t.delete().where(t.c.name == self.name, t.c.holder == self.holder))


class PgAdvisoryLock:
    """Scheduler leadership on PostgreSQL: a session-level advisory lock on its own connection.

    The lock lives as long as the connection: if the process dies, PostgreSQL
    drops it and a waiting scheduler takes over on its next try.
    """

    KEY = 0x5D_53_59_4E  # "SMDSYN"-ish; any constant shared by every scheduler of a database

    def __init__(self, engine: Engine):
        self.engine = engine
        self.conn = None

    def acquire(self) -> bool:
        """Try the lock on a fresh dedicated connection."""
        self.release()
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.KEY}).scalar()
        if got:
            self.conn = conn
        else:
            conn.close()
        return bool(got)

    def renew(self) -> bool:
        """The lock holds while our connection is alive and still owns it."""
        if self.conn is None:
            return False
        try:
            return bool(
                self.conn.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                        " AND pid = pg_backend_pid() AND objid = :k AND granted"
                    ),
                    {"k": self.KEY},
                ).scalar()
            )
        except Exception:
            self.conn = None
            return False

    def release(self) -> None:
        """Unlock and close the dedicated connection."""
        if self.conn is None:
            return
        try:
            self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.KEY})
        except Exception:  # the connection is gone: so is the lock
            pass
        finally:
            self.conn.close()
            self.conn = None


def leadership_for(engine: Engine, holder: str, lease_seconds: int):
    """The right Leadership for the engine's database."""
    if is_sqlite(engine):
        return SqliteLease(engine, holder, lease_seconds)
    return PgAdvisoryLock(engine)
