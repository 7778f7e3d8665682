"""``smedir sync run PEER``, ``smedir sync status`` and ``smedir scheduler``."""

from __future__ import annotations

import os
import socket
import sys
from datetime import UTC

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from directory.db import new_session
from directory.models.sync import SyncCheckpoint, SyncRun
from directory.sync_store.leadership import leadership_for
from directory.sync_store.store import SqlSyncStore
from sync.errors import SyncError
from sync.peers import PULL, PUSH, PeerSpec, SyncSettings, find_peer, peers_from_config
from sync.runner import directions, run_peer
from sync.runs import RunReport


def _context() -> tuple[dict, SqlSyncStore, SyncSettings]:
    from directory.context import get_engine, get_node

    cfg = current_app.config["SMEDIR"]
    store = SqlSyncStore(get_engine(current_app), get_node(current_app))
    return cfg, store, SyncSettings.from_config(cfg["sync"])


# the guard's "held" (a run stopped for confirmation) and records sent to review: two words
OUTCOME_WORDS = {"held": "stopped for confirmation"}
COUNT_WORDS = {"held": "sent to review"}


def describe(report: RunReport) -> str:
    """One line: peer, direction, outcome, the non-zero counts, the error."""
    counts = ", ".join(
        f"{COUNT_WORDS.get(k, k)} {v}" for k, v in report.counts.as_dict().items() if v
    )
    outcome = OUTCOME_WORDS.get(str(report.outcome), str(report.outcome))
    line = f"{report.peer} {report.direction}: {outcome}"
    line += f" ({counts})" if counts else " (nothing to do)"
    return line + (f" - {report.error}" if report.error else "")


@click.group("sync")
def sync_group() -> None:
    """Exchange records with the peers in the config file."""


@sync_group.command("run")
@click.argument("peer_id")
@click.option("--full", is_flag=True, help="Read from the start, ignoring the checkpoint.")
@click.option("--direction", type=click.Choice([PULL, PUSH]), default=None)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@with_appcontext
def run_command(peer_id: str, full: bool, direction: str | None, quiet: bool) -> None:
    """Pull from and/or push to PEER_ID now; exit status 1 if a run failed."""
    from tqdm import tqdm

    cfg, store, settings = _context()
    try:
        peer = find_peer(cfg, peer_id)
        todo = directions(peer, direction)
    except SyncError as exc:
        raise click.UsageError(str(exc)) from None
    failed = False
    for step in todo:
        bar = tqdm(desc=f"{peer_id} {step}", unit=" records", disable=quiet, file=sys.stderr)

        def progress(counts, bar=bar):
            bar.update(counts.total - bar.n)

        try:
            report = run_peer(store, peer, settings, step, full=full, progress=progress)
        except SyncError as exc:
            bar.close()
            click.echo(f"{peer_id} {step}: {exc}", err=True)
            failed = True
            continue
        bar.close()
        click.echo(describe(report))
        failed |= not report.ok
    sys.exit(1 if failed else 0)


@sync_group.command("status")
@with_appcontext
def status_command() -> None:
    """A table of peers: checkpoint, last run, last success, last error."""
    cfg, store, _ = _context()
    rows = [("peer", "dir", "checkpoint", "last run", "outcome", "last success", "error")]
    with new_session(store.engine) as s:
        for peer in peers_from_config(cfg).values():
            for step in directions(peer):
                rows.append(_status_row(s, peer, step))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _status_row(s, peer: PeerSpec, step: str) -> tuple[str, ...]:
    cursor = s.get(SyncCheckpoint, (peer.id, step))
    last = s.execute(
        select(SyncRun)
        .where(SyncRun.peer == peer.id, SyncRun.direction == step)
        .order_by(SyncRun.id.desc())
        .limit(1)
    ).scalar()
    success = s.execute(
        select(func.max(SyncRun.finished_at)).where(
            SyncRun.peer == peer.id, SyncRun.direction == step, SyncRun.outcome == "success"
        )
    ).scalar()
    return (
        peer.id,
        step,
        (cursor.cursor or "-") if cursor else "-",
        _when(last.started_at) if last else "never",
        last.outcome if last else "-",
        _when(success) if success else "never",
        ((last.error or "")[:60]) if last else "",
    )


def _when(moment) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduler in this process: the peers' sync jobs and the daily freshness job
    (one leader per database; SIGTERM stops it)."""
    from sync.scheduler import Job, run_scheduler

    cfg, store, settings = _context()
    jobs = [
        Job(
            f"{step}:{peer.id}",
            peer.interval_seconds,
            _job(store, peer, settings, step),
            lambda peer=peer, step=step: store.last_started(peer.id, step),
        )
        for peer in peers_from_config(cfg).values()
        for step in directions(peer)
    ]
    jobs.append(_freshness_job(current_app._get_current_object()))
    jobs += enquiry_jobs(cfg)
    holder = f"{socket.gethostname()}:{os.getpid()}"
    leadership = leadership_for(store.engine, holder, settings.lease_seconds)

    last = [""]

    def on_state(state: str) -> None:
        if state != last[0]:  # "waiting" repeats on every poll: say it once
            last[0] = state
            click.echo(f"scheduler {holder}: {state}", err=True)

    click.echo(f"scheduler {holder}: {len(jobs)} jobs: {', '.join(j.id for j in jobs)}", err=True)
    run_scheduler(
        jobs,
        leadership,
        misfire_grace_seconds=settings.misfire_grace_seconds,
        renew_seconds=max(settings.lease_seconds / 3, 0.2),
        on_state=on_state,
    )


FRESHNESS_INTERVAL = 24 * 3600


def _freshness_job(app):
    """The daily freshness job: reminders and lapses (idempotent, so it also runs at start)."""
    from directory.cli.freshness import run_freshness
    from sync.scheduler import Job

    def run() -> None:
        click.echo(run_freshness(app).line(), err=True)

    return Job("freshness", FRESHNESS_INTERVAL, run)


def enquiry_jobs(cfg: dict) -> list:
    """Deliver enquiry messages to each peer every ``enquiries.send_seconds``; expire and purge
    hourly."""
    from directory.cli.enquiries import enquiry_peers, housekeeping, send_to
    from sync.scheduler import Job

    app = current_app._get_current_object()

    def in_app(func, *args):
        def run() -> None:
            with app.app_context():
                line = func(*args)[1] if args else func()
            if line:  # an idle delivery says nothing (it runs every send_seconds)
                click.echo(line, err=True)

        return run

    seconds = cfg["enquiries"]["send_seconds"]
    jobs = [Job(f"enquiries:{p.id}", seconds, in_app(send_to, p)) for p in enquiry_peers(cfg)]
    return [*jobs, Job("enquiries:housekeeping", 3600, in_app(housekeeping))]


def _job(store: SqlSyncStore, peer: PeerSpec, settings: SyncSettings, step: str):
    def run() -> None:
        report = run_peer(store, peer, settings, step)
        click.echo(describe(report), err=True)

    return run
