"""Fill a demo node once: its database, demo accounts, peer tokens and sample SMEs.

Cambodia gets 300 generated SMEs: most published, about twenty waiting for its
focal point (among them a likely duplicate and a bad phone number), and an SME
owner with a published listing, one in review and a draft. Thailand gets its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from directory.db import make_engine, transaction
from directory.demo.nodes import DemoNode, DemoState, peers_of
from directory.migrations import upgrade_database
from directory.models import Role
from directory.node import Node
from directory.sampledata import generate_records, problem_records
from directory.services.accounts import AccountPolicy, create_user
from directory.services.bulk import import_records, system_admin
from directory.services.claims import submit_claim
from directory.services.listings import create_draft, submit_for_review
from directory.services.reviews import approve_revision
from directory.services.tokens import create_peer_token

SEED = 1
PENDING = 18  # imported records that wait for review, besides the two problem records
OWNER_LISTINGS = 3  # published, in review, draft


@dataclass(frozen=True)
class Account:
    """A demo sign-in, printed at start-up."""

    node: str
    role: str
    label: str
    email: str
    password: str


def demo_accounts(node: DemoNode) -> list[Account]:
    """The accounts of a node: an admin everywhere; a focal point and an owner on nations."""
    roles = [(Role.ADMIN, "admin", "admin")]
    if node.role == "national":
        roles.append((Role.FOCAL_POINT, "focal point", "focal"))
    if node.id == "kh":
        roles.append((Role.OWNER, "SME owner", "owner"))
    return [
        Account(node.id, role, label, f"{short}.{node.id}@example.org", f"demo-{node.id}-{short}")
        for role, label, short in roles
    ]


def seed_node(config: dict[str, Any], node: DemoNode, nodes, state: DemoState) -> None:
    """Migrate the node's database; add accounts and data once, and any missing peer token."""
    engine = make_engine(config["database"]["url"])
    try:
        upgrade_database(engine)
        with transaction(engine) as session:
            if not state.is_seeded(node.id):
                _seed(session, config, node)
            for peer in peers_of(node, nodes):
                if state.token(node.id, peer.id) is None:
                    _issue_token(session, node, peer, state)
        state.mark_seeded(node.id)
    finally:
        engine.dispose()


def _seed(session, config: dict[str, Any], node: DemoNode) -> None:
    policy = AccountPolicy.from_config(config["security"])
    users = {a.role: _create(session, a, policy, node) for a in demo_accounts(node)}
    if node.records:
        _load_records(session, Node.from_config(config), node, users)


def _create(session, account: Account, policy: AccountPolicy, node: DemoNode):
    user = create_user(
        session,
        account.email,
        account.password,
        policy,
        role=account.role,
        country=node.country if account.role == Role.FOCAL_POINT else None,
        display_name=f"Demo {account.label} ({node.id})",
        locale="en",
        confirmed=True,  # demo accounts sign in at once, no mailed link
    )
    session.flush()
    return user


def _issue_token(session, node: DemoNode, peer: DemoNode, state: DemoState) -> None:
    """This node gives ``peer`` a token to read its feed and harvest OAI-PMH."""
    _token, plaintext = create_peer_token(
        session, None, peer.id, ["feed:read", "oai:read", "enquiries:push"], "smedir demo"
    )
    state.set_token(node.id, peer.id, plaintext)


def sample_split(node: DemoNode, with_owner: bool) -> tuple[list, list, list]:
    """A node's sample records: (published, waiting for review, the owner's three).

    The two problem records (a likely duplicate of a published one, a bad phone
    number) are the last two of those waiting.
    """
    owner_share = OWNER_LISTINGS if with_owner else 0
    records = generate_records(node.records, node.country, SEED)
    published = node.records - PENDING - owner_share
    waiting = records[published : published + PENDING] + problem_records(records[:published])
    return records[:published], waiting, records[published + PENDING :]


def _load_records(session, here: Node, node: DemoNode, users: dict) -> None:
    published, waiting, owned = sample_split(node, Role.OWNER in users)
    admin = system_admin()
    imported = import_records(session, admin, published, node=here)
    import_records(session, admin, waiting, node=here, review=True)
    if owned:
        _owner_listings(session, here, users, owned)
        # the owner says one imported listing is theirs: a claim waits for the focal point
        note = "My family runs this business."
        submit_claim(session, users[Role.OWNER], imported[0].id, role="owner", note=note, node=here)


def _owner_listings(session, here: Node, users: dict, docs: list[dict]) -> None:
    owner, focal = users[Role.OWNER], users[Role.FOCAL_POINT]
    live, in_review, _draft = (create_draft(session, owner, doc, node=here) for doc in docs)
    revision = submit_for_review(session, owner, live.id, node=here)
    approve_revision(session, focal, revision.id, node=here)
    submit_for_review(session, owner, in_review.id, node=here)  # the third stays a draft
