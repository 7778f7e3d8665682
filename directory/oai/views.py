"""The OAI-PMH 2.0 endpoint ``/oai`` (GET and POST), and the native format's XML schema."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, Response, current_app, g, request

from directory.context import db_session, get_node
from directory.models.base import utcnow
from directory.oai import render, repository
from directory.oai.protocol import OAIError, OAIRequest, check_dates, parse_request
from directory.oai.resumption import BadToken, Position, decode_token, encode_token

bp = Blueprint("oai", __name__, url_prefix="/oai")
XML_TYPE = "text/xml; charset=utf-8"
SME_XSD = Path(__file__).with_name("sme_json.xsd")
FORMATS = {
    "oai_dc": (render.OAI_DC_XSD, render.OAI_DC_NS),
    "sme_json": (None, render.SME_NS),  # schema URL is this node's /oai/sme_json.xsd
}
_SAFE = {
    "identifier": re.compile(r"^[^\s]{1,300}$"),
    "metadataPrefix": re.compile(r"^[A-Za-z0-9\-_.!~*'()]+$"),
    "set": re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*$"),
    "resumptionToken": re.compile(r"^[A-Za-z0-9_.=-]{1,2000}$"),
}


def _settings() -> dict:
    return current_app.config["SMEDIR"]["oai"]


def _base_url() -> str:
    return current_app.config["SMEDIR"]["node"]["base_url"].rstrip("/")


def _repo_id() -> str:
    return _settings()["repository_identifier"] or get_node(current_app).id


def oai_identifier(record_id: str) -> str:
    """The OAI identifier of a record: ``oai:<repository id>:<record id>``."""
    return f"oai:{_repo_id()}:{record_id}"


def _record_id(identifier: str) -> str:
    prefix = f"oai:{_repo_id()}:"
    if not identifier.startswith(prefix):
        raise OAIError("idDoesNotExist", f"{identifier} is not an identifier of this repository")
    return identifier[len(prefix) :]


def _ctx() -> dict[str, str]:
    return {
        "sme_xsd": f"{_base_url()}/oai/sme_json.xsd",
        "publisher": current_app.config["SMEDIR"]["node"]["name"],
        "api_base": _base_url(),
    }


def _xml(root) -> Response:
    return Response(render.serialize(root), content_type=XML_TYPE)


@bp.route("", methods=["GET", "POST"])
def endpoint():
    """Answer one OAI-PMH request; protocol errors are 200 responses with error elements."""
    if _settings()["require_token"] and not _token_ok():
        headers = {"WWW-Authenticate": 'Bearer realm="smedir"'}
        return Response("a peer token with scope oai:read is required\n", 401, headers)
    now = utcnow()
    multi = {key: request.values.getlist(key) for key in request.values}
    try:
        req = parse_request(multi)
    except OAIError as exc:
        return _error(now, {}, exc)
    shown = _request_attrs(req)
    root = render.envelope(f"{_base_url()}/oai", shown, now)
    try:
        HANDLERS[req.verb](root, req, now)
    except OAIError as exc:
        return _error(now, shown, exc)
    return _xml(root)


def _token_ok() -> bool:
    """With ``oai.require_token``: a peer token with ``oai:read``; its use is logged."""
    from directory.api.auth import bearer_token, record_peer_use
    from directory.services.tokens import authenticate_peer_token

    token = authenticate_peer_token(db_session(), bearer_token())
    if token is None or not token.has_scope("oai:read"):
        return False
    g.peer_token = token
    record_peer_use(0)
    return True


def _request_attrs(req: OAIRequest) -> dict[str, str]:
    """The request's arguments for the request element, if every one is well-formed."""
    attrs = {"verb": req.verb}
    for key, value in req.args.items():
        pattern = _SAFE.get(key)
        if pattern is not None and not pattern.match(value):
            return {"verb": req.verb}
        attrs[key] = value
    return attrs


def _error(now: datetime, attrs: dict[str, str], exc: OAIError) -> Response:
    if exc.code in ("badVerb", "badArgument"):
        attrs = {}  # the spec: no attributes when the request itself is not legal
    root = render.envelope(f"{_base_url()}/oai", attrs, now)
    render.sub(root, "error", exc.message, code=exc.code)
    return _xml(root)


def identify(root, req: OAIRequest, now: datetime) -> None:
    """Identify: name, base URL, earliest datestamp, persistent deletions, seconds."""
    earliest = repository.earliest_datestamp(db_session()) or now
    element = render.sub(root, "Identify")
    render.sub(element, "repositoryName", current_app.config["SMEDIR"]["node"]["name"])
    render.sub(element, "baseURL", f"{_base_url()}/oai")
    render.sub(element, "protocolVersion", "2.0")
    render.sub(element, "adminEmail", _settings()["admin_email"])
    render.sub(element, "earliestDatestamp", render.datestamp(earliest))
    render.sub(element, "deletedRecord", "persistent")
    render.sub(element, "granularity", "YYYY-MM-DDThh:mm:ssZ")


def list_metadata_formats(root, req: OAIRequest, now: datetime) -> None:
    """ListMetadataFormats: oai_dc and the native JSON record (for any existing item)."""
    if "identifier" in req.args:
        _existing_item(req.args["identifier"])
    element = render.sub(root, "ListMetadataFormats")
    for prefix, (schema, namespace) in FORMATS.items():
        fmt = render.sub(element, "metadataFormat")
        render.sub(fmt, "metadataPrefix", prefix)
        render.sub(fmt, "schema", schema or _ctx()["sme_xsd"])
        render.sub(fmt, "metadataNamespace", namespace)


def list_sets(root, req: OAIRequest, now: datetime) -> None:
    """ListSets: countries, provinces and ISIC sections, in one complete list."""
    if "resumptionToken" in req.args:
        raise OAIError("badResumptionToken", "ListSets is answered in one complete list")
    element = render.sub(root, "ListSets")
    for spec, name in repository.all_sets(db_session()):
        item = render.sub(element, "set")
        render.sub(item, "setSpec", spec)
        render.sub(item, "setName", name)


def _existing_item(identifier: str) -> repository.Item:
    item = repository.get_item(db_session(), _record_id(identifier))
    if item is None:
        raise OAIError("idDoesNotExist", f"no item {identifier} in this repository")
    return item


def _check_prefix(prefix: str) -> None:
    if prefix not in FORMATS:
        raise OAIError("cannotDisseminateFormat", f"{prefix!r} is not a format of this repository")


def get_record(root, req: OAIRequest, now: datetime) -> None:
    """GetRecord: one record, or its header with status="deleted"."""
    _check_prefix(req.args["metadataPrefix"])
    item = _existing_item(req.args["identifier"])
    record = render.sub(render.sub(root, "GetRecord"), "record")
    render.header(record, item, oai_identifier(item.id))
    if not item.deleted:
        render.metadata(record, item, req.args["metadataPrefix"], _ctx())
    else:
        render.about_tombstone(record, item)


def _position(req: OAIRequest) -> Position:
    """Where a list request starts: from its arguments or from its resumption token."""
    if "resumptionToken" in req.args:
        secret = current_app.config["SECRET_KEY"]
        try:
            position = decode_token(req.args["resumptionToken"], secret)
        except (BadToken, TypeError, ValueError) as exc:
            raise OAIError("badResumptionToken", str(exc)) from None
        if position.verb != req.verb:
            raise OAIError("badResumptionToken", "the token belongs to another verb")
        return position
    _check_prefix(req.args["metadataPrefix"])
    spec = req.args.get("set")
    if spec is not None and not _SAFE["set"].match(spec):
        raise OAIError("badArgument", f"{spec!r} is not a setSpec")
    return Position(
        req.verb,
        req.args["metadataPrefix"],
        spec,
        req.args.get("from"),
        req.args.get("until"),
        after_seq=0,
        cursor=0,
        expires=0,
    )


def list_items(root, req: OAIRequest, now: datetime) -> None:
    """ListIdentifiers / ListRecords: one page, with a resumption token while more remain."""
    position = _position(req)
    records = req.verb == "ListRecords"
    if position.set is not None and not repository.is_set(position.set):
        raise OAIError("noRecordsMatch", f"no set {position.set} in this repository")
    since, until = check_dates(position.since, position.until)
    items, total, more = repository.list_items(
        db_session(),
        after_seq=position.after_seq,
        limit=_settings()["page_size"],
        set_spec=position.set,
        since=since,
        until=until,
        with_documents=records,
    )
    if not items:
        raise OAIError("noRecordsMatch", "no items match the request")
    element = render.sub(root, req.verb)
    for item in items:
        parent = render.sub(element, "record") if records else element
        render.header(parent, item, oai_identifier(item.id))
        if records and not item.deleted:
            render.metadata(parent, item, position.prefix, _ctx())
        elif records:
            render.about_tombstone(parent, item)
    _resumption(element, position, items, total, more)


def _resumption(element, position: Position, items, total: int, more: bool) -> None:
    """The resumptionToken element: a new token while more remain, an empty one at the end
    of a list that took several pages, none for a list of one page."""
    if not more and position.cursor == 0:
        return
    attrs = {"completeListSize": str(max(total, 1)), "cursor": str(position.cursor)}
    if not more:
        render.sub(element, "resumptionToken", "", **attrs)
        return
    expires = int(time.time()) + _settings()["token_ttl_seconds"]
    nxt = Position(
        position.verb,
        position.prefix,
        position.set,
        position.since,
        position.until,
        after_seq=items[-1].seq,
        cursor=position.cursor + len(items),
        expires=expires,
    )
    token = encode_token(nxt, current_app.config["SECRET_KEY"])
    expiry = datetime.fromtimestamp(expires, UTC)
    render.sub(element, "resumptionToken", token, expirationDate=render.datestamp(expiry), **attrs)


HANDLERS = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "GetRecord": get_record,
    "ListIdentifiers": list_items,
    "ListRecords": list_items,
}


@bp.get("/sme_json.xsd")
def sme_json_schema():
    """The XML schema of the sme_json metadata format."""
    return Response(SME_XSD.read_bytes(), content_type="application/xml; charset=utf-8")
