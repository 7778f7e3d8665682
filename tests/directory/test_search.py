"""Ranked full-text search on both databases: Khmer and English words, ranking, facets, paging."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import text

from directory.services.changes import apply_remote_changes
from directory.services.search import (
    COUNT_CAP,
    SearchFilters,
    count_facets,
    search_listings,
)
from tests.directory.search_data import make_doc, publish, random_docs

KHMER = {
    "rice": "ក្រុមហ៊ុនស្រូវអង្ករបាត់ដំបង",  # company / paddy / rice / Battambang
    "coffee": "ហាងកាហ្វេមណ្ឌលគិរី",  # shop / coffee / Mondulkiri
    "pepper": "កសិដ្ឋានម្រេចកំពត",  # farm / pepper / Kampot
    "crab": "ភោជនីយដ្ឋានក្តាមកែប",  # restaurant / crab / Kep
}


def ids(session, q="", **kw) -> list[str]:
    page = search_listings(session, SearchFilters(q=q, **kw), per_page=100)
    return [hit.id for hit in page.items]


@pytest.fixture
def khmer(session):
    docs = [make_doc(key, km=km) for key, km in KHMER.items()]
    docs.append(
        make_doc("spices", km="ហាងលក់គ្រឿងទេស", descriptions={"km": "យើងលក់ម្រេចខ្មៅ"})
    )  # a spice shop that sells black pepper (in its description only)
    publish(session, docs)
    return session


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ស", ["th:rice"]),  # ស្រូវ begins with it; កសិដ្ឋាន only contains it
        ("ហ", ["th:coffee", "th:spices"]),  # ហាង; ក្រុមហ៊ុន only contains it
        ("កា", ["th:coffee"]),  # កាហ្វេ
        ("កែ", ["th:crab"]),  # កែប
        ("ម្រេច", ["th:pepper", "th:spices"]),  # the name before the description
        ("ក្តាមកែប", ["th:crab"]),  # two words typed together
    ],
)
def test_khmer_queries_find_words_that_begin_with_them_ranked(khmer, query, expected):
    found = ids(khmer, query)
    assert sorted(found) == sorted(expected)
    assert found[0] == expected[0]


def test_english_is_case_insensitive_with_prefixes(session):
    publish(session, [make_doc("a", en="Kampot Pepper Farm"), make_doc("b", en="Rice Mill")])
    for query in ("pepper", "PEPPER", "pEpPeR", "pep", "Kampot pep"):
        assert ids(session, query) == ["th:a"], query
    assert ids(session, "PEPPER rice") == []


def test_a_name_match_outranks_a_description_or_product_match(session):
    cashew = make_doc(
        "cashew",
        en="Cashew Farm",
        descriptions={"en": "Cashew, and pepper pepper pepper from our pepper garden."},
        products=[{"name": "Pepper", "hs_code": "090411"}],
    )
    kampot = make_doc(
        "kampot",
        en="Kampot Pepper Farm",
        descriptions={
            "en": "A family farm in Kampot growing fruit, rice and vegetables for years."
        },
    )
    publish(session, [cashew, kampot])
    assert ids(session, "pepper") == ["th:kampot", "th:cashew"]
    assert ids(session, "090411") == ["th:cashew"]  # HS codes are searchable too
    # terms found partly in the names, partly in the rest: every term, in either part
    assert ids(session, "farm pepper") == ["th:kampot", "th:cashew"]
    assert ids(session, "cashew garden") == ["th:cashew"]
    assert ids(session, "garden 090411") == ["th:cashew"]
    assert ids(session, "kampot garden") == []


def test_a_term_in_the_name_ranks_above_the_same_terms_only_in_the_description(session):
    """Within the band of listings that hold every term, but not all in their names, one
    with a term in its name ranks first (on PostgreSQL, the names' vector weighs in)."""
    # the one to rank first comes first neither by id nor as the newest (the ties' orders)
    named = make_doc("b", en="Pepper Trading", descriptions={"en": "Grown in our garden"})
    publish(session, [named])
    publish(
        session,
        [
            make_doc("a", en="Spice Trading", descriptions={"en": "Pepper from our garden"}),
            make_doc("c", en="Garden Tools", descriptions={"en": "Rakes and hoes"}),
        ],
    )
    assert ids(session, "pepper garden") == ["th:b", "th:a"]
    assert ids(session, "garden pepper") == ["th:b", "th:a"]


def test_substrings_of_names_rank_after_words(session):
    publish(
        session,
        [
            make_doc("w", en="Pepperhouse Trading"),
            make_doc("p", en="Green Pepper Co"),
            make_doc("d", en="Kep Crab", descriptions={"en": "Epper is our cook"}),
        ],
    )
    assert ids(session, "pepper") == ["th:p", "th:w"]  # word, then prefix (same word start)
    found = ids(session, "epper")  # a word of d's description, inside p's and w's names
    assert found[0] == "th:d" and sorted(found[1:]) == ["th:p", "th:w"]
    assert ids(session, "house") == ["th:w"]


HOSTILE = [
    "x" * 5000,
    "!!! ??? ... ;;; ---",
    '"',
    '"unbalanced',
    "pepper*",
    "*",
    "NEAR(pepper rice, 2)",
    "pepper AND OR NOT rice",
    "pepper OR 1=1",
    "'; DROP TABLE listings; --",
    "a:b col:pepper {name_en}: ^x",
    "\\ \\\\ % _ %%",
    "ក" * 3000,
    "\x00\x01\ufeff",
    "😀 🌶️",
    "' & | ! <-> :* ()",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_are_just_text(session, query):
    publish(session, [make_doc("a", en="Kampot Pepper Farm")])
    page = search_listings(session, SearchFilters(q=query), facets=True)
    assert page.total in (0, 1)
    session.execute(text("SELECT 1 FROM listings"))  # still there


def test_facet_counts_equal_a_brute_force_count(session):
    docs = random_docs(150)
    publish(session, docs)
    public = [d for d in docs if d["sharing"]["public"]]
    for filters, keep in (
        (SearchFilters(), lambda d: True),
        (SearchFilters(q="rice"), lambda d: _mentions(d, "rice")),
        (SearchFilters(province="KH-2"), lambda d: d["address"]["province"] == "KH-2"),
        (SearchFilters(q="pepper", section="C"), lambda d: _mentions(d, "pepper") and _in_c(d)),
        (SearchFilters(market="JP"), lambda d: "JP" in d.get("export_markets", [])),
        (SearchFilters(hs_code="0904"), lambda d: d["products"][0]["hs_code"] == "090411"),
        (SearchFilters(women_owned=True, size_class="small"), _women_small),
    ):
        page = search_listings(session, filters, facets=True)
        expected = [d for d in public if keep(d)]
        assert page.total == len(expected) and not page.capped
        assert page.facets == brute_force_facets(expected), filters


def _mentions(doc, word) -> bool:
    words = f"{doc['names']['en']} {doc['descriptions']['en']} {doc['products'][0]['name']}"
    return word in words.lower().split()


def _in_c(doc) -> bool:
    return any("10" <= s[:2] <= "33" for s in doc["sectors"])


def _women_small(doc) -> bool:
    return doc["women_owned"] is True and doc["size_class"] == "small"


def brute_force_facets(docs) -> dict:
    from directory.services.changes import isic_sections

    sections = isic_sections()
    counts = {name: Counter() for name in count_facets([])}
    for d in docs:
        counts["province"][d["address"]["province"]] += 1
        counts["country"][d["address"]["country"]] += 1
        counts["size_class"][d["size_class"]] += 1
        counts["section"].update({sections[s] for s in d["sectors"]})
        counts["division"].update({s[:2] for s in d["sectors"]})
        counts["market"].update(d.get("export_markets", []))
        counts["women"]["true"] += d["women_owned"] is True
        counts["youth"]["true"] += d["youth_owned"] is True
    return {
        name: sorted(((k, v) for k, v in c.items() if v), key=lambda kv: (-kv[1], kv[0]))
        for name, c in counts.items()
    }


@pytest.mark.parametrize("sort", ["relevance", "name", "newest"])
@pytest.mark.parametrize("q", ["", "rice"])
def test_keyset_pages_walk_every_result_once_in_order(session, sort, q):
    publish(session, random_docs(60))
    filters = SearchFilters(q=q, sort=sort)
    everything = search_listings(session, filters, per_page=100).items
    walked, cursor = [], None
    while True:
        page = search_listings(session, filters, per_page=7, after=cursor)
        walked += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [h.id for h in walked] == [h.id for h in everything]
    assert len(everything) == len({h.id for h in everything}) > 7


@pytest.mark.parametrize("page_size", [7, 10])
def test_relevance_bands_too_large_to_rank_are_paged_in_index_order(
    session, monkeypatch, page_size
):
    import directory.services.search as search

    monkeypatch.setattr(search, "RANK_MAX", 5)  # every band of "rice" is read unranked
    docs = random_docs(60)
    publish(session, docs)
    filters = SearchFilters(q="rice")
    everything = [h.id for h in search_listings(session, filters, per_page=100).items]
    in_names = {d["id"] for d in docs if "rice" in d["names"]["en"].lower().split()}
    public = {d["id"] for d in docs if d["sharing"]["public"]}
    assert len(in_names & public) > 5  # more than RANK_MAX: the cheap order is used
    assert set(everything[: len(in_names & public)]) == in_names & public  # names first
    walked, cursor = [], None
    while True:
        page = search_listings(session, filters, per_page=page_size, after=cursor)
        walked += [h.id for h in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert walked == everything and len(set(walked)) == len(walked)
    third = search_listings(session, filters, page=3, per_page=page_size).items
    assert [h.id for h in third] == everything[2 * page_size : 3 * page_size]


def test_page_numbers_skip_whole_bands_once_counted(engine):
    from directory.db import new_session

    with new_session(engine, write=True) as write:
        publish(write, random_docs(60))
    filters = SearchFilters(q="rice")
    with new_session(engine) as read:
        everything = [h.id for h in search_listings(read, filters, per_page=100).items]
    assert len(everything) > 20
    for _ in range(2):  # the second time the names band is skipped by its cached row count
        with new_session(engine) as read:
            page = search_listings(read, filters, page=4, per_page=5).items
        assert [h.id for h in page] == everything[15:20]


def test_page_numbers_in_a_band_read_in_index_order_seek_from_anchors(engine, monkeypatch):
    from sqlalchemy import event

    import directory.services.search as search
    from directory.db import new_session

    monkeypatch.setattr(search, "RANK_MAX", 5)  # the bands of "rice" are read unranked
    monkeypatch.setattr(search, "ANCHOR_EVERY", 3)
    with new_session(engine, write=True) as write:
        publish(write, random_docs(80))
    filters = SearchFilters(q="rice")
    with new_session(engine) as read:
        everything = [h.id for h in search_listings(read, filters, per_page=100).items]
    assert len(everything) > 25
    seeks = []

    @event.listens_for(engine, "before_execute")
    def seen(conn, clause, multiparams, params, options):
        bound = multiparams[0] if multiparams and isinstance(multiparams[0], dict) else params
        seeks.append("after_rid" in (bound or {}))

    for number in (5, 2, 6, 3, 1, 7, 4, 5):  # the first leaves anchors, later ones use them
        with new_session(engine) as read:
            page = search_listings(read, filters, page=number, per_page=4).items
        assert [h.id for h in page] == everything[(number - 1) * 4 : number * 4], number
    assert any(seeks)


def test_substrings_inside_words_are_looked_up_only_when_words_find_few(session):
    from directory.search.queries import SUBSTRING_BELOW

    publish(session, [make_doc("g", en="Greenpepper Trading"), make_doc("p", en="Pepper One")])
    assert ids(session, "pepper") == ["th:p", "th:g"]  # a word, then a substring
    more = [make_doc(f"p{i}", en=f"Pepper {i}") for i in range(SUBSTRING_BELOW)]
    publish(session, more)
    found = search_listings(session, SearchFilters(q="pepper"), per_page=100)
    assert found.total == SUBSTRING_BELOW + 1 and "th:g" not in [h.id for h in found.items]
    assert ids(session, "greenpep") == ["th:g"]


def test_cached_counts_follow_every_change(engine, monkeypatch):
    from sqlalchemy import event

    from directory.db import new_session
    from directory.models import Listing
    from directory.services.listings import tombstone_listing

    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    def search(q="pepper", **kw):
        statements.clear()
        with new_session(engine) as read:  # a read session, as a web request uses
            return search_listings(read, SearchFilters(q=q, **kw), facets=True)

    with new_session(engine, write=True) as write:
        publish(write, [make_doc("a", en="Kampot Pepper Farm", address={"province": "KH-7"})])
    first = search()
    assert first.total == 1 and any("l.isic_sections" in s for s in statements)
    again = search()  # nothing changed: the counts come from the cache
    assert again.facets == first.facets and not any("l.isic_sections" in s for s in statements)
    with new_session(engine, write=True) as write:
        publish(write, [make_doc("b", en="Pepper Mill", address={"province": "KH-12"})])
    assert search().total == 2
    assert dict(search().facets["province"]) == {"KH-7": 1, "KH-12": 1}
    assert search(q="", province="KH-12").total == 1
    with new_session(engine, write=True) as write:
        tombstone_listing(write, write.get(Listing, "th:a"), reason="closed")
        write.commit()
    assert search().total == 1 and dict(search().facets["province"]) == {"KH-12": 1}
    assert search(q="kampot").total == 0


def test_registration_number_lookup(session):
    publish(session, [make_doc("a", en="Alpha", number="00034-127"), make_doc("b", en="Beta")])
    assert ids(session, registration="0003 4127") == ["th:a"]
    assert ids(session, registration="nope") == []


def test_the_index_follows_updates_and_withdrawals(session, node):
    doc = make_doc("a", en="Kampot Pepper Farm")
    apply_remote_changes(session, [doc], node=node, source_peer="th")
    session.commit()
    assert ids(session, "pepper") == ["th:a"]
    renamed = {**doc, "version": 2, "names": {"en": "Battambang Rice Mill"}}
    apply_remote_changes(session, [renamed], node=node, source_peer="th")
    session.commit()
    assert ids(session, "pepper") == [] and ids(session, "battambang") == ["th:a"]
    assert ids(session, "attamb") == ["th:a"]  # the substring index followed too
    tomb = {"id": "th:a", "origin": "th", "version": 3, "deleted": True, "reason": "withdrawn"}
    tomb["updated_at"] = doc["updated_at"]
    apply_remote_changes(session, [tomb], node=node, source_peer="th")
    session.commit()
    assert ids(session, "battambang") == []
    if session.get_bind().dialect.name == "sqlite":
        for table in ("listings_fts", "listings_trgm"):
            session.execute(text(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')"))


def test_the_index_follows_a_batch_of_inserts_and_updates(session, node):
    """A pull's page is written in a few multi-row statements: every row keeps its own words."""
    names = ["Kampot Pepper Farm", "Kep Crab House", "Siem Reap Silk", "Takeo Honey"]
    docs = [make_doc(f"b{i}", en=name) for i, name in enumerate(names)]
    apply_remote_changes(session, docs[:3], node=node, source_peer="th")
    session.commit()
    assert [ids(session, w) for w in ("pepper", "crab", "silk")] == [
        ["th:b0"],
        ["th:b1"],
        ["th:b2"],
    ]
    renamed = [
        {**docs[0], "version": 2, "names": {"en": "Mondulkiri Coffee"}},
        {**docs[2], "version": 2, "names": {"en": "Kratie Rice Mill"}},
    ]
    apply_remote_changes(session, [docs[3], *renamed], node=node, source_peer="th")
    session.commit()
    assert ids(session, "pepper") == [] and ids(session, "silk") == []
    assert [ids(session, w) for w in ("coffee", "crab", "kratie", "honey")] == [
        ["th:b0"], ["th:b1"], ["th:b2"], ["th:b3"]
    ]  # fmt: skip
    assert ids(session, "ulkir") == ["th:b0"]  # the substring index followed too
    if session.get_bind().dialect.name == "sqlite":
        for table in ("listings_fts", "listings_trgm"):
            session.execute(text(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')"))


def test_counts_are_capped(session, monkeypatch):
    import directory.services.search as search

    monkeypatch.setattr(search, "COUNT_CAP", 20)
    publish(session, random_docs(40))
    page = search_listings(session, SearchFilters(), facets=True)
    assert page.capped and page.total == 20
    assert sum(n for _, n in page.facets["size_class"]) == 20
    assert COUNT_CAP == 10_000


def test_the_migration_indexes_listings_published_before_it(db_factory):
    from alembic import command

    from directory.db import make_engine
    from directory.migrations import alembic_config, upgrade_database
    from directory.records import canonical_json

    engine = make_engine(db_factory())
    with engine.begin() as conn:  # back to the schema before search (a fresh copy)
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
        doc = make_doc("old", en="Kampot Pepper Farm", km=KHMER["pepper"])
        conn.exec_driver_sql(
            "INSERT INTO listings (id, origin, state, version, document, created_at, "
            "share_public, share_hub, province) "
            "VALUES (?, 'th', 'published', 1, ?, '2026-01-01', ?, ?, 'KH-7')".replace(
                "?", "?" if conn.dialect.paramstyle == "qmark" else "%s"
            ),
            ("th:old", canonical_json(doc), True, False),
        )
    upgrade_database(engine)
    from directory.db import new_session

    with new_session(engine) as session:
        assert ids(session, "pepper") == ["th:old"]
        assert ids(session, "ម្រេ") == ["th:old"]
        assert ids(session, registration="old") == ["th:old"]
    engine.dispose()


def test_the_first_page_after_a_change_reuses_the_band_sizes_but_reads_fresh_rows(engine):
    """Stale counts carry the bands' sizes over (they only choose ranking or index order);
    an empty band's only while none of the records changed since is a hit of it."""
    from sqlalchemy import event

    from directory.db import new_session
    from directory.search.queries import relevance_tiers
    from directory.services.search import RANK_MAX, query_terms, settle_recounts

    statements = []
    event.listen(engine, "before_execute", lambda conn, clause, *a: statements.append(str(clause)))
    tiers = relevance_tiers(engine.dialect.name, query_terms("pepper"), False, RANK_MAX + 1)
    names_band, rest_band = (tier.size_sql for tier in tiers[:2])

    def search():
        statements.clear()
        with new_session(engine) as read:
            page = search_listings(read, SearchFilters(q="pepper"), facets=True, stale_after_ms=0)
            in_request = statements[:]  # the recount has not started yet: it waits for go
            if page.recount_go is not None:
                page.recount_go.set()
            settle_recounts(read)
        return page, in_request

    def publish_one(doc):
        with new_session(engine, write=True) as write:
            publish(write, [doc])

    publish_one(make_doc("d", en="Spice Shop", descriptions={"en": "pepper and salt"}))
    first, counted = search()  # counts now; the names band is empty, the other has one hit
    assert [h.id for h in first.items] == ["th:d"] and not first.counts_updating
    publish_one(make_doc("r", en="Rice Mill"))  # no hit: the empty band stays empty unread
    stale, counted = search()
    assert stale.counts_updating and [h.id for h in stale.items] == ["th:d"]
    assert names_band not in counted and rest_band not in counted
    publish_one(make_doc("a", en="Kampot Pepper Farm"))
    stale, counted = search()
    assert stale.counts_updating and stale.total == 1  # the old total, marked
    assert [h.id for h in stale.items] == ["th:a", "th:d"]  # fresh rows, the name first
    assert names_band in counted  # the empty band was counted again
    assert rest_band not in counted  # the other one's size was the earlier data's
    fresh, _ = search()
    assert fresh.total == 2 and not fresh.counts_updating


def test_page_numbers_are_exact_on_the_first_page_after_a_change(engine):
    from sqlalchemy import event

    from directory.db import new_session
    from directory.search.queries import relevance_tiers
    from directory.services.changes import write_listings
    from directory.services.search import RANK_MAX, query_terms, settle_recounts

    docs = random_docs(60)
    with new_session(engine, write=True) as write:
        publish(write, docs)
    filters = SearchFilters(q="rice")

    tiers = relevance_tiers(engine.dialect.name, query_terms("rice"), False, RANK_MAX + 1)
    statements, in_request = [], []
    event.listen(engine, "before_execute", lambda conn, clause, *a: statements.append(str(clause)))

    def page(number: int, per_page: int = 5):
        statements.clear()
        with new_session(engine) as read:
            found = search_listings(read, filters, page=number, per_page=per_page,
                                    facets=True, stale_after_ms=0)  # fmt: skip
            in_request[:] = statements  # the recount has not started yet: it waits for go
            if found.recount_go is not None:
                found.recount_go.set()
            settle_recounts(read)
        return found

    for number in (1, 3, 5):  # counts, band sizes and band rows of the data so far
        page(number)
    renamed = next(d for d in docs if "rice" in d["names"]["en"].lower().split())
    hidden = next(d for d in docs if d is not renamed and "rice" in d["names"]["en"].lower())
    changes = [[make_doc(f"n{i}", en=f"Rice Mill {i}") for i in range(3)]]  # more name hits
    changes += [[make_doc(f"x{n}", en=f"Shop {n}")] for n in range(3)]  # changes with no hit
    changes += [[{**renamed, "version": 2, "names": {"en": "Silk Shop"}}]]  # leaves the names
    changes += [[{**hidden, "version": 2, "sharing": {**hidden["sharing"], "public": False}}]]
    for number, batch in zip((5, 2, 4, 6, 3, 4), changes, strict=True):
        page(number)  # this data's band rows, as a visitor's pages would leave them
        with new_session(engine, write=True) as write:
            old = [d for d in batch if d["version"] > 1]
            write_listings(write, [d for d in batch if d not in old], old, source_peer="th")
            write.commit()
        found = page(number)  # the first request for it after the change
        assert found.counts_updating
        with new_session(engine) as read:
            everything = [h.id for h in search_listings(read, filters, per_page=200).items]
        assert [h.id for h in found.items] == everything[(number - 1) * 5 : number * 5], number
        # the names band's rows were brought up to date through the changed records, not
        # read again whole (a probe of the changed ids, or the ranked page's LIMIT)
        band = [sql for sql in in_request if tiers[0].match_sql in sql]
        assert band and all("POSTCOMPILE" in sql or "LIMIT" in sql for sql in band), band
    assert {"th:n0", "th:n1", "th:n2"} <= set(everything[:25])
    assert renamed["id"] in everything and hidden["id"] not in everything


def test_page_numbers_after_a_change_seek_from_anchors_moved_to_this_data(engine, monkeypatch):
    """A band read in index order keeps anchors; after a change the first page moves them
    by the rows of the blocks that changed, counted again, and seeks from them."""
    from sqlalchemy import event

    import directory.services.search as search
    from directory.db import new_session
    from directory.services.changes import write_listings
    from directory.services.search import settle_recounts

    monkeypatch.setattr(search, "RANK_MAX", 5)  # the bands of "rice" are read unranked
    monkeypatch.setattr(search, "ANCHOR_EVERY", 3)
    docs = random_docs(90)
    with new_session(engine, write=True) as write:
        publish(write, docs)
    filters = SearchFilters(q="rice")
    limits = []

    @event.listens_for(engine, "before_execute")
    def seen(conn, clause, multiparams, params, options):
        bound = multiparams[0] if multiparams and isinstance(multiparams[0], dict) else params
        if bound and "limit" in bound and "after_key" not in bound:
            limits.append(bound["limit"])

    def page(number: int, per_page: int = 4):
        limits.clear()
        with new_session(engine) as read:
            found = search_listings(read, filters, page=number, per_page=per_page,
                                    facets=True, stale_after_ms=0)  # fmt: skip
            found.limits = limits[:]  # the recount has not started yet: it waits for go
            if found.recount_go is not None:
                found.recount_go.set()
            settle_recounts(read)
        return found

    def rice(doc):
        return "rice" in doc["names"]["en"].lower().split()

    in_names = [d for d in docs if rice(d) and d["sharing"]["public"]]
    rest = [d for d in docs if not rice(d) and "rice" in d["descriptions"]["en"].split()]
    changes = [
        [make_doc("n0", en="Rice Mill New")],  # a new name hit
        [make_doc("n1", en="Silk Shop", descriptions={"en": "rice"})],  # a new other hit
        [{**in_names[2], "version": 2, "names": {"en": "Silk Shop"}}],  # leaves the names
        [{**rest[3], "version": 2, "names": {"en": "Rice Barn"}}],  # moves up a band
        [{**in_names[5], "version": 2, "sharing": {**in_names[5]["sharing"], "public": False}}],
        [make_doc("n2", en="Crab Shop")],  # no hit
        [{**d, "version": 3} for d in docs[:12]],  # many records at once, unchanged
    ]
    for number, batch in zip((9, 11, 7, 10, 8, 6, 11), changes, strict=True):
        page(number + 2)  # anchors up to past the page, on this data
        with new_session(engine, write=True) as write:
            old = [d for d in batch if d["version"] > 1]
            write_listings(write, [d for d in batch if d not in old], old, source_peer="th")
            write.commit()
        found = page(number)
        assert found.counts_updating
        with new_session(engine) as read:
            everything = [h.id for h in search_listings(read, filters, per_page=200).items]
        assert [h.id for h in found.items] == everything[(number - 1) * 4 : number * 4], number
        # read from an anchor shortly before the page in every band, not from its start
        # (a block the change moved may hold a row or two more than ANCHOR_EVERY)
        assert found.limits and max(found.limits) <= 4 + 2 * 3 + 1, found.limits


def test_a_listing_published_by_review_is_found_inside_its_name_words(
    session, make_user, draft_data, node
):
    """The reviewed path writes one listing through the ORM: its name words reach the
    substring index too (on PostgreSQL the vocabulary's triggers, on SQLite FTS5's)."""
    from directory.models import Role
    from directory.services import listings as svc
    from directory.services import reviews

    owner, reviewer = make_user(Role.OWNER), make_user(Role.FOCAL_POINT, country="KH")
    data = {**draft_data, "names": {"en": "Greenpepperhouse Trading"}}
    listing = svc.create_draft(session, owner, data, node=node)
    revision = svc.submit_for_review(session, owner, listing.id, node=node)
    reviews.approve_revision(session, reviewer, revision.id, node=node)
    session.commit()
    assert ids(session, "pepperh") == [listing.id]
    assert ids(session, "greenpepperhouse") == [listing.id]


def test_an_overlong_word_is_left_out_of_the_index(session):
    from directory.search.tokens import MAX_WORD

    long_word = "é" * 1100  # 2,200 bytes: PostgreSQL refuses such a lexeme in a cast
    doc = make_doc("a", en="Kampot Pepper Farm", descriptions={"km": f"{long_word} ម្រេច"})
    publish(session, [doc])
    assert ids(session, "ម្រេច") == ["th:a"] and ids(session, "pepper") == ["th:a"]
    assert ids(session, "é" * MAX_WORD) == []
    fits = make_doc("b", en="Kep Crab", descriptions={"en": "x" * MAX_WORD})
    publish(session, [fits])
    assert ids(session, "x" * MAX_WORD) == ["th:b"]


def insert_stored_listing(conn, doc: dict, names: str | None, text_words: str | None) -> None:
    """A published listing as an earlier schema stored it, with these word columns."""
    from directory.records import canonical_json

    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(
        "INSERT INTO listings (id, origin, state, version, document, created_at, "
        "share_public, share_hub, province, search_names, search_text) VALUES "
        f"({mark}, 'th', 'published', 1, {mark}, '2026-01-01', {mark}, {mark}, 'KH-7', "
        f"{mark}, {mark})",
        (doc["id"], canonical_json(doc), True, False, names, text_words),
    )


def test_migration_0016_keeps_every_listing_findable(db_factory, node):
    """From the first design (0015) on: a word too long for the new index is dropped, the
    names are found as words, as 1-character prefixes and inside words, and so is a name
    that changes afterwards."""
    from alembic import command

    from directory.db import make_engine, new_session
    from directory.migrations import alembic_config, upgrade_database
    from directory.records import listing_columns
    from directory.services.changes import isic_sections

    engine = make_engine(db_factory())
    doc = make_doc("old", en="Kampot Pepperhouse", km=KHMER["pepper"])
    columns = listing_columns(doc, isic_sections())
    with engine.begin() as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0015")
        text_words = "é" * 1100 + " " + (columns["search_text"] or "")  # before MAX_WORD
        insert_stored_listing(conn, doc, columns["search_names"], text_words)
    upgrade_database(engine)
    with new_session(engine, write=True) as session:
        for query in ("pepperhouse", "kampot", "epperh", "ក", "ម្រេ"):
            assert ids(session, query) == ["th:old"], query
        renamed = {**doc, "version": 2, "names": {"en": "Mondulkiri Honeybee"}}
        apply_remote_changes(session, [renamed], node=node, source_peer="th")
        session.commit()
        assert ids(session, "oneyb") == ["th:old"] and ids(session, "epperh") == []
    engine.dispose()


def _vectors(conn, *, stripped: bool = False) -> dict[str, tuple]:
    """Each listing's two vectors as text; ``stripped``: ``search_vector`` without its
    positions and weights."""
    search = "strip(search_vector)" if stripped else "search_vector"
    rows = conn.exec_driver_sql(
        f"SELECT id, {search}::text, names_vector::text FROM listings ORDER BY id"
    )
    return {rid: (search, names) for rid, search, names in rows}


def _migrated_docs() -> tuple[list[dict], dict]:
    """Listings stored before a migration, and one written after it."""
    docs = [
        make_doc("a", en="Kampot Pepper Farm", km=KHMER["pepper"], descriptions={"en": "x " * 4}),
        make_doc("b", km=KHMER["rice"], products=[{"name": "Milled rice", "hs_code": "100630"}]),
        make_doc("c", en="Kep Crab", descriptions={"km": "ក្តាម " * 900}),  # compressed
    ]
    later = make_doc("d", en="Siem Reap Silkworks", descriptions={"en": "silk " + "ស" * 3000})
    return docs, later


MIGRATED_QUERIES = (
    *("pepper", "ម្រេ", "epper", "100630", "rice", "ក្តាម"),
    *("silkworks", "ilkw", "silkw"),  # the later listing's word, substring and prefix
)


def _found(engine) -> list[list[str]]:
    from directory.db import new_session

    with new_session(engine) as session:
        return [ids(session, q) for q in MIGRATED_QUERIES]


def _document_compression(conn) -> str:
    return conn.exec_driver_sql(
        "SELECT attcompression FROM pg_attribute"
        " WHERE attrelid = 'listings'::regclass AND attname = 'document'"
    ).scalar_one()


def _migrate(engine, revision: str, *, down: bool = False) -> None:
    """Upgrade (or ``down``grade) the database to ``revision``, in a transaction of its own."""
    from alembic import command

    from directory.migrations import alembic_config

    with engine.begin() as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_migration_0017_writes_the_same_vectors_and_vocabulary(db_factory, node):
    """0017 makes each vector from the words without the text parser and compresses
    documents with lz4: the stored vectors keep their values both ways, new rows get the
    vectors and vocabulary 0016 gave them, and every query finds what it found."""

    from directory.db import make_engine, new_session

    engine = make_engine(db_factory())
    pg = engine.dialect.name == "postgresql"
    docs, later = _migrated_docs()

    def found() -> list[list[str]]:
        return _found(engine)

    _migrate(engine, "0016", down=True)
    with new_session(engine, write=True) as session:
        publish(session, docs)
    before = found()
    with engine.connect() as conn:
        stored = _vectors(conn) if pg else {}
    _migrate(engine, "0017")
    assert found() == before and before[0] == ["th:a"] and before[4] == ["th:b"]
    with new_session(engine, write=True) as session:
        publish(session, [later])
    assert found()[-3:] == [["th:d"]] * 3  # its words, its vocabulary entry, its prefix
    if not pg:
        return
    with engine.connect() as conn:
        assert {k: v for k, v in _vectors(conn).items() if k != "th:d"} == stored
        assert _document_compression(conn) == "l"
        compressed = conn.exec_driver_sql(
            "SELECT id, pg_column_compression(document) FROM listings"
            " WHERE pg_column_compression(document) IS NOT NULL ORDER BY id"
        ).all()
        assert compressed == [("th:c", "pglz"), ("th:d", "lz4")]  # the older one as it was
        made = _vectors(conn)["th:d"]
    _migrate(engine, "0016", down=True)
    with engine.connect() as conn:
        assert _vectors(conn) == {**stored, "th:d": made}
        assert _document_compression(conn) == ""
    assert found()[-3:] == [["th:d"]] * 3
    engine.dispose()


def test_migration_0018_keeps_every_word_of_search_vector_without_weights(db_factory, node):
    """0018 makes ``search_vector`` of every word as one array: the lexemes 0017 stored,
    without their positions and weights, for the listings stored before and after it;
    ``names_vector`` and every query's hits stay as they were, both ways."""

    from directory.db import make_engine, new_session
    from directory.migrations import upgrade_database

    engine = make_engine(db_factory())
    pg = engine.dialect.name == "postgresql"
    docs, later = _migrated_docs()
    _migrate(engine, "0017", down=True)
    with new_session(engine, write=True) as session:
        publish(session, docs)
    before = _found(engine)
    with engine.connect() as conn:
        weighted = _vectors(conn) if pg else {}
        stripped = _vectors(conn, stripped=True) if pg else {}
    upgrade_database(engine)
    assert _found(engine) == before and before[0] == ["th:a"] and before[4] == ["th:b"]
    with new_session(engine, write=True) as session:
        publish(session, [later])
    assert _found(engine)[-3:] == [["th:d"]] * 3
    if not pg:
        return
    with engine.connect() as conn:
        now = _vectors(conn)
        assert {k: v for k, v in now.items() if k != "th:d"} == stripped
        assert ":" not in now["th:a"][0] and "'pepper'" in now["th:a"][0]  # no positions
    _migrate(engine, "0017", down=True)
    with engine.connect() as conn:
        assert {k: v for k, v in _vectors(conn).items() if k != "th:d"} == weighted
        assert _vectors(conn, stripped=True)["th:d"] == now["th:d"]
    assert _found(engine) == [*before[:-3], *[["th:d"]] * 3]
    engine.dispose()


def test_a_substring_inside_hundreds_of_name_words_finds_them_all(session):
    """Hundreds of name words hold the term (on PostgreSQL each found in the vocabulary,
    then looked up in ``names_vector`` in one query)."""
    docs = [make_doc(f"s{i}", en=f"Farm abzqx{i}") for i in range(100, 400)]
    publish(session, docs)
    page = search_listings(session, SearchFilters(q="zqx"), facets=True)
    assert page.total == 300 and not page.capped  # "zqx" begins no word: substrings only
    assert sum(n for _, n in page.facets["size_class"]) == 300
    inside = search_listings(session, SearchFilters(q="zqx1 farm"), per_page=200)
    assert sorted(hit.id for hit in inside.items) == [f"th:s{i}" for i in range(100, 200)]
