"""User management by admins: list, change role and country scope, deactivate; all audited."""

from __future__ import annotations

from sqlmodel import Session, func, or_, select

from directory import permissions
from directory.models import Role, User
from directory.node import Node
from directory.services.accounts import AccountError, sign_out_everywhere
from directory.services.audit import record_audit
from directory.services.errors import NotFound, PermissionDenied
from schemas import load_countries


def list_users(
    session: Session, query: str = "", role: str = "", page: int = 1, per_page: int = 50
) -> tuple[list[User], int]:
    """Users whose email or name contains ``query``, optionally of one role; and the total."""
    stmt = select(User)
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(
            or_(func.lower(User.email).like(like), func.lower(User.display_name).like(like))
        )
    if role:
        stmt = stmt.where(User.role == role)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(
        stmt.order_by(User.email).offset((max(page, 1) - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total


def get_user(session: Session, user_id: int) -> User:
    """The user with this id, or NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user-not-found", id=user_id)
    return user


def change_role(
    session: Session,
    actor: User | None,
    user: User,
    role: str,
    country: str | None,
    reason: str,
    *,
    node: Node,
    operator: bool = False,
) -> User:
    """Set a user's role and country scope (a focal point defaults to this node's country).

    ``operator=True`` is the shell (``smedir users set-role``): whoever runs it owns
    the server, so no permission check applies; the audit entry has no actor.
    """
    if not operator and not permissions.can_manage_user(actor, user):
        raise PermissionDenied("role-change-admin-only")
    if role not in tuple(Role):
        raise AccountError("role-unknown", field="role")
    country = (country or "").strip().upper() or None
    if role == Role.FOCAL_POINT and country is None:
        country = node.country
    if country is not None and country not in load_countries():
        raise AccountError("country-unknown", field="country")
    _require_reason(reason)
    before = {"role": user.role, "country": user.country}
    user.role, user.country = role, country
    session.add(user)
    session.flush()
    record_audit(
        session,
        actor,
        "user.role",
        f"user:{user.id}",
        {
            "email": user.email,
            "from": before,
            "to": {"role": role, "country": country},
            "reason": reason.strip(),
        },
    )
    return user


def set_active(session: Session, actor: User | None, user: User, active: bool, reason: str) -> User:
    """Deactivate (sessions end, sign-in refused) or reactivate a user."""
    if not permissions.can_manage_user(actor, user):
        raise PermissionDenied("deactivate-admin-only")
    _require_reason(reason)
    if user.active != active:
        user.active = active
        if not active:
            sign_out_everywhere(session, user)
        session.add(user)
        session.flush()
        action = "user.activate" if active else "user.deactivate"
        record_audit(
            session, actor, action, f"user:{user.id}", {"email": user.email, "reason": reason}
        )
    return user


def _require_reason(reason: str) -> None:
    if not (reason or "").strip():
        raise AccountError("audit-reason-required", field="reason")
