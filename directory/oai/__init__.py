"""OAI-PMH 2.0 at ``/oai``, so any standard harvester can read the directory.

Formats: ``oai_dc`` and ``sme_json`` (the native record). Sets by country,
province and ISIC section. Deleted records are persistent. See
``directory.oai.repository`` for which items exist and what a deletion is.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach the /oai blueprint (exempt from CSRF: OAI-PMH allows POST from harvesters)."""
    from directory.extensions import csrf
    from directory.oai.views import bp

    app.register_blueprint(bp)
    csrf.exempt(bp)
