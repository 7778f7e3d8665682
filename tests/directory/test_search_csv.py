"""Search results as CSV: the export's columns and escaping, public data only, rate-limited."""

from __future__ import annotations

import csv
import io

from directory.context import get_engine
from directory.db import transaction
from directory.fileformats import CSV_COLUMNS
from directory.services.changes import write_listings
from tests.directory.search_data import BASE, make_doc


def test_results_download_as_csv_without_private_contact_and_rate_limited(app):
    shown = make_doc("shown", en="Kampot Pepper Farm", contact=BASE["contact"])
    hidden = make_doc("hidden", en="Pepper Hideaway", contact=BASE["contact"])
    hidden["sharing"] = {**hidden["sharing"], "contact_public": False}
    other = make_doc("other", en="Rice Mill")
    with transaction(get_engine(app)) as session:
        write_listings(session, [shown, hidden, other], [], source_peer="th")
    client = app.test_client()
    response = client.get("/search.csv?q=pepper&lang=en")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == CSV_COLUMNS
    assert {r["names.en"] for r in rows} == {"Kampot Pepper Farm", "Pepper Hideaway"}
    emails = {r["names.en"]: r.get("contact.email") for r in rows}
    assert emails["Kampot Pepper Farm"] == BASE["contact"]["email"]
    assert not emails["Pepper Hideaway"]  # the SME keeps its contact private
    limit = app.config["SMEDIR"]["search"]["csv_per_minute"]
    statuses = [client.get("/search.csv?q=rice").status_code for _ in range(limit)]
    assert statuses[-1] == 429 and statuses[: limit - 1] == [200] * (limit - 1)
