"""The home page: what the directory is, for whom, how to list a business, and what is in it."""

from __future__ import annotations

from flask import current_app, render_template

from directory.context import db_session, get_node
from directory.records import parse_json
from directory.services.overview import directory_overview
from directory.web import labels
from directory.web.access import current_actor


def render_home() -> str:
    """Render the home page from live data; with no data, say what to do next."""
    node = get_node(current_app)
    overview = directory_overview(db_session(), node)
    actor = current_actor()
    return render_template(
        "public/home.html",
        node=node,
        overview=overview,
        docs={lst.id: parse_json(lst.document) for lst in overview.recent},
        actor_role=actor.role if actor else None,
        provinces=labels.provinces(),
    )
