"""The scheduler process: one APScheduler job per peer and direction, one leader per database.

Only the leader runs jobs. Leadership is a small Protocol the store side
implements (a PostgreSQL advisory lock held on a dedicated connection, or a
lease row on SQLite renewed every third of its lifetime). A second scheduler
waits, polling, and takes over when the first dies or stops; a leader that can
no longer confirm its leadership stops its jobs at once and goes back to waiting.
SIGTERM and SIGINT shut down cleanly: running jobs finish, the lock is released.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger("smedir.scheduler")


class Leadership(Protocol):
    """Who may run jobs for a database."""

    def acquire(self) -> bool:
        """Try (without blocking) to become the leader; True on success."""
        ...

    def renew(self) -> bool:
        """Confirm leadership (extend a lease); False if it was lost."""
        ...

    def release(self) -> None:
        """Give leadership up (idempotent)."""
        ...


@dataclass(frozen=True)
class Job:
    """A fixed-id job (``pull:<peer>`` / ``push:<peer>``) run every ``interval_seconds``.

    ``last_started`` reads when the job last ran (from the run history), so a
    scheduler that starts or takes over keeps the interval instead of running at once.
    """

    id: str
    interval_seconds: int
    func: Callable[[], object]
    last_started: Callable[[], datetime | None] = lambda: None

    def first_run(self, now: datetime) -> datetime:
        """Now, or one interval after the last run if that is later."""
        last = self.last_started()
        if last is None:
            return now
        last = last if last.tzinfo else last.replace(tzinfo=UTC)
        return max(now, last + timedelta(seconds=self.interval_seconds))


def build_scheduler(jobs: list[Job], misfire_grace_seconds: int) -> BackgroundScheduler:
    """A scheduler with coalescing, one instance per job, an explicit misfire grace time."""
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": misfire_grace_seconds,
        },
    )
    now = datetime.now(UTC)
    for job in jobs:
        scheduler.add_job(
            _guarded(job),
            IntervalTrigger(seconds=job.interval_seconds, timezone=UTC),
            id=job.id,
            name=job.id,
            replace_existing=True,
            next_run_time=job.first_run(now),
        )
    return scheduler


def _guarded(job: Job) -> Callable[[], None]:
    def run() -> None:
        try:
            job.func()
        except Exception:  # a job failure must not kill the scheduler; the run is recorded
            log.exception("job %s failed", job.id)

    return run


def run_scheduler(
    jobs: list[Job],
    leadership: Leadership,
    *,
    misfire_grace_seconds: int,
    renew_seconds: float,
    stop: threading.Event | None = None,
    on_state: Callable[[str], None] = lambda state: None,
) -> None:
    """Wait for leadership, run the jobs while leading, until ``stop`` (or SIGTERM/SIGINT)."""
    stop = stop or threading.Event()
    _install_signal_handlers(stop)
    try:
        while not stop.is_set():
            if not leadership.acquire():
                on_state("waiting")
                stop.wait(renew_seconds)
                continue
            on_state("leading")
            scheduler = build_scheduler(jobs, misfire_grace_seconds)
            scheduler.start()
            try:
                while not stop.wait(renew_seconds):
                    if not leadership.renew():
                        on_state("lost leadership")
                        break
            finally:
                scheduler.shutdown(wait=True)
    finally:
        leadership.release()
        on_state("stopped")


def _install_signal_handlers(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
