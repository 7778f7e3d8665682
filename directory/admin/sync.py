"""Admin pages for sync: peer health, run history with a chart, quarantine, held runs."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from directory.context import db_session, get_engine, get_node
from directory.models import Role
from directory.sync_store.status import (
    held_share,
    open_push_rejections,
    open_quarantine,
    peer_health,
    pending_held_runs,
    quarantine_errors,
    receipt_errors,
    recent_runs,
)
from directory.sync_store.store import SqlSyncStore
from directory.web import labels
from directory.web.access import current_actor, require_role
from directory.web.runs_chart import runs_chart
from sync.adapters import make_adapter
from sync.errors import SyncError
from sync.peers import PeerSpec, SyncSettings, peers_from_config
from sync.pull import confirm_held, discard_held, retry_quarantined
from sync.runner import directions, run_peer

bp = Blueprint("admin_sync", __name__, url_prefix="/admin")
REVIEWERS = (Role.FOCAL_POINT, Role.ADMIN)


def _peers() -> dict[str, PeerSpec]:
    return peers_from_config(current_app.config["SMEDIR"])


def _peer(peer_id: str) -> PeerSpec:
    peer = _peers().get(peer_id)
    if peer is None:
        abort(404)
    return peer


def _settings() -> SyncSettings:
    return SyncSettings.from_config(current_app.config["SMEDIR"]["sync"])


def _store() -> SqlSyncStore:
    """The sync store. It writes in transactions of its own, so the request's (write)
    transaction ends first: on SQLite it holds the write lock until it ends."""
    db_session().commit()
    return SqlSyncStore(get_engine(current_app), get_node(current_app))


@bp.get("/peers")
@require_role(Role.ADMIN)
def peers():
    """Each peer's health: last success, lag, last error, open quarantine, held runs."""
    rows = peer_health(db_session(), list(_peers().values()))
    return render_template("sync/peers.html", rows=rows)


@bp.post("/peers/<peer_id>/run")
@require_role(Role.ADMIN)
def run_now(peer_id: str):
    """Run the peer's enabled directions now (in this request)."""
    peer = _peer(peer_id)
    for direction in directions(peer):
        try:
            report = run_peer(_store(), peer, _settings(), direction)
        except SyncError as exc:
            flash(_run_message(peer_id, direction, "failed", str(exc)), "error")
            continue
        category = "ok" if report.ok else "error"
        flash(_run_message(peer_id, direction, report.outcome, report.error), category)
    return redirect(url_for(".peers"))


def _run_message(peer_id: str, direction: str, outcome: str, error: str | None) -> str:
    """A run's result for the flash line: peer, direction and outcome in words, then why."""
    text = _(
        "%(peer)s, %(direction)s: %(outcome)s",
        peer=peer_id,
        direction=labels.direction_label(direction),
        outcome=labels.run_outcome_label(outcome),
    )
    return f"{text} {labels.sync_error_label(error)}" if error else text


def _sync_refusal(exc: SyncError) -> str:
    """Why a sync action was refused, in words (the engine's text is for the logs)."""
    current_app.logger.info("sync action refused: %s", exc)
    return _("This sync action is not possible now: %(why)s", why=labels.sync_error_label(str(exc)))


@bp.get("/runs")
@require_role(Role.ADMIN)
def runs():
    """Run history, newest first, with a chart of records per run."""
    history = recent_runs(db_session(), limit=200)
    return render_template("sync/runs.html", runs=history, chart=runs_chart(history[:60]))


@bp.get("/quarantine")
@require_role(*REVIEWERS)
def quarantine():
    """Records a pull refused (errors, raw payload) and records peers refused on push."""
    session = db_session()
    rows = [(row, quarantine_errors(row)) for row in open_quarantine(session)]
    refused = [(row, receipt_errors(row)) for row in open_push_rejections(session)]
    return render_template("sync/quarantine.html", rows=rows, refused=refused)


@bp.post("/quarantine/<id:entry_id>/retry")
@require_role(*REVIEWERS)
def retry(entry_id: str):
    """Check a quarantined record again (after a mapping or schema fix) and apply it if valid."""
    store = _store()
    try:
        peer_id, _raw = store.quarantined_item(entry_id)
        peer = _peer(peer_id)
        adapter = make_adapter(peer, _settings())
        try:
            ok, issues = retry_quarantined(store, peer, adapter, entry_id)
        finally:
            adapter.close()
    except SyncError as exc:
        flash(_sync_refusal(exc), "error")
        return redirect(url_for(".quarantine"))
    if ok:
        flash(_("The record passed and was applied."), "ok")
    else:
        flash(_("Still invalid: %(n)d problem(s).", n=len(issues)), "error")
    return redirect(url_for(".quarantine"))


@bp.get("/held")
@require_role(*REVIEWERS)
def held():
    """Pulls the tombstone guard stopped, waiting for a decision."""
    session = db_session()
    rows = [(row, *held_share(session, row)) for row in pending_held_runs(session)]
    return render_template("sync/held.html", rows=rows)


@bp.post("/held/<id:held_id>/<any(confirm, discard):decision>")
@require_role(*REVIEWERS)
def decide(held_id: int, decision: str):
    """Confirm (apply exactly the held pages) or discard a held run."""
    store = _store()
    actor = current_actor()
    try:
        held_run = store.held_run(held_id)
        if decision == "discard":
            discard_held(store, held_id, actor.email)
            flash(_("Discarded; the next pull reads those changes again."), "ok")
        else:
            report = confirm_held(store, _peer(held_run.peer), _settings(), held_id, actor.email)
            if report.error:
                flash(_run_message(held_run.peer, "pull", report.outcome, report.error), "error")
            else:
                flash(_("Applied."), "ok")
    except SyncError as exc:
        flash(_sync_refusal(exc), "error")
    return redirect(url_for(".held"))
