"""The OpenAPI 3.1 description of the API, the shared JSON Schemas it references, a docs page.

The record, draft, change, feed-page, push-batch and push-receipts shapes are
not restated here: each file of ``schemas/`` is served as is at
``/api/schemas/<name>.schema.json`` and also placed, unchanged and with its own
``$id``, under ``components/schemas``; operations ``$ref`` those ``$id``s, so
a JSON Schema 2020-12 resolver (as OpenAPI 3.1 uses) finds them inside this
document and never fetches anything.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from flask import Response, abort, current_app, render_template, request
from flask_babel import gettext
from markupsafe import Markup, escape

from directory.api.blueprint import bp, json_response
from directory.api.exchange import MAX_FEED_LIMIT
from directory.api.listings import MAX_TEXT_FILTER
from directory.services.messages import N_
from schemas.loader import SCHEMA_DIR, load_schemas, schema_id

PROBLEM = "application/problem+json"
CODE_SPAN = re.compile(r"`([^`]+)`")
STATUS_TEXT = {
    200: N_("OK"),
    201: N_("Created"),
    301: N_("Merged into another listing: the body is the tombstone, Location the survivor"),
    304: N_("Not modified (the ETag matches If-None-Match)"),
    400: N_("Malformed JSON or query parameter"),
    401: N_("No valid credentials"),
    403: N_("Not allowed (scope, role, CSRF or peer rules)"),
    404: N_("Not found"),
    409: N_("Not possible in the listing's current state"),
    412: N_("If-Match does not match the current edit tag"),
    413: N_("Body larger than api.max_body_bytes (also when sent chunked)"),
    414: N_("The request line (path and query) is too long for the server"),
    422: N_("The body fails validation; errors[] name the fields"),
    428: N_("If-Match is required"),
    429: N_("Too many requests; see Retry-After"),
}


def shared(name: str) -> dict[str, str]:
    """A $ref to a shared schema by its $id."""
    return {"$ref": schema_id(name)}


def _problem_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {
                "type": "string",
                "description": "about:blank for plain HTTP errors; for a refusal by the "
                "directory, urn:smedir:problem:<code>, where <code> is stable (match on it, "
                "not on detail).",
            },
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["path", "message"],
                    "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
                },
            },
        },
    }


def _owner_listing_schema() -> dict[str, Any]:
    nullable = {"anyOf": [shared("change"), {"type": "null"}]}
    return {
        "type": "object",
        "required": ["id", "state", "version", "published", "draft", "draft_state"],
        "properties": {
            "id": {"type": "string"},
            "state": {"type": "string", "enum": ["draft", "published", "withdrawn"]},
            "version": {"type": "integer", "minimum": 0},
            "published": nullable,
            "draft": {"anyOf": [shared("draft"), {"type": "null"}]},
            "draft_state": {"type": ["string", "null"]},
        },
    }


def _quality_schema() -> dict[str, Any]:
    part = {
        "type": "object",
        "required": ["key", "label", "possible", "earned", "todo"],
        "properties": {
            "key": {
                "type": "string",
                "enum": ["completeness", "registration", "freshness", "reachable", "duplicates"],
            },
            "label": {"type": "string"},
            "possible": {"type": "integer", "minimum": 1},
            "earned": {"type": ["integer", "null"], "minimum": 0},
            "todo": {"type": "array", "items": {"type": "string"}},
        },
    }
    return {
        "type": "object",
        "required": ["score", "parts"],
        "properties": {
            "score": {"type": "integer", "minimum": 0, "maximum": 100},
            "parts": {"type": "array", "items": part},
        },
    }


def _duplicate_schemas() -> dict[str, Any]:
    candidate = {
        "type": "object",
        "required": ["listing_id", "state", "names", "score", "band", "reasons"],
        "properties": {
            "listing_id": {"type": "string"},
            "state": {"type": "string"},
            "names": {"type": "object", "additionalProperties": {"type": "string"}},
            "score": {"type": "number", "minimum": 0, "maximum": 1},
            "band": {"type": "string", "enum": ["probable", "possible"]},
            "reasons": {"type": "array", "items": {"type": "string"}},
        },
    }
    return {
        "Duplicates": {
            "type": "object",
            "required": ["revision", "listing_id", "pending", "candidates"],
            "properties": {
                "revision": {"type": "integer"},
                "listing_id": {"type": "string"},
                "pending": {"type": "boolean"},
                "candidates": {"type": "array", "items": candidate},
            },
        },
        "DuplicateDecision": {
            "type": "object",
            "additionalProperties": False,
            "required": ["decision", "other"],
            "properties": {
                "decision": {"type": "string", "enum": ["same", "distinct"]},
                "other": {"type": "string", "minLength": 1, "maxLength": 100},
            },
        },
        "DuplicateDecided": {
            "type": "object",
            "required": ["decision"],
            "properties": {
                "decision": {"type": "string", "enum": ["same", "distinct"]},
                "merged": {"type": "string"},
                "merged_into": {"type": "string"},
                "listings": {"type": "array", "items": {"type": "string"}},
            },
        },
    }


def _responses(
    *codes: int,
    ok: dict | None = None,
    ok_code: int = 200,
    headers=None,
    described: dict[int, str] | None = None,
) -> dict:
    """Responses of an operation: the success, then problem documents; every operation may
    also answer 414 (a request line the server will not read)."""
    out: dict[str, Any] = {}
    codes = tuple(sorted({*codes, 414}))
    if ok is not None:
        out[str(ok_code)] = {
            "description": STATUS_TEXT[ok_code],
            "content": {"application/json": {"schema": ok}},
        }
        if headers:
            out[str(ok_code)]["headers"] = headers
    for code in codes:
        if code == 304:
            out["304"] = {"description": STATUS_TEXT[304]}
            continue
        if code == 301:
            out["301"] = {
                "description": STATUS_TEXT[301],
                "headers": {"Location": {"schema": {"type": "string"}}},
                "content": {"application/json": {"schema": shared("tombstone")}},
            }
            continue
        problem = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        text = (described or {}).get(code, STATUS_TEXT[code])
        out[str(code)] = {"description": text, "content": problem}
    return out


def _query(name: str, schema: dict, description: str = "") -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _path_id() -> dict:
    return {
        "name": "listing_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[a-z][a-z0-9-]{1,31}:[A-Za-z0-9._-]{1,64}$"},
    }


ETAG = {
    "ETag": {"schema": {"type": "string"}, "description": N_("The version (public) or edit tag")}
}
SESSION = [{"session": []}, {"personalToken": []}]
PEER = [{"peerToken": []}]


def _paths() -> dict[str, Any]:
    text = {"type": "string", "maxLength": MAX_TEXT_FILTER, "pattern": "^[^\\u0000]*$"}
    flag = {"type": "string", "enum": ["true", "false"]}
    search_params = [
        _query(n, text)
        for n in ("q", "province", "sector", "section", "size_class", "legal_form", "country")
    ]
    search_params += [_query("women_owned", flag), _query("youth_owned", flag)]
    search_params += [
        _query("page", {"type": "integer", "minimum": 1, "maximum": 100000}),
        _query("per_page", {"type": "integer", "minimum": 1, "maximum": 100}),
    ]
    page = {
        "type": "object",
        "required": ["items", "total", "page", "per_page"],
        "properties": {
            "items": {"type": "array", "items": shared("record")},
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
        },
    }
    owner = {"$ref": "#/components/schemas/OwnerListing"}
    draft_body = {"required": True, "content": {"application/json": {"schema": shared("draft")}}}
    return {
        "/api/v1/listings": {
            "get": {
                "operationId": "searchListings",
                "summary": N_("Search published, publicly shared listings"),
                "description": N_(
                    "The same filters as the web search. Contact data is left out "
                    "unless the SME made it public."
                ),
                "parameters": search_params,
                "responses": _responses(400, 429, ok=page),
            },
            "post": {
                "operationId": "createListing",
                "summary": N_("Create a draft listing (signed-in SME owner)"),
                "description": N_(
                    "Session cookie (send the CSRF token from /api/v1/session in "
                    "the X-CSRFToken header) or a personal bearer token (no CSRF token needed)."
                ),
                "security": SESSION,
                "requestBody": draft_body,
                "responses": _responses(
                    400, 401, 403, 413, 422, 429, ok=owner, ok_code=201, headers=ETAG
                ),
            },
        },
        "/api/v1/listings/{listing_id}": {
            "parameters": [_path_id()],
            "get": {
                "operationId": "getListing",
                "summary": N_("One published listing; ETag is its version"),
                "parameters": [
                    {
                        "name": "If-None-Match",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": _responses(301, 304, 404, 429, ok=shared("record"), headers=ETAG),
            },
            "put": {
                "operationId": "updateListing",
                "summary": N_("Save the owner's edit (If-Match: the edit tag)"),
                "description": N_(
                    "A missing or malformed body: 400; an invalid one: 422. Then, "
                    "without If-Match: 428; with a stale tag: 412 and the current ETag. The edit "
                    "goes to the open draft; submit it to publish."
                ),
                "security": SESSION,
                "parameters": [
                    {
                        "name": "If-Match",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": N_("The ETag of GET /api/v1/my/listings/{listing_id}"),
                    }
                ],
                "requestBody": draft_body,
                "responses": _responses(
                    400, 401, 403, 404, 412, 413, 422, 428, 429, ok=owner, headers=ETAG
                ),
            },
        },
        "/api/v1/listings/{listing_id}/quality": {
            "parameters": [_path_id()],
            "get": {
                "operationId": "getListingQuality",
                "summary": N_("A published listing's quality score (0 to 100) and its parts"),
                "description": N_(
                    "Parts: `completeness`, `registration`, `freshness`, `reachable`, "
                    "`duplicates`. A part this node cannot know for another origin's record has "
                    "`earned: null` and is left out of the score. `label` and `todo` follow "
                    "`Accept-Language`, as problem details do."
                ),
                "responses": _responses(404, 429, ok={"$ref": "#/components/schemas/Quality"}),
            },
        },
        "/api/v1/listings/{listing_id}/submit": {
            "parameters": [_path_id()],
            "post": {
                "operationId": "submitListing",
                "summary": N_("Submit the draft for review (minor edits publish at once)"),
                "security": SESSION,
                "responses": _responses(401, 403, 404, 409, 429, ok=owner, headers=ETAG),
            },
        },
        "/api/v1/session": {
            "get": {
                "operationId": "session",
                "summary": N_("The signed-in user and the CSRF token for X-CSRFToken"),
                "security": SESSION,
                "responses": _responses(
                    401,
                    429,
                    ok={
                        "type": "object",
                        "required": ["user", "csrf_token"],
                        "properties": {
                            "user": {
                                "type": "object",
                                "required": ["id", "email", "role"],
                                "properties": {
                                    "id": {"type": "integer"},
                                    "email": {"type": "string"},
                                    "role": {"type": "string"},
                                },
                            },
                            "csrf_token": {"type": "string"},
                        },
                    },
                ),
            },
        },
        "/api/v1/my/listings": {
            "get": {
                "operationId": "myListings",
                "summary": N_("The signed-in owner's listings"),
                "security": SESSION,
                "responses": _responses(
                    401,
                    429,
                    ok={
                        "type": "object",
                        "required": ["items"],
                        "properties": {"items": {"type": "array", "items": owner}},
                    },
                ),
            },
        },
        "/api/v1/review/revisions/{revision_id}/duplicates": {
            "parameters": [
                {
                    "name": "revision_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
                }
            ],
            "get": {
                "operationId": "listRevisionDuplicates",
                "summary": N_("The likely duplicates of a revision (focal points and admins)"),
                "description": N_(
                    "The candidates the review page shows, probable first: `band` is "
                    "`probable` or `possible` by the node's thresholds, `reasons` the codes of "
                    "what matched (`registration`, `name`, `phone`, `email`, `email_domain`, "
                    "`address`, `province`). A revision outside the reviewer's scope: 404."
                ),
                "security": SESSION,
                "responses": _responses(
                    401, 403, 404, 429, ok={"$ref": "#/components/schemas/Duplicates"}
                ),
            },
            "post": {
                "operationId": "decideRevisionDuplicate",
                "summary": N_("Same business (merge) or not the same, for one candidate"),
                "description": N_(
                    "`same` merges: the listing made on this node becomes a `merged` tombstone "
                    "naming the other, which keeps its names as `aliases` when it is of this "
                    "node too. `distinct` is remembered: the pair is never suggested again. "
                    "Both are audited as on the review page. A revision no longer pending: 409."
                ),
                "security": SESSION,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/DuplicateDecision"}
                        }
                    },
                },
                "responses": _responses(
                    400,
                    401,
                    403,
                    404,
                    409,
                    413,
                    422,
                    429,
                    ok={"$ref": "#/components/schemas/DuplicateDecided"},
                ),
            },
        },
        "/api/v1/my/listings/{listing_id}": {
            "parameters": [_path_id()],
            "get": {
                "operationId": "myListing",
                "summary": N_("One of the owner's listings; ETag is the edit tag for If-Match"),
                "security": SESSION,
                "responses": _responses(401, 404, 429, ok=owner, headers=ETAG),
            },
        },
        "/api/v1/changes": {
            "get": {
                "operationId": "readChanges",
                "summary": N_("Change feed for the calling peer (scope feed:read)"),
                "description": N_(
                    "Changes after the opaque cursor `since`, in sequence order, "
                    "latest version per record, tombstones included. A record whose sharing does "
                    "not cover the calling peer comes as a tombstone with reason "
                    "consent_withdrawn; a record never goes back to its origin. Items are checked "
                    "one by one against the change schema."
                ),
                "security": PEER,
                "parameters": [
                    _query(
                        "since", {"type": "string", "maxLength": 100}, N_("cursor; empty = start")
                    ),
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": MAX_FEED_LIMIT},
                        N_("page size, capped at api.feed_max_limit"),
                    ),
                ],
                "responses": _responses(
                    400,
                    401,
                    403,
                    429,
                    ok=shared("feed-page"),
                    described={
                        400: N_(
                            "A malformed query parameter, or a `since` cursor this node did "
                            "not hand out (unknown, or behind the start of the feed)"
                        )
                    },
                ),
            },
            "post": {
                "operationId": "pushChanges",
                "summary": N_("Push records and tombstones (scope changes:push)"),
                "description": N_(
                    "One receipt per item, in order: applied, unchanged, rejected "
                    "(with JSON-pointer errors) or conflict. `source` must be the token's peer; a "
                    "peer pushes only records whose origin it is, unless configured as a relay. "
                    "Records from a peer with trust=review are held for review (applied, message "
                    "'held for review'). The same batch twice changes nothing."
                ),
                "security": PEER,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": shared("push-batch")}},
                },
                "responses": _responses(400, 401, 403, 413, 422, 429, ok=shared("push-receipts")),
            },
        },
        "/api/v1/enquiries": {
            "post": {
                "operationId": "pushEnquiries",
                "summary": N_("Push enquiry messages (scope enquiries:push)"),
                "description": N_(
                    "Buyer enquiries and their answers between nodes. One receipt per message, "
                    "in order: `accepted` (delivered here, or relayed by a hub), `duplicate` "
                    "(this message id arrived before; nothing changes) or `rejected` (with "
                    "JSON-pointer errors). Each message is checked on its own against the "
                    "`enquiry-message` schema. Nothing about enquiries appears in the change "
                    "feed or OAI-PMH."
                ),
                "security": PEER,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": shared("enquiry-batch")}},
                },
                "responses": _responses(
                    400, 401, 403, 413, 422, 429, ok=shared("enquiry-receipts")
                ),
            },
        },
    }


@cache
def _shared_components() -> dict[str, Any]:
    return {f"shared-{uri.split('/')[-3]}": schema for uri, schema in load_schemas().items()}


def openapi_document(server_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document for a server at ``server_url``."""
    node = current_app.config["SMEDIR"]["node"]
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": f"{node['name']} API",
            "version": "1.0.0",
            "description": N_(
                "Public listings, SME owners' listings, focal points' duplicate decisions, "
                "and the node-to-node exchange (change feed and push). Errors are RFC 9457 "
                "problem documents, in Khmer with Accept-Language: km. Shared record shapes: "
                "/api/schemas/<name>.schema.json. Harvesters: OAI-PMH 2.0 at /oai."
            ),
        },
        "servers": [{"url": server_url}],
        "paths": _paths(),
        "components": {
            "schemas": {
                "Problem": _problem_schema(),
                "OwnerListing": _owner_listing_schema(),
                "Quality": _quality_schema(),
                **_duplicate_schemas(),
                **_shared_components(),
            },
            "securitySchemes": {
                "peerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": N_("A peer token from /admin/tokens"),
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": N_("Writes also need the X-CSRFToken header"),
                },
                "personalToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": N_("A user's personal token (/account/tokens)"),
                },
            },
        },
    }


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI document."""
    document = openapi_document(request.host_url.rstrip("/"))
    return json_response(document)


@bp.get("/schemas/<name>.schema.json")
def shared_schema(name: str):
    """A shared JSON Schema file, as it is in ``schemas/``."""
    path = SCHEMA_DIR / f"{name}.schema.json"
    if "/" in name or "." in name or not path.is_file():
        abort(404)
    return Response(path.read_bytes(), mimetype="application/schema+json")


@bp.get("/docs")
def docs():
    """A readable page listing every operation of the OpenAPI document, its prose in the page's
    language (the document's English strings are in the catalogue); code stays code."""
    document = openapi_document(request.host_url.rstrip("/"))
    operations = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            params = item.get("parameters", []) + op.get("parameters", [])
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "op": op,
                    "params": params,
                    "body": _body_ref(op),
                }
            )
    names = sorted(p.name.removesuffix(".schema.json") for p in SCHEMA_DIR.glob("*.schema.json"))
    return render_template(
        "api/docs.html",
        info=document["info"],
        operations=operations,
        schema_names=names,
        schemes=document["components"]["securitySchemes"],
        prose=prose,
    )


def prose(text: str) -> Markup:
    """An English string of the document in the page's language, `code` spans as <code>."""
    return Markup(CODE_SPAN.sub(r"<code>\1</code>", str(escape(gettext(text)))))


def _body_ref(op: dict) -> str | None:
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = body.get("schema", {}).get("$ref", "")
    return ref.split("/")[-1] if ref else None
