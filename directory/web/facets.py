"""Facet groups of the search page: each value with its count and a link that applies it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from babel.numbers import get_group_symbol
from flask import url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from directory.services.search import SearchPage
from directory.web import labels

# facet -> (query parameter, heading, label of a value)
GROUPS = {
    "section": ("section", _l("Sector"), labels.isic_title),
    "division": ("sector", _l("Division"), labels.isic_title),
    "province": ("province", _l("Province"), labels.province_name),
    "size_class": ("size_class", _l("Size"), labels.size_class_label),
    "market": ("market", _l("Export market"), labels.country_name),
    "women": ("women_owned", _l("Women-owned"), lambda _v: _l("Women-owned")),
    "youth": ("youth_owned", _l("Youth-owned"), lambda _v: _l("Youth-owned")),
    "country": ("country", _l("Origin country"), labels.country_name),
}
PAGING_ARGS = ("after", "page")
URL_SAFE = "!$'()*,/:;?@"  # what url_for leaves unquoted in a query (werkzeug's _urlencode)


@dataclass
class FacetValue:
    """One value of a facet as shown: label, count text, link, and whether it is applied."""

    label: str
    count: str
    url: str
    active: bool


@dataclass
class FacetGroup:
    """A facet heading with its values."""

    name: str
    title: str
    values: list[FacetValue]
    active: bool


def search_url(args: dict[str, str], **changes: str | None) -> str:
    """The search URL for ``args`` with ``changes`` applied (None removes), back on page 1."""
    new = {k: v for k, v in args.items() if k not in PAGING_ARGS}
    for key, value in changes.items():
        if value is None:
            new.pop(key, None)
        else:
            new[key] = value
    return url_for("public.search", **new)


def facet_groups(results: SearchPage, args: dict[str, str], *, hub: bool) -> list[FacetGroup]:
    """The facet groups to show for a result page (origin country only on a hub).

    A page has about a hundred facet links that differ from the page's own URL in one
    parameter: each group's other parameters are encoded once, not by ``url_for`` per
    link (which was a fifth of the page's rendering time).
    """
    base = url_for("public.search")
    kept = {k: v for k, v in args.items() if k not in PAGING_ARGS}
    group_symbol = get_group_symbol(get_locale())
    plus = "+" if results.capped else ""
    groups = []
    for name, (param, title, label) in GROUPS.items():
        if name == "country" and not hub:
            continue
        applied = args.get(param)
        others = urlencode([(k, v) for k, v in kept.items() if k != param], safe=URL_SAFE)
        without = f"{base}?{others}" if others else base  # the link that removes this filter
        prefix = f"{without}&" if others else f"{base}?"
        values = []
        for value, count in results.facets.get(name, []):
            value = "true" if name in ("women", "youth") else value
            active = applied == value
            text = f"{count:,}".replace(",", group_symbol) + plus  # as format_decimal writes it
            url = without if active else prefix + urlencode([(param, value)], safe=URL_SAFE)
            values.append(FacetValue(str(label(value)), text, url, active))
        if values or applied:
            groups.append(FacetGroup(name, str(title), values, bool(applied)))
    return groups
