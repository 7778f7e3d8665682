"""Browse by province and by sector, and the statistics page with its charts."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for
from flask_babel import gettext as _

from directory.context import db_session, get_node
from directory.models.base import utcnow
from directory.services.enquiries import enquiry_counts
from directory.services.stats import directory_stats
from directory.web import labels
from directory.web.charts import bars, columns
from directory.web.page_cache import cached_page
from schemas import load_isic

bp = Blueprint("browse", __name__)


@bp.get("/browse/provinces")
@cached_page
def provinces():
    """Every province with its number of listings, each linking to the filtered search."""
    stats = directory_stats(db_session())
    rows = [(code, name, stats.provinces.get(code, 0)) for code, name in labels.provinces()]
    return render_template("browse/provinces.html", rows=rows, stats=stats)


@bp.get("/browse/sectors")
@cached_page
def sectors():
    """ISIC sections with their divisions and counts, each linking to the filtered search."""
    stats = directory_stats(db_session())
    isic = load_isic()
    tree = []
    for letter, title in labels.isic_sections():
        divisions = [
            (code, labels.isic_title(code), stats.divisions[code])
            for code, row in isic.items()
            if row["level"] == "division" and row["section"] == letter and code in stats.divisions
        ]
        tree.append((letter, title, stats.sections.get(letter, 0), divisions))
    return render_template("browse/sectors.html", tree=tree, stats=stats)


@bp.get("/stats")
def stats():
    """Charts of the directory at a glance, drawn on the server as SVG."""
    s = directory_stats(db_session())
    search = "public.search"
    by_province = sorted(s.provinces.items(), key=lambda kv: -kv[1])
    charts = {
        "provinces": bars(
            [(labels.province_name(p), n, url_for(search, province=p)) for p, n in by_province]
        ),
        "sections": bars(
            [
                (f"{c} · {labels.isic_title(c)}", n, url_for(search, section=c))
                for c, n in sorted(s.sections.items(), key=lambda kv: -kv[1])
            ]
        ),
        "sizes": bars(
            [
                (
                    labels.size_class_label(c),
                    s.size_classes.get(c, 0),
                    url_for(search, size_class=c),
                )
                for c in labels.SIZE_CLASSES
            ],
            total=s.total,
        ),
        "ownership": bars(
            [
                (_("Women-owned"), s.women_owned, url_for(search, women_owned="true")),
                (_("Youth-owned"), s.youth_owned, url_for(search, youth_owned="true")),
            ],
            total=s.total,
        ),
        "months": columns(s.months, utcnow().strftime("%Y-%m")),
    }
    if get_node(current_app).is_hub:
        charts["countries"] = bars(
            [
                (labels.country_name(c), n, url_for(search, country=c))
                for c, n in sorted(s.countries.items(), key=lambda kv: -kv[1])
            ]
        )
    enquiries = enquiry_counts(db_session(), get_node(current_app))
    charts["enquiry_sections"] = bars(
        [
            (f"{c} · {labels.isic_title(c)}", n, url_for(search, section=c))
            for c, n in _by_count(enquiries.sectors)
        ]
    )
    charts["enquiry_provinces"] = bars(
        [
            (labels.province_name(p), n, url_for(search, province=p))
            for p, n in _by_count(enquiries.provinces)
        ]
    )
    charts["enquiry_months"] = columns(list(enquiries.months.items()), utcnow().strftime("%Y-%m"))
    return render_template("browse/stats.html", stats=s, charts=charts, enquiries=enquiries)


def _by_count(counts: dict[str, int]) -> list[tuple[str, int]]:
    """Known codes, most first (a listing without a sector or province counts in the total)."""
    return sorted(((k, n) for k, n in counts.items() if k != "?"), key=lambda kv: -kv[1])
