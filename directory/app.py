"""The application factory: nothing is built at import time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from directory.config import load_config
from directory.context import ENGINE_KEY, NODE_KEY, close_session
from directory.db import make_engine
from directory.node import Node
from directory.params import register_converters


def create_app(
    config: str | os.PathLike | dict[str, Any] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Flask:
    """Build the app from a config file path (or an already loaded config dict)."""
    cfg = config if isinstance(config, dict) else load_config(config, overrides)
    app = Flask(__name__, instance_path=cfg["node"]["instance_path"])
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    security = cfg["security"]
    app.config.update(
        SMEDIR=cfg,
        SECRET_KEY=security["secret_key"],
        MAX_CONTENT_LENGTH=cfg["api"]["max_body_bytes"],
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=security["production"],
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=security["production"],
    )
    db = cfg["database"]
    app.extensions[ENGINE_KEY] = make_engine(db["url"], echo=db["echo"], pool_size=db["pool_size"])
    app.extensions[NODE_KEY] = Node.from_config(cfg)
    if security["proxy_hops"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = security["proxy_hops"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_converters(app)
    app.teardown_appcontext(close_session)
    from directory.web import security_headers

    security_headers.init_app(app)
    _init_extensions(app)
    _register_faces(app)
    return app


def _init_extensions(app: Flask) -> None:
    from directory.extensions import babel, csrf, login_manager, select_locale

    babel.init_app(app, locale_selector=select_locale, default_domain="messages")
    csrf.init_app(app)
    login_manager.init_app(app)


def _register_faces(app: Flask) -> None:
    from directory import admin, api, oai, web

    for face in (web, api, oai, admin):
        face.register(app)
