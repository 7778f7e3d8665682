"""A listing's public page: canonical URL, meta description, JSON-LD read by extruct, map."""

from __future__ import annotations

import extruct
import pytest

from directory.context import get_engine
from directory.db import transaction
from directory.services.changes import write_listings
from tests.directory.search_data import BASE, make_doc


def _publish(app, docs) -> None:
    with transaction(get_engine(app)) as session:
        write_listings(session, docs, [], source_peer="th")


def _jsonld(html: str, url: str) -> dict:
    found = extruct.extract(html, base_url=url, syntaxes=["json-ld"], uniform=True)["json-ld"]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize("lang", ["en", "km"])
def test_json_ld_read_by_extruct_equals_the_record(app, lang):
    doc = make_doc("pepper", en=BASE["names"]["en"], km=BASE["names"]["km"])
    doc.update({k: BASE[k] for k in ("descriptions", "products", "contact", "geo", "employees")})
    _publish(app, [doc])
    response = app.test_client().get(f"/listings/th:pepper?lang={lang}")
    assert response.status_code == 200
    canonical = f"{app.config['SMEDIR']['node']['base_url']}/listings/th:pepper"
    data = _jsonld(response.text, canonical)
    other = "km" if lang == "en" else "en"
    assert data["@type"] == "LocalBusiness"
    assert (
        data["url"] == canonical and f'<link rel="canonical" href="{canonical}">' in response.text
    )
    assert data["name"] == data["legalName"] == doc["names"][lang]
    assert data["alternateName"] == doc["names"][other]
    assert data["isicV4"] == doc["sectors"][0]
    assert data["foundingDate"] == str(doc["founded_year"])
    assert data["address"]["addressCountry"] == doc["address"]["country"]
    assert data["address"]["addressRegion"] == ("Kampot" if lang == "en" else "កំពត")
    assert data["address"]["streetAddress"] == doc["address"]["street"]
    assert (data["geo"]["latitude"], data["geo"]["longitude"]) == (
        doc["geo"]["lat"],
        doc["geo"]["lon"],
    )
    offers = [o["itemOffered"] for o in data["makesOffer"]]
    assert [o["name"] for o in offers] == [p["name"] for p in doc["products"]]
    assert [o["additionalProperty"]["value"] for o in offers] == [
        p["hs_code"] for p in doc["products"]
    ]
    assert data["contactPoint"]["email"] == doc["contact"]["email"]
    assert data["contactPoint"]["telephone"] == doc["contact"]["phone"]
    assert f'<meta name="description" content="{doc["descriptions"][lang][:40]}' in response.text
    assert 'href="/api/v1/listings/th:pepper"' in response.text


def test_json_ld_has_no_contact_point_when_the_contact_is_private(app):
    doc = make_doc("quiet", en="Quiet Rice Mill")
    doc["contact"] = BASE["contact"]
    doc["sharing"] = {**doc["sharing"], "contact_public": False}
    _publish(app, [doc])
    html = app.test_client().get("/listings/th:quiet?lang=en").text
    data = _jsonld(html, "http://x/")
    assert "contactPoint" not in data and "sameAs" not in data
    assert BASE["contact"]["email"] not in html


def test_no_tile_server_means_a_plain_link_to_the_coordinates(app):
    doc = make_doc("geo", en="Geo Farm")
    doc["geo"] = {"lat": 10.6167, "lon": 104.3167}
    _publish(app, [doc])
    html = app.test_client().get("/listings/th:geo?lang=en").text
    assert 'href="geo:10.6167,104.3167"' in html
    assert 'id="map"' not in html and "leaflet.js" not in html
    app.config["SMEDIR"]["map"]["tile_url"] = "http://127.0.0.1:9/{z}/{x}/{y}.png"
    html = app.test_client().get("/listings/th:geo?lang=en").text
    assert 'id="map"' in html and "/static/vendor/leaflet/leaflet.js" in html
    assert "<script>" not in html  # no inline script: JSON-LD is a data block, the map a file
