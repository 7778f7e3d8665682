"""The application factory: nothing is built at import time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy import Engine
from sqlmodel import Session

from directory.config import load_config
from directory.db import make_engine, new_session
from directory.node import Node
from directory.params import register_converters

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


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
    app.extensions["smedir.engine"] = make_engine(
        db["url"], echo=db["echo"], pool_size=db["pool_size"]
    )
    app.extensions["smedir.node"] = Node.from_config(cfg)
    if security["proxy_hops"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = security["proxy_hops"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_converters(app)
    app.teardown_appcontext(_close_session)
    _init_extensions(app)
    _register_blueprints(app)
    return app


def _init_extensions(app: Flask) -> None:
    from directory.extensions import babel, csrf, login_manager, select_locale

    babel.init_app(app, locale_selector=select_locale, default_domain="messages")
    csrf.init_app(app)
    login_manager.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from directory.web.health import bp as health_bp

    app.register_blueprint(health_bp)
    from directory.web.admin_users import bp as admin_users_bp
    from directory.web.auth import bp as auth_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_users_bp)
    from directory.web.pages import register_pages

    register_pages(app)
    from directory.api import register_api

    register_api(app)
    from directory.web.admin_sync import bp as admin_sync_bp

    app.register_blueprint(admin_sync_bp)


def get_engine(app: Flask) -> Engine:
    """The app's database engine."""
    return app.extensions["smedir.engine"]


def get_node(app: Flask) -> Node:
    """This node's identity."""
    return app.extensions["smedir.node"]


def db_session() -> Session:
    """The request's session: one per request, one transaction; writes begin IMMEDIATE."""
    if "db_session" not in g:
        from flask import current_app

        write = not has_request_context() or request.method not in SAFE_METHODS
        g.db_session = new_session(get_engine(current_app), write=write)
    return g.db_session


def _close_session(exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        if exc is not None:
            session.rollback()
        session.close()
