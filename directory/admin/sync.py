"""Admin pages for sync: peer health, run history with a chart, quarantine, held runs."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from directory.context import db_session, get_engine, get_node
from directory.models import Role
from directory.models.sync import SyncRun
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
from directory.web.access import current_actor, require_role
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
            flash(f"{peer_id} {direction}: {exc}", "error")
            continue
        category = "ok" if report.ok else "error"
        flash(f"{peer_id} {direction}: {report.outcome} {report.error}".strip(), category)
    return redirect(url_for(".peers"))


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
        flash(str(exc), "error")
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
            flash(f"{report.outcome}: {report.error}" if report.error else _("Applied."), "ok")
    except SyncError as exc:
        flash(str(exc), "error")
    return redirect(url_for(".held"))


COLORS = {"changed": "#2e7d32", "deleted": "#757575", "rejected": "#c62828"}


def runs_chart(history: list[SyncRun], width: int = 640, height: int = 140) -> Markup:
    """An inline SVG bar chart, oldest run left: records changed, deleted, rejected per run."""
    history = list(reversed(history))
    if not history:
        return Markup("")
    totals = [r.created + r.updated + r.deleted + r.rejected for r in history]
    top = max(max(totals), 1)
    step = min(width / len(history), 24.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="runs-chart" role="img"'
        f' viewBox="0 0 {width} {height + 16}" width="100%">'
        f"<title>{escape(_('Records per run'))}</title>"
    ]
    for i, run in enumerate(history):
        x, y = i * step, float(height)
        for key, value in (
            ("changed", run.created + run.updated),
            ("deleted", run.deleted),
            ("rejected", run.rejected),
        ):
            h = value / top * (height - 4)
            if h:
                y -= h
                parts.append(
                    f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}"'
                    f' height="{h:.1f}" fill="{COLORS[key]}"><title>#{run.id} {run.peer}'
                    f" {run.direction}: {key} {value}</title></rect>"
                )
        if run.outcome != "success":
            parts.append(
                f'<circle cx="{x + step / 2:.1f}" cy="{height + 8}" r="3" fill="#c62828">'
                f"<title>#{run.id} {escape(run.outcome)}</title></circle>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
