"""Consent over real HTTP: a record never shared with a peer leaves no trace in that peer's
database, not even its id; a peer some version was shared with gets the tombstone."""

from __future__ import annotations

import orjson
from sqlalchemy import select
from sqlmodel import SQLModel

from directory.db import new_session
from directory.records import business_data
from tests.sync import local
from tests.sync.network import build_network, sync_round


def traces(engine, record_id: str) -> list[str]:
    """Every row, in every table, whose text mentions ``record_id``."""
    found = []
    with new_session(engine) as s:
        for table in SQLModel.metadata.sorted_tables:
            for row in s.execute(select(table)).all():
                if record_id in repr(tuple(row)):
                    found.append(f"{table.name}: {tuple(row)!r:.120}")
    return found


def owner_data(member, record_id: str) -> dict:
    """The owner's data of one of ``member``'s published records."""
    [record] = [r for r in member.own_records() if r.id == record_id]
    return business_data(orjson.loads(record.document))


def test_a_record_never_shared_with_a_peer_leaves_no_trace_there(
    db_url, db_factory, app_factory, live_server, monkeypatch
):
    net = build_network(db_url, db_factory, app_factory, live_server, monkeypatch)
    kh = net["kh"]
    user = local.owner(kh.engine, "owner@kh.example")
    publish = lambda n, **sharing: local.publish(  # noqa: E731
        kh.engine, kh.node, user, local.draft(n, **sharing)
    )
    private = publish(1, peers=["la"])  # shared with la only, never with asean or th
    withdrawn = publish(2)  # public page only, then withdrawn
    unshared = publish(3, hub=True)  # reaches the hub and th, then consent ends
    kept = publish(4, hub=True)
    sync_round(net)
    assert set(net["th"].live_foreign()) == {unshared, kept}

    local.withdraw(kh.engine, kh.node, user, withdrawn)
    data = owner_data(kh, unshared)
    data["sharing"] = {**data["sharing"], "hub": False}
    local.edit(kh.engine, kh.node, user, unshared, data)
    edited = owner_data(kh, private)
    edited["names"] = {**edited["names"], "en": "Still private"}
    local.edit(kh.engine, kh.node, user, private, edited)
    reports = sync_round(net)
    assert reports[0].counts.deleted == 1  # the hub learns that consent ended for `unshared`
    assert reports[3].counts.deleted == 1  # and relays the tombstone to th, who held it

    for name in ("asean", "th"):
        assert traces(net[name].engine, private) == [], name
        assert traces(net[name].engine, withdrawn) == [], name
        assert set(net[name].live_foreign()) >= {kept} and unshared not in net[name].live_foreign()
    assert traces(net["th"].engine, unshared)  # th held it once: it keeps the tombstone
