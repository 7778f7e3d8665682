"""``smedir peers token create|list|revoke``: manage the tokens peers present to this node."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from directory.db import new_session, transaction
from directory.models.exchange import SCOPES
from directory.params import MAX_ID
from directory.services.errors import InvalidTransition, NotFound
from directory.services.tokens import create_peer_token, list_peer_tokens, revoke_peer_token


def _engine():
    from directory.context import get_engine

    return get_engine(current_app)


@click.group("peers")
def peers_command() -> None:
    """Peer nodes: the tokens they use to read the feed, push changes and harvest OAI-PMH."""


@peers_command.group("token")
def token_group() -> None:
    """Create, list and revoke peer tokens."""


@token_group.command("create")
@with_appcontext
@click.argument("peer")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(SCOPES),
    help="Repeat for several scopes.",
)
@click.option("--name", default="", help="A label to tell tokens apart.")
def create_command(peer: str, scopes: tuple[str, ...], name: str) -> None:
    """Create a token for a configured PEER; prints it once (it is stored hashed)."""
    known = [p["id"] for p in current_app.config["SMEDIR"]["peers"]]
    try:
        with transaction(_engine()) as session:
            token, plaintext = create_peer_token(
                session, None, peer, list(scopes), name, known_peers=known
            )
            token_id = token.id
    except InvalidTransition as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(plaintext)
    click.echo(
        f"token {token_id} for {peer} ({', '.join(scopes)}): store it now, it is not shown again",
        err=True,
    )


@token_group.command("list")
@with_appcontext
@click.option("--all", "show_all", is_flag=True, help="Include revoked tokens.")
def list_command(show_all: bool) -> None:
    """One line per token: id, peer, scopes, status, last use, name."""
    with new_session(_engine()) as session:
        tokens = list_peer_tokens(session, include_revoked=show_all)
    for t in tokens:
        used = t.last_used_at.strftime("%Y-%m-%dT%H:%M:%SZ") if t.last_used_at else "never"
        status = "active" if t.active else "revoked"
        click.echo(f"{t.id}\t{t.peer_id}\t{','.join(t.scope_list)}\t{status}\t{used}\t{t.name}")


@token_group.command("revoke")
@with_appcontext
@click.argument("token_id", type=click.IntRange(1, MAX_ID))
def revoke_command(token_id: int) -> None:
    """Revoke token TOKEN_ID; it stops working with the next request."""
    try:
        with transaction(_engine()) as session:
            revoke_peer_token(session, None, token_id)
    except NotFound as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"token {token_id} revoked")
