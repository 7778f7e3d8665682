"""Account services on both databases: sign-up, sign-in and its rate limit, password change
and reset tokens, user management and the audit log."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from directory.config import load_config
from directory.models import AuditEntry, LoginFailure, PasswordReset, Role, User
from directory.models.base import utcnow
from directory.node import Node
from directory.services import accounts, signups
from directory.services.audit import AuditFilters, list_audit, record_audit
from directory.services.errors import PermissionDenied
from directory.services.passwords import hash_password
from directory.services.users import change_role, list_users, set_active

POLICY = accounts.AccountPolicy(
    password_min_length=10,
    login_max_failures=3,
    login_max_failures_per_address=5,
    login_window_seconds=900,
    password_reset_minutes=30,
    # cheap Argon2 costs keep the suite fast; the defaults are checked below
    argon2_memory_kib=1024,
    argon2_time_cost=1,
    argon2_parallelism=1,
)
GOOD = "mango season 2026"
SECRET = "test-secret"


def signup(session, email="owner@example.com", password=GOOD):
    """A confirmed owner account (as sign-up plus the mailed link make it)."""
    user = accounts.create_user(session, email, password, POLICY)
    session.commit()
    return user


def test_signup_creates_an_unconfirmed_owner_with_an_argon2_hash(session):
    result = signups.sign_up(session, "  Owner@Example.COM ", GOOD, POLICY, "10.0.0.1", SECRET)
    user = result.user
    assert user.email == "owner@example.com" and user.email_confirmed_at is None
    assert user.role == Role.OWNER
    assert user.password_hash.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert GOOD not in user.password_hash
    with pytest.raises(accounts.EmailNotConfirmed):
        accounts.authenticate(session, user.email, GOOD, "10.0.0.1", POLICY)
    assert signups.confirm_email(session, result.token, SECRET, POLICY) == user
    assert accounts.authenticate(session, user.email, GOOD, "10.0.0.1", POLICY) == user


def test_default_policy_hashes_with_memory_hard_costs():
    policy = accounts.AccountPolicy.from_config(load_config(environ={})["security"])
    assert hash_password(GOOD, policy.hasher).startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_a_hash_made_with_old_costs_is_upgraded_at_sign_in(session):
    user = signup(session)
    stronger = dataclasses.replace(POLICY, argon2_time_cost=2)
    accounts.authenticate(session, user.email, GOOD, "10.0.0.1", stronger)
    session.commit()
    assert user.password_hash.startswith("$argon2id$v=19$m=1024,t=2,p=1$")
    assert accounts.authenticate(session, user.email, GOOD, "10.0.0.1", stronger) == user


@pytest.mark.parametrize(
    "email,password,field",
    [
        ("not-an-email", GOOD, "email"),
        ("a@example.com", "short1", "password"),
        ("a@example.com", "password123", "password"),  # in the common list
        ("a@example.com", "qwertyuiop", "password"),
        ("sokha.chan@example.com", "sokha.chan-rocks", "password"),  # contains the email
    ],
)
def test_signup_refuses_bad_input_naming_the_field(session, email, password, field):
    with pytest.raises(accounts.AccountError) as err:
        signups.sign_up(session, email, password, POLICY, "10.0.0.1", SECRET)
    assert err.value.field == field
    assert session.exec(select(User)).first() is None


def test_create_user_checks_the_country_scope(session):
    with pytest.raises(accounts.AccountError) as err:
        accounts.create_user(
            session, "fp@example.com", GOOD, POLICY, role="focal_point", country="XX"
        )
    assert err.value.field == "country"
    user = accounts.create_user(
        session, "fp@example.com", GOOD, POLICY, role="focal_point", country="th"
    )
    assert user.country == "TH"


def test_signup_with_a_taken_email_in_any_case_changes_nothing(session):
    user = signup(session)
    before = user.password_hash
    result = signups.sign_up(session, "OWNER@example.com", "other 2026 words", POLICY, "", SECRET)
    assert result.user == user and result.token is None  # the owner is told instead
    assert user.password_hash == before


def test_a_concurrent_signup_with_the_same_email_is_answered_as_taken(session, engine):
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite serializes write transactions (BEGIN IMMEDIATE): no race to lose")

    raced = []

    @event.listens_for(session, "before_flush")
    def other_worker_signs_up_first(flushing, *_args):
        if raced or not any(isinstance(row, User) for row in flushing.new):
            return  # the flush of the counted attempt, or the race already run
        raced.append(True)
        with engine.begin() as conn:
            conn.execute(User.__table__.insert().values(
                email="race@example.com", display_name="", role="owner", locale="km",
                active=True, auth_version=0, created_at=utcnow(), email_confirmed_at=utcnow(),
            ))  # fmt: skip

    result = signups.sign_up(session, "race@example.com", GOOD, POLICY, "10.0.0.1", SECRET)
    assert result.token is None and result.user.email == "race@example.com"
    session.commit()  # the session is still usable
    assert len(session.exec(select(User)).all()) == 1


def test_authenticate_accepts_the_right_password_and_clears_failures(session):
    user = signup(session)
    with pytest.raises(accounts.InvalidCredentials):
        accounts.authenticate(session, user.email, "wrong password", "10.0.0.1", POLICY)
    session.commit()
    assert accounts.authenticate(session, "Owner@Example.com", GOOD, "10.0.0.1", POLICY) == user
    session.commit()
    assert session.exec(select(LoginFailure).where(LoginFailure.email == user.email)).all() == []


def test_authenticate_refuses_unknown_and_deactivated_accounts_alike(session):
    user = signup(session)
    user.active = False
    session.add(user)
    session.commit()
    for email in (user.email, "nobody@example.com"):
        with pytest.raises(accounts.InvalidCredentials) as err:
            accounts.authenticate(session, email, GOOD, "10.0.0.1", POLICY)
        assert str(err.value.message) == "Email or password is wrong."


def test_failed_logins_are_limited_per_account(session):
    user = signup(session)
    for n in range(POLICY.login_max_failures):
        with pytest.raises(accounts.InvalidCredentials):
            accounts.authenticate(session, user.email, "wrong", f"10.0.0.{n}", POLICY)
        session.commit()
    # from yet another address, even the right password is refused now
    with pytest.raises(accounts.TooManyAttempts) as err:
        accounts.authenticate(session, user.email, GOOD, "10.9.9.9", POLICY)
    assert 0 < err.value.retry_after <= POLICY.login_window_seconds + 1


def test_failed_logins_are_limited_per_address(session):
    user = signup(session)
    for n in range(POLICY.login_max_failures_per_address):
        with pytest.raises(accounts.InvalidCredentials):
            accounts.authenticate(session, f"guess{n}@example.com", "wrong", "10.0.0.7", POLICY)
        session.commit()
    with pytest.raises(accounts.TooManyAttempts):
        accounts.authenticate(session, user.email, GOOD, "10.0.0.7", POLICY)
    assert accounts.authenticate(session, user.email, GOOD, "10.0.0.8", POLICY) == user


def test_failures_older_than_the_window_do_not_count(session):
    user = signup(session)
    old = utcnow() - timedelta(seconds=POLICY.login_window_seconds + 60)
    for _ in range(10):
        session.add(LoginFailure(email=user.email, address="10.0.0.1", created_at=old))
    session.commit()
    assert accounts.authenticate(session, user.email, GOOD, "10.0.0.1", POLICY) == user
    # a new failure sweeps expired rows of its account and address away
    session.add(LoginFailure(email="someone@example.com", address="10.0.0.2", created_at=old))
    session.add(LoginFailure(email=user.email, address="10.0.0.3", created_at=old))
    session.commit()
    with pytest.raises(accounts.InvalidCredentials):
        accounts.authenticate(session, user.email, "wrong", "10.0.0.2", POLICY)
    session.commit()
    assert [f.address for f in session.exec(select(LoginFailure))] == ["10.0.0.2"]


def test_change_password_checks_the_current_one_and_bumps_auth_version(session):
    user = signup(session)
    with pytest.raises(accounts.AccountError) as err:
        accounts.change_password(session, user, "not it", "another fine phrase", POLICY)
    assert err.value.field == "current_password"
    with pytest.raises(accounts.AccountError) as err:
        accounts.change_password(session, user, GOOD, "12345678910", POLICY)
    assert err.value.field == "password"
    version = user.auth_version
    accounts.change_password(session, user, GOOD, "another fine phrase", POLICY)
    session.commit()
    assert user.auth_version == version + 1
    with pytest.raises(accounts.InvalidCredentials):
        accounts.authenticate(session, user.email, GOOD, "10.0.0.1", POLICY)
    assert accounts.authenticate(session, user.email, "another fine phrase", "10.0.0.2", POLICY)


def test_guessing_the_current_password_is_rate_limited(session):
    user = signup(session)
    for _ in range(POLICY.login_max_failures):
        with pytest.raises(accounts.AccountError):
            accounts.change_password(session, user, "guess", "another fine phrase", POLICY)
        session.commit()
    with pytest.raises(accounts.TooManyAttempts):
        accounts.change_password(session, user, GOOD, "another fine phrase", POLICY)
    with pytest.raises(accounts.TooManyAttempts):
        accounts.authenticate(session, user.email, GOOD, "10.0.0.1", POLICY)


def test_reset_token_sets_a_new_password_once(session):
    user = signup(session)
    found = accounts.request_password_reset(session, "OWNER@example.com", SECRET, POLICY)
    session.commit()
    assert found is not None and found[0] == user
    token = found[1]
    version = user.auth_version
    accounts.reset_password(session, token, "a brand new phrase", SECRET, POLICY)
    session.commit()
    assert user.auth_version == version + 1
    assert accounts.authenticate(session, user.email, "a brand new phrase", "10.0.0.1", POLICY)
    with pytest.raises(accounts.AccountError) as err:
        accounts.reset_password(session, token, "yet another phrase", SECRET, POLICY)
    assert err.value.field == "token"


def test_reset_links_are_limited_per_hour(session):
    user = signup(session)
    for _ in range(POLICY.password_reset_per_hour):
        assert accounts.request_password_reset(session, user.email, SECRET, POLICY) is not None
    session.commit()
    assert accounts.request_password_reset(session, user.email, SECRET, POLICY) is None
    for row in session.exec(select(PasswordReset)):
        row.created_at = utcnow() - timedelta(hours=2)
        session.add(row)
    session.commit()
    assert accounts.request_password_reset(session, user.email, SECRET, POLICY) is not None


def test_reset_for_an_unknown_email_gives_nothing(session):
    assert accounts.request_password_reset(session, "ghost@example.com", SECRET, POLICY) is None
    assert session.exec(select(PasswordReset)).all() == []


def test_reset_token_refused_when_forged_expired_or_superseded(session):
    user = signup(session)
    _user, token = accounts.request_password_reset(session, user.email, SECRET, POLICY)
    session.commit()
    with pytest.raises(accounts.AccountError):  # signed with another key
        accounts.check_reset_token(session, token, "another-secret", POLICY)
    with pytest.raises(accounts.AccountError):  # tampered
        accounts.check_reset_token(session, token[:-2] + "xx", SECRET, POLICY)
    row = session.exec(select(PasswordReset)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    with pytest.raises(accounts.AccountError):
        accounts.check_reset_token(session, token, SECRET, POLICY)
    # a fresh link stops working once the password changes by another way
    _user, token2 = accounts.request_password_reset(session, user.email, SECRET, POLICY)
    session.commit()
    assert accounts.check_reset_token(session, token2, SECRET, POLICY)[0] == user
    accounts.change_password(session, user, GOOD, "changed by hand 42", POLICY)
    session.commit()
    with pytest.raises(accounts.AccountError):
        accounts.check_reset_token(session, token2, SECRET, POLICY)


def test_change_role_is_admin_only_audited_and_scoped(session, make_user):
    admin = make_user(Role.ADMIN)
    owner = make_user(Role.OWNER, email="sme@example.com")
    node = Node("kh", "KH")
    with pytest.raises(PermissionDenied):
        change_role(session, owner, owner, Role.ADMIN, None, "I want it", node=node)
    with pytest.raises(PermissionDenied):  # an admin cannot demote themselves
        change_role(session, admin, admin, Role.OWNER, None, "oops", node=node)
    with pytest.raises(accounts.AccountError) as err:
        change_role(session, admin, owner, Role.FOCAL_POINT, None, "  ", node=node)
    assert err.value.field == "reason"
    with pytest.raises(accounts.AccountError) as err:
        change_role(session, admin, owner, Role.FOCAL_POINT, "XX", "new reviewer", node=node)
    assert err.value.field == "country"
    change_role(session, admin, owner, Role.FOCAL_POINT, None, "new reviewer", node=node)
    session.commit()
    assert (owner.role, owner.country) == (Role.FOCAL_POINT, "KH")
    entry = session.exec(select(AuditEntry)).one()
    assert (entry.actor_id, entry.actor_email, entry.action) == (admin.id, admin.email, "user.role")
    assert entry.target == f"user:{owner.id}"
    assert '"reason": "new reviewer"' in entry.detail and '"role": "owner"' in entry.detail


def test_deactivating_ends_sessions_and_is_audited(session, make_user):
    admin = make_user(Role.ADMIN)
    owner = make_user(Role.OWNER)
    version = owner.auth_version
    set_active(session, admin, owner, False, "spam listings")
    session.commit()
    assert owner.active is False and owner.auth_version == version + 1
    actions = [e.action for e in session.exec(select(AuditEntry))]
    assert actions == ["user.deactivate"]


def test_list_users_filters_by_text_and_role(session, make_user):
    make_user(Role.ADMIN, email="boss@example.com")
    make_user(Role.OWNER, email="noodles@example.com")
    make_user(Role.OWNER, email="rice@example.com")
    rows, total = list_users(session, query="NOODLE")
    assert total == 1 and rows[0].email == "noodles@example.com"
    rows, total = list_users(session, role=Role.OWNER)
    assert total == 2 and [u.email for u in rows] == ["noodles@example.com", "rice@example.com"]


def test_audit_log_filters_by_actor_action_and_date(session, make_user):
    admin = make_user(Role.ADMIN, email="admin@example.com")
    reviewer = make_user(Role.FOCAL_POINT, email="fp@example.com", country="KH")
    record_audit(session, admin, "user.role", "user:9", {"reason": "promote"})
    record_audit(session, reviewer, "review.approve", "listing:kh-1", "looks right")
    old = record_audit(session, reviewer, "review.reject", "listing:kh-2", "duplicate")
    old.created_at = utcnow() - timedelta(days=10)
    session.add(old)
    record_audit(session, None, "user.create", "user:10")
    session.commit()

    def actions(**kw):
        rows, total = list_audit(session, AuditFilters(**kw))
        assert total == len(rows)
        return sorted(e.action for e in rows)

    assert actions() == ["review.approve", "review.reject", "user.create", "user.role"]
    assert actions(actor="FP@") == ["review.approve", "review.reject"]
    assert actions(action="review.") == ["review.approve", "review.reject"]
    assert actions(action="review.approve") == ["review.approve"]
    assert actions(target="listing:kh-1") == ["review.approve"]
    today = utcnow().date()
    assert actions(since=today - timedelta(days=1)) == [
        "review.approve",
        "user.create",
        "user.role",
    ]
    assert actions(until=today - timedelta(days=5)) == ["review.reject"]
    assert actions(since=date(2000, 1, 1), until=date(2000, 1, 2)) == []
