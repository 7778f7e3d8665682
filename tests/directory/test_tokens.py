"""Peer tokens: shown once, stored hashed, scoped, revocable, admins only."""

from __future__ import annotations

import pytest

from directory.models import PeerToken, Role
from directory.services.errors import InvalidTransition, NotFound, PermissionDenied
from directory.services.tokens import (
    authenticate_peer_token,
    create_peer_token,
    hash_token,
    list_peer_tokens,
    revoke_peer_token,
)


def test_created_token_is_stored_hashed_and_authenticates(session, make_user):
    admin = make_user(Role.ADMIN)
    token, plaintext = create_peer_token(session, admin, "th", ["changes:push", "feed:read"], "TH")
    session.commit()
    stored = session.get(PeerToken, token.id)
    assert plaintext not in (stored.token_hash, stored.prefix, stored.name)
    assert stored.token_hash == hash_token(plaintext)
    assert stored.scope_list == ["feed:read", "changes:push"]
    assert plaintext.startswith(stored.prefix) and stored.created_by == admin.id
    assert authenticate_peer_token(session, plaintext).id == token.id
    altered = plaintext[:-1] + ("B" if plaintext.endswith("A") else "A")
    assert authenticate_peer_token(session, altered) is None
    assert authenticate_peer_token(session, stored.token_hash) is None
    assert authenticate_peer_token(session, "") is None


def test_two_tokens_differ(session):
    _, a = create_peer_token(session, None, "th", ["feed:read"])
    _, b = create_peer_token(session, None, "th", ["feed:read"])
    assert a != b and len(a) > 40


def test_revoked_token_fails_and_revoking_twice_is_harmless(session):
    token, plaintext = create_peer_token(session, None, "th", ["oai:read"])
    session.commit()
    revoke_peer_token(session, None, token.id)
    first = token.revoked_at
    revoke_peer_token(session, None, token.id)
    session.commit()
    assert authenticate_peer_token(session, plaintext) is None
    assert session.get(PeerToken, token.id).revoked_at == first
    with pytest.raises(NotFound):
        revoke_peer_token(session, None, 999)
    assert [t.id for t in list_peer_tokens(session, include_revoked=False)] == []
    assert [t.id for t in list_peer_tokens(session)] == [token.id]


@pytest.mark.parametrize("role", [Role.OWNER, Role.FOCAL_POINT])
def test_only_admins_manage_tokens(session, make_user, role):
    user = make_user(role)
    with pytest.raises(PermissionDenied):
        create_peer_token(session, user, "th", ["feed:read"])
    token, _ = create_peer_token(session, None, "th", ["feed:read"])
    with pytest.raises(PermissionDenied):
        revoke_peer_token(session, user, token.id)


def test_bad_peer_or_scope_is_refused(session):
    cases = [
        ("TH", ["feed:read"], None),
        ("th", ["feed:write"], None),
        ("th", [], None),
        ("sg", ["feed:read"], ["th", "la"]),
    ]
    for peer, scopes, known in cases:
        with pytest.raises(InvalidTransition):
            create_peer_token(session, None, peer, scopes, known_peers=known)
