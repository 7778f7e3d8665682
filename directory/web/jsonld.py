"""schema.org JSON-LD for a listing page, so search engines and portals read it as data."""

from __future__ import annotations

from typing import Any

import orjson
from markupsafe import Markup

from directory.web import labels


def listing_jsonld(doc: dict[str, Any], url: str, lang: str) -> dict[str, Any]:
    """An Organization/LocalBusiness for a published record; contact only if it is public."""
    names = doc.get("names", {})
    main, other = (names.get(lang), names.get("en" if lang == "km" else "km"))
    main = main or other
    other = other if other != main else None
    address = doc.get("address", {})
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "LocalBusiness" if address.get("street") or doc.get("geo") else "Organization",
        "@id": f"{url}#business",
        "url": url,
        "name": main,
        "legalName": main,
        "alternateName": other,
        "description": doc.get("descriptions", {}).get(lang)
        or next(iter(doc.get("descriptions", {}).values()), None),
        "address": _address(address),
        "isicV4": doc.get("sectors", [None])[0],
        "foundingDate": str(doc["founded_year"]) if doc.get("founded_year") else None,
        "numberOfEmployees": {"@type": "QuantitativeValue", "value": doc["employees"]}
        if doc.get("employees") is not None
        else None,
        "makesOffer": [_offer(p) for p in doc.get("products", [])] or None,
        "identifier": _registration(doc.get("registration", {})),
    }
    if geo := doc.get("geo"):
        data["geo"] = {"@type": "GeoCoordinates", "latitude": geo["lat"], "longitude": geo["lon"]}
    if doc.get("sharing", {}).get("contact_public") and doc.get("contact"):
        data["contactPoint"] = _contact(doc["contact"])
        links = [doc["contact"].get("website")] + [
            s["url"] for s in doc["contact"].get("social", [])
        ]
        data["sameAs"] = [link for link in links if link] or None
    return {k: v for k, v in data.items() if v is not None}


def _address(address: dict) -> dict:
    out = {
        "@type": "PostalAddress",
        "streetAddress": address.get("street"),
        "addressLocality": address.get("district"),
        "addressRegion": labels.province_name(address["province"])
        if address.get("province")
        else None,
        "postalCode": address.get("postal_code"),
        "addressCountry": address.get("country"),
    }
    return {k: v for k, v in out.items() if v}


def _offer(product: dict) -> dict:
    item = {"@type": "Product", "name": product.get("name")}
    if product.get("description"):
        item["description"] = product["description"]
    if product.get("hs_code"):
        item["additionalProperty"] = {
            "@type": "PropertyValue",
            "propertyID": "HS",
            "value": product["hs_code"],
        }
    return {"@type": "Offer", "itemOffered": item}


def _registration(reg: dict) -> dict | None:
    if not reg.get("number"):
        return None
    return {"@type": "PropertyValue", "propertyID": reg.get("authority"), "value": reg["number"]}


def _contact(contact: dict) -> dict:
    out = {
        "@type": "ContactPoint",
        "contactType": "customer service",
        "email": contact.get("email"),
        "telephone": contact.get("phone"),
        "url": contact.get("website"),
    }
    return {k: v for k, v in out.items() if v}


def script_json(data: dict) -> Markup:
    """JSON safe inside a <script> data block (no '</script>' or HTML comment can form)."""
    text = orjson.dumps(data).decode()
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
