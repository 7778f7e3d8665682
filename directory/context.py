"""Request-scoped accessors: the app's engine, this node, and the request's session.

Faces (web, api, oai, admin) and commands import these from here, never from
``directory.app``, so imports run one way: factory -> faces -> services -> models.
"""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine
from sqlmodel import Session

from directory.db import new_session
from directory.node import Node

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
ENGINE_KEY = "smedir.engine"
NODE_KEY = "smedir.node"


def get_engine(app: Flask) -> Engine:
    """The app's database engine."""
    return app.extensions[ENGINE_KEY]


def get_node(app: Flask) -> Node:
    """This node's identity."""
    return app.extensions[NODE_KEY]


def db_session() -> Session:
    """The request's session: one per request, one transaction; writes begin IMMEDIATE."""
    if "db_session" not in g:
        write = not has_request_context() or request.method not in SAFE_METHODS
        g.db_session = new_session(get_engine(current_app), write=write)
    return g.db_session


def close_session(exc: BaseException | None) -> None:
    """Teardown: roll back on an exception, then close the request's session."""
    session = g.pop("db_session", None)
    if session is not None:
        if exc is not None:
            session.rollback()
        session.close()
