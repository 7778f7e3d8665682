"""``smedir enquiries send [PEER]`` and ``smedir enquiries housekeeping``."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from directory.db import transaction
from sync.enquiries import deliver_enquiries
from sync.errors import SyncError
from sync.peers import PeerSpec, SyncSettings, peers_from_config


def enquiry_peers(cfg: dict) -> list[PeerSpec]:
    """The peers enquiry messages can go to: those spoken to with our own protocol."""
    return [p for p in peers_from_config(cfg).values() if p.protocol == "feed"]


def send_to(peer: PeerSpec, *, quiet: bool = True) -> tuple[bool, str]:
    """Deliver what waits for ``peer`` now: whether it worked, and one line saying what it did
    (empty when ``quiet`` and nothing waited)."""
    from directory.context import get_engine, get_node
    from directory.sync_store.enquiries import SqlEnquiryOutbox

    cfg = current_app.config["SMEDIR"]
    outbox = SqlEnquiryOutbox(get_engine(current_app), get_node(current_app))
    try:
        token = peer.token()
    except SyncError as exc:
        return False, f"{peer.id} enquiries: {exc}"
    report = deliver_enquiries(outbox, peer, SyncSettings.from_config(cfg["sync"]), token)
    idle = report.ok and not (report.accepted or report.duplicate or report.rejected)
    return report.ok, "" if quiet and idle else str(report)


def housekeeping() -> str:
    """Expire open enquiries, purge old ones and spent counters, mail saved searches' new
    matches; one line of counts."""
    from directory.context import get_engine
    from directory.services.enquiries import EnquiryPolicy, expire_enquiries, purge_enquiries
    from directory.web.enquiry_mails import mail_saved_searches

    policy = EnquiryPolicy.from_config(current_app.config["SMEDIR"]["enquiries"])
    with transaction(get_engine(current_app)) as session:
        expired = expire_enquiries(session, policy)
        purged = purge_enquiries(session, policy)
    with transaction(get_engine(current_app)) as session, current_app.test_request_context():
        mailed = mail_saved_searches(session)
    return f"enquiries: {expired} expired, {purged} purged; {mailed} saved-search mails"


@click.group("enquiries")
def enquiries_group() -> None:
    """Buyer enquiries: deliver waiting messages, expire and purge."""


@enquiries_group.command("send")
@click.argument("peer_id", required=False)
@with_appcontext
def send_command(peer_id: str | None) -> None:
    """Push waiting enquiry messages to PEER_ID (default: every peer); exit 1 on a failure."""
    peers = enquiry_peers(current_app.config["SMEDIR"])
    if peer_id is not None:
        peers = [p for p in peers if p.id == peer_id]
        if not peers:
            raise click.UsageError(f"unknown peer {peer_id!r} (or not protocol 'feed')")
    results = [send_to(peer, quiet=False) for peer in peers]
    for _ok, line in results:
        click.echo(line)
    sys.exit(0 if all(ok for ok, _line in results) else 1)


@enquiries_group.command("housekeeping")
@with_appcontext
def housekeeping_command() -> None:
    """Expire enquiries past expire_days, purge those past keep_days, mail saved searches."""
    click.echo(housekeeping())
