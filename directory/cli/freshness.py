"""The daily freshness job (``smedir freshness run``, and a job of ``smedir scheduler``).

It mails the reminders that are due, then marks lapsed the listings past their date
(``directory/services/freshness.py`` decides; this module sends). Idempotent: a
reminder is recorded (committed) before it is sent, so a second run, a crash or a
second scheduler never mails it twice; a temporary mail failure removes the record
so that the next day's run tries again; a permanent one (the server refused the
address) marks the owner's address as bounced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import click
from flask import Flask, current_app, render_template
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from directory.db import new_session, transaction
from directory.mail import MailError, send_mail
from directory.models import FreshnessReminder, User
from directory.models.base import utcnow
from directory.services import freshness

LAPSE_BATCH = 200


@dataclass
class FreshnessReport:
    """What one run did."""

    reminded: int = 0
    bounced: int = 0
    failed: int = 0
    lapsed: int = 0

    def line(self) -> str:
        """One line for the log."""
        return (
            f"freshness: {self.reminded} reminders sent, {self.bounced} bounced, "
            f"{self.failed} to retry, {self.lapsed} listings lapsed"
        )


def run_freshness(app: Flask, *, now: datetime | None = None) -> FreshnessReport:
    """Send due reminders, then lapse overdue listings; safe to run any number of times."""
    from directory.context import get_engine, get_node

    now = now or utcnow()
    report = FreshnessReport()
    with app.app_context():
        cfg, node, engine = app.config["SMEDIR"], get_node(app), get_engine(app)
        months = cfg["quality"]["reconfirm_months"]
        with new_session(engine) as session:
            dues = freshness.due_reminders(session, node=node, months=months, now=now)
        for due in dues:
            _remind(app, engine, due, now, report)
        while True:  # in batches, so that writers never wait long for the database
            with transaction(engine) as session:
                done = freshness.lapse_due(
                    session, node=node, months=months, now=now, limit=LAPSE_BATCH
                )
            report.lapsed += len(done)
            if len(done) < LAPSE_BATCH:
                return report


def _remind(app: Flask, engine, due: freshness.Due, now: datetime, report) -> None:
    try:
        with transaction(engine) as session:
            row_id = freshness.reserve_reminder(session, due, now=now).id
    except IntegrityError:  # another run recorded it first
        return
    cfg = app.config["SMEDIR"]
    subject, body = compose_reminder(cfg, due)
    outcome = "sent"
    try:
        send_mail(cfg, due.owner.email, subject, body)
    except MailError as exc:
        app.logger.warning("reminder for listing %s not sent: %s", due.listing.id, exc)
        outcome = "bounced" if exc.bounced else "retry"
    with transaction(engine) as session:
        if outcome == "retry":
            session.execute(delete(FreshnessReminder).where(FreshnessReminder.id == row_id))
            report.failed += 1
            return
        session.get(FreshnessReminder, row_id).outcome = outcome
        if outcome == "bounced":
            freshness.mark_bounced(session, session.get(User, due.owner.id), now=now)
            report.bounced += 1
        else:
            report.reminded += 1


def reconfirm_link(cfg: dict, listing) -> str:
    """The one-click confirmation link of a reminder."""
    token = freshness.reconfirm_token(cfg["security"]["secret_key"], listing)
    base = cfg["node"]["base_url"].rstrip("/")
    return f"{base}/listings/{quote(listing.id, safe=':')}/reconfirm/{token}"


def compose_reminder(cfg: dict, due: freshness.Due) -> tuple[str, str]:
    """Subject and body of a reminder, in the owner's language."""
    doc_names = (due.listing.name_km, due.listing.name_en)
    name = next((n for n in doc_names if n), due.listing.id)
    with force_locale(due.owner.locale or "km"):
        if due.kind == freshness.EXPIRY:
            subject = _("Your listing is no longer marked as current: %(name)s", name=name)
        else:
            subject = _("Is your listing still current? %(name)s", name=name)
        body = render_template(
            "listings/reminder_mail.txt",
            name=name,
            kind=due.kind,
            due=due.due_at,
            since=due.period_start,
            link=reconfirm_link(cfg, due.listing),
            site=cfg["node"]["name"],
        )
    return subject, body


@click.group("freshness")
def freshness_group() -> None:
    """Reminders to confirm listings, and lapsed listings."""


@freshness_group.command("run")
@with_appcontext
def run_command() -> None:
    """Send the reminders that are due and mark overdue listings lapsed (run daily)."""
    click.echo(run_freshness(current_app._get_current_object()).line())
