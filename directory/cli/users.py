"""``smedir users``: create the first admin, list users, change a role from the shell."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from directory.db import transaction
from directory.models import Role


def _engine_and_policy():
    from directory.context import get_engine
    from directory.services.accounts import AccountPolicy

    cfg = current_app.config["SMEDIR"]
    return get_engine(current_app), AccountPolicy.from_config(cfg["security"])


@click.group("users")
def users_command() -> None:
    """Manage user accounts."""


@users_command.command("create")
@with_appcontext
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.OWNER.value)
@click.option("--country", default=None, help="Country a focal point reviews (ISO alpha-2).")
@click.option("--name", "display_name", default="")
@click.option("--password", default=None, help="The password (visible in shell history).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_command(
    email: str,
    role: str,
    country: str | None,
    display_name: str,
    password: str | None,
    password_stdin: bool,
) -> None:
    """Create a user, e.g. the first admin: ``smedir users create --role admin ...``."""
    from directory.services.accounts import AccountError, create_user
    from directory.services.audit import record_audit

    if password_stdin and password is not None:
        raise click.UsageError("give at most one of --password and --password-stdin")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif password is None:
        if not sys.stdin.isatty():
            raise click.UsageError("no terminal to ask for the password: use --password-stdin")
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if role == Role.FOCAL_POINT and not country:
        from directory.context import get_node

        country = get_node(current_app).country
    engine, policy = _engine_and_policy()
    try:
        with force_locale("en"), transaction(engine) as session:
            user = create_user(
                session,
                email,
                password,
                policy,
                role=role,
                country=country,
                display_name=display_name,
            )
            record_audit(
                session,
                None,
                "user.create",
                f"user:{user.id}",
                {"email": user.email, "role": role, "country": user.country, "via": "cli"},
            )
    except AccountError as exc:
        raise click.ClickException(f"--{exc.field.replace('_', '-')}: {exc.english}") from None
    click.echo(f"created user {user.id} <{user.email}> with role {user.role}")


@users_command.command("list")
@with_appcontext
@click.option("--role", type=click.Choice([r.value for r in Role]), default=None)
def list_command(role: str | None) -> None:
    """Print id, email, role, country and status of every user (tab-separated)."""
    from directory.db import new_session
    from directory.services.users import list_users

    engine, _policy = _engine_and_policy()
    with new_session(engine) as session:
        rows, _total = list_users(session, role=role or "", per_page=1_000_000)
    for user in rows:
        status = "active" if user.active else "deactivated"
        click.echo(f"{user.id}\t{user.email}\t{user.role}\t{user.country or '-'}\t{status}")


@users_command.command("set-role")
@with_appcontext
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--country", default=None, help="Country a focal point reviews (ISO alpha-2).")
@click.option("--reason", required=True, help="Why (kept in the audit log).")
def set_role_command(email: str, role: str, country: str | None, reason: str) -> None:
    """Change a user's role from the shell (audited with no actor: the operator)."""
    from directory.context import get_node
    from directory.services.accounts import AccountError, find_user
    from directory.services.users import change_role

    engine, _policy = _engine_and_policy()
    try:
        with force_locale("en"), transaction(engine) as session:
            user = find_user(session, email)
            if user is None:
                raise click.ClickException(f"--email: no user with email {email!r}")
            change_role(
                session,
                None,
                user,
                role,
                country,
                reason,
                node=get_node(current_app),
                operator=True,
            )
    except AccountError as exc:
        raise click.ClickException(f"--{exc.field}: {exc.english}") from None
    click.echo(f"user {user.id} <{user.email}> is now {user.role} ({user.country or '-'})")


@users_command.command("bounced")
@with_appcontext
@click.option("--email", required=True)
@click.option("--clear", is_flag=True, help="The address works again: remove the mark.")
def bounced_command(email: str, clear: bool) -> None:
    """Mark that mail to a user's address bounced (a delivery report came back), or clear it."""
    from directory.services.accounts import find_user
    from directory.services.audit import record_audit
    from directory.services.freshness import mark_bounced

    engine, _policy = _engine_and_policy()
    with transaction(engine) as session:
        user = find_user(session, email)
        if user is None:
            raise click.ClickException(f"--email: no user with email {email!r}")
        if clear:
            user.mail_bounced_at = None
            session.add(user)
        else:
            mark_bounced(session, user)
        action = "user.mail_ok" if clear else "user.mail_bounced"
        record_audit(session, None, action, f"user:{user.id}", {"via": "cli"})
    click.echo(f"user {user.id} <{user.email}>: mail {'works' if clear else 'bounced'}")
