"""The OpenAPI document's errors: every operation lists the error statuses it can answer, each with the one
`ErrorEnvelope` schema and an example of a real code of that operation. FastAPI's own 422 schema
(`HTTPValidationError`), which this service never answers, is removed.

Statuses are inferred from the route: a secured route answers 401 (and 403 when some role may not use it), a
path with an id 404, any parameter or body 422, a POST/PUT/PATCH 413, a request-scoped database session 503 and,
on writes, 409. `ROUTE_ERRORS` adds each operation's own codes (first, as its examples) and removes what cannot
happen. A route added later is documented by the inference alone until it gets its own line there."""
from collections import defaultdict
from collections.abc import Iterable, Iterator

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.deps import get_read_session, get_session
from api.errors import DATABASE_DOWN
from api.idempotency import get_idempotency

ENVELOPE_REF = "#/components/schemas/ErrorEnvelope"
ENVELOPE = {
    "title": "ErrorEnvelope",
    "description": "Every error: a stable machine-readable `code`, an English `message`, `details` for a request "
                   "that fails validation, and the request's id (also in the `X-Request-ID` header).",
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message", "request_id"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$", "examples": ["PRACTITIONER_NOT_FOUND"],
                     "description": "UPPER_SNAKE; stable (see the list of codes per status in the API guide)"},
            "message": {"type": "string", "description": "for people, in English; never holds an ID number"},
            "details": {"type": "array", "description": "the fields that failed validation, one entry each",
                        "items": {"type": "object", "required": ["loc", "message"], "properties": {
                            "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                                    "description": "where: `[\"query\", \"date\"]`, `[\"body\", \"people\", 0]`"},
                            "message": {"type": "string"}}}},
            "request_id": {"type": "string", "description": "the response's `X-Request-ID`; quote it in a report"},
        },
    }},
}

DESCRIPTIONS = {401: "Not authenticated: no token, or one that is malformed, expired or revoked",
                403: "The token's role or region may not do this",
                404: "Not found, or outside the caller's scope (answered alike)",
                405: "Method not allowed",
                409: "Conflicts with the current state, or with a concurrent request",
                413: "The request body, or the number of lines in it, is over the limit",
                415: "A file's content is not of an accepted type",
                422: "The request is malformed or breaks a rule",
                500: "An unexpected failure; quote the request id",
                503: "The database is not reachable; retry shortly"}

# an example message for each code an operation documents (messages of the service, with sample values)
MESSAGES = {
    "UNAUTHENTICATED": "send `Authorization: Bearer <token>` or `X-API-Key: <token>`",
    "TOKEN_INVALID": "token signature does not verify",
    "TOKEN_EXPIRED": "token expired",
    "TOKEN_REVOKED": "token revoked",
    "ROLE_NOT_ALLOWED": "role institution may not use this endpoint",
    "OUT_OF_SCOPE": "region 310101 is outside your region 110000",
    "NOT_YOUR_DECISION": "only the authority of region 120000 that decided it, or one above it, may review this "
                         "record; your region is 110000",
    "REPAIR_NOT_PROVIDED": "the rules of region 110000 do not provide point repair",
    "NOT_REGISTERED_IN_REGION": "repairs are granted for people registered in region 110000 on the activity date",
    "NOT_FOUND": "there is nothing at this path",
    "PRACTITIONER_NOT_FOUND": "no practitioner D110105999999",
    "INSTITUTION_NOT_FOUND": "no institution H11010599999",
    "REGISTRATION_NOT_FOUND": "no registration 42",
    "RECORD_NOT_FOUND": "no point record 42",
    "CLAIM_NOT_FOUND": "no claim BJ-2026-000001",
    "SUBSCRIPTION_NOT_FOUND": "no subscription 7",
    "INSTITUTION_EXISTS": "institution H11010500001 exists",
    "ALREADY_REGISTERED": "D110105000123 is already registered at H11010500001",
    "REGISTRATION_ENDED": "registration 42 already ended on 2026-02-28",
    "DUPLICATE_RECORD": "case CASE-2026-001 already has record 42 for D110105000123",
    "NOT_REGISTERED_AT_INSTITUTION": "D110105000123 was not registered at H11010500001 by 2026-02-10",
    "RECORD_ALREADY_REVIEWED": "record 42 was already reviewed (review 7); to correct it, send supersedes=7",
    "RECORD_ANNULLED": "record 42 is annulled",
    "OBJECTION_OPEN": "record 42 already has an open objection",
    "OBJECTION_NOT_FOUND": "no objection 42",
    "OBJECTION_CLOSED": "objection 42 is reviewed; evidence goes with an open objection",
    "EVIDENCE_NOT_FOUND": "no evidence file 7",
    "EVIDENCE_TOO_LARGE": "scan.pdf is over 5,242,880 bytes, the limit per file",
    "EVIDENCE_TYPE": "notes.docx is not a PDF, JPEG or PNG file (by its content)",
    "EVIDENCE_TOO_MANY": "an objection carries at most 5 evidence files; 4 filed and 2 sent",
    "OBJECTION_TOO_LATE": "the objection period ended on 2026-03-16",
    "CLAIM_BLOCKED": "claim BJ-2026-000001 is blocked (SUSPENDED) and cannot be paid",
    "WEBHOOK_LIMIT": "this client already has 10 active subscriptions (at most 10); delete one first",
    "IDEMPOTENCY_KEY_REUSED": "this Idempotency-Key was used for a different request",
    "CONCURRENT_CONFLICT": "a concurrent request changed the same data; retry",
    "BODY_TOO_LARGE": "the request body is over 4,194,304 bytes",
    "BATCH_TOO_LARGE": "100,001 lines; at most 100,000 per request",
    "INVALID_REQUEST": "the request is malformed; see details",
    "INVALID_IDEMPOTENCY_KEY": "an Idempotency-Key must not contain a national ID number",
    "CURSOR_INVALID": "the cursor belongs to a list asked with other filters; start again without a cursor",
    "DUPLICATE_PARAMETER": "query parameter `code` is given more than once; send it once",
    "INVALID_CODE": "'D11010500012': expected a prefix + 6-digit region + 6-digit sequence",
    "INVALID_DATE": "'20250420' is not a date (YYYY-MM-DD)",
    "DATE_OUT_OF_RANGE": "9999-12-31 is outside 2000-01-01..2099-12-31",
    "INVALID_KNOWN_AT": "2026-03-01T10:00:00 has no UTC offset: it names no instant",
    "INSTITUTION_REGION_MISMATCH": "institution H31010100001 names region 310101, not 110105",
    "REGISTRATION_BACKDATED": "D120101000001 is registered in another region: a registration here starts today",
    "REGISTRATION_BANNED": "re-registration barred until 2029-02-10 (terminated 2026-02-10)",
    "REGISTRATION_END_BEFORE_START": "a registration that began 2025-01-01 cannot end on 2024-12-31",
    "REGISTRATION_END_IN_FUTURE": "end date 2026-03-02 is after today (2026-03-01)",
    "DATE_IN_FUTURE": "decision date 2026-03-02 is in the future",
    "POINTS_OUTSIDE_BAND": "violation H01 (heavier) carries 4–6 points, got 7",
    "UNKNOWN_VIOLATION": "no violation type 'Z99' in force in 110105 on 2026-02-10",
    "REVIEW_BEFORE_RECORD": "a review cannot be decided before the record it reviews",
    "POINTS_REQUIRED": "a change needs the new points",
    "REVIEW_BEFORE_LATEST": "record 42 was last reviewed on 2026-02-20; a new review cannot be decided before that",
    "MONTHS_OUT_OF_RANGE": "suspension length must be 1–6 months, got 7",
    "NO_SUSPENSION": "no current suspension triggered by record 42",
    "DECISION_DATE_OUT_OF_RANGE": "decision date 2026-03-02 must lie between the trigger's decision date 2026-02-10 "
                                  "and today 2026-03-01",
    "REPAIR_NOT_AVAILABLE": "point repair is not provided for in this region",
    "REPAIR_CAP_REACHED": "repair cap of 6 points reached for 2026",
    "NOTHING_TO_REPAIR": "no points to repair on 2026-02-01: a repair removes points already recorded in 2026 by its "
                         "activity date",
    "WEBHOOK_DESTINATION_NOT_ALLOWED": "host hooks.example.com is not on the webhook allowlist; ask the operator "
                                       "to allow it (POINTS_WEBHOOK_ALLOW)",
    "DATABASE_UNAVAILABLE": DATABASE_DOWN,
}
GENERIC_MESSAGE = "see the API guide for this code"
AUTH_CODES = ["UNAUTHENTICATED", "TOKEN_INVALID", "TOKEN_EXPIRED", "TOKEN_REVOKED"]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
WITH_BODY = {"POST", "PUT", "PATCH"}

# Each operation's own codes by status (listed first: the first is the example shown by default); None: the
# status cannot happen there, whatever the inference says.
ROUTE_ERRORS: dict[tuple[str, str], dict[int, list[str] | None]] = {
    ("GET", "/v1/eligibility"): {422: ["INVALID_DATE", "DUPLICATE_PARAMETER", "INVALID_CODE", "DATE_OUT_OF_RANGE",
                                       "INVALID_KNOWN_AT"], 503: ["DATABASE_UNAVAILABLE"]},
    ("POST", "/v1/eligibility/batch"): {413: ["BATCH_TOO_LARGE"], 503: ["DATABASE_UNAVAILABLE"]},
    ("POST", "/v1/institutions"): {403: ["OUT_OF_SCOPE"], 409: ["INSTITUTION_EXISTS"],
                                   422: ["INSTITUTION_REGION_MISMATCH", "INVALID_CODE"]},
    ("POST", "/v1/practitioners"): {404: ["INSTITUTION_NOT_FOUND"], 409: ["ALREADY_REGISTERED"],
                                    422: ["INVALID_CODE", "REGISTRATION_BACKDATED", "REGISTRATION_BANNED",
                                          "INVALID_DATE"]},
    ("POST", "/v1/registrations"): {404: ["PRACTITIONER_NOT_FOUND", "INSTITUTION_NOT_FOUND"],
                                    409: ["ALREADY_REGISTERED"],
                                    422: ["REGISTRATION_BACKDATED", "REGISTRATION_BANNED", "INVALID_DATE"]},
    ("POST", "/v1/registrations/{registration_id}/end"): {
        404: ["REGISTRATION_NOT_FOUND"], 409: ["REGISTRATION_ENDED"],
        422: ["REGISTRATION_END_BEFORE_START", "REGISTRATION_END_IN_FUTURE", "INVALID_DATE"]},
    ("GET", "/v1/practitioners"): {422: ["CURSOR_INVALID"]},
    ("POST", "/v1/cases"): {404: ["PRACTITIONER_NOT_FOUND", "INSTITUTION_NOT_FOUND"],
                            409: ["DUPLICATE_RECORD", "NOT_REGISTERED_AT_INSTITUTION"],
                            422: ["POINTS_OUTSIDE_BAND", "UNKNOWN_VIOLATION", "DATE_IN_FUTURE", "INVALID_CODE",
                                  "INVALID_DATE"]},
    ("POST", "/v1/records/{record_id}/reviews"): {
        403: ["NOT_YOUR_DECISION"], 404: ["RECORD_NOT_FOUND"], 409: ["RECORD_ALREADY_REVIEWED"],
        422: ["REVIEW_BEFORE_RECORD", "REVIEW_BEFORE_LATEST", "POINTS_OUTSIDE_BAND", "POINTS_REQUIRED",
              "DATE_IN_FUTURE"]},
    ("POST", "/v1/practitioners/{code}/suspension-decisions"): {
        403: ["NOT_YOUR_DECISION"], 404: ["PRACTITIONER_NOT_FOUND"],
        422: ["MONTHS_OUT_OF_RANGE", "NO_SUSPENSION", "DECISION_DATE_OUT_OF_RANGE", "INVALID_CODE"]},
    ("POST", "/v1/practitioners/{code}/repairs"): {
        403: ["REPAIR_NOT_PROVIDED", "NOT_REGISTERED_IN_REGION"], 404: ["PRACTITIONER_NOT_FOUND"],
        422: ["NOTHING_TO_REPAIR", "REPAIR_CAP_REACHED", "REPAIR_NOT_AVAILABLE", "DATE_IN_FUTURE"]},
    ("GET", "/v1/objections"): {422: ["CURSOR_INVALID"]},
    ("GET", "/v1/practitioners/{code}"): {404: ["PRACTITIONER_NOT_FOUND"], 422: ["INVALID_CODE"]},
    ("GET", "/v1/practitioners/{code}/history"): {404: ["PRACTITIONER_NOT_FOUND"],
                                                  422: ["CURSOR_INVALID", "INVALID_CODE"]},
    ("GET", "/v1/institutions/{code}/staff"): {404: ["INSTITUTION_NOT_FOUND"], 422: ["CURSOR_INVALID"]},
    ("GET", "/v1/me"): {404: ["PRACTITIONER_NOT_FOUND"]},
    ("GET", "/v1/me/history"): {404: ["PRACTITIONER_NOT_FOUND"], 422: ["CURSOR_INVALID"]},
    ("POST", "/v1/me/objections"): {404: ["RECORD_NOT_FOUND", "PRACTITIONER_NOT_FOUND"],
                                    409: ["OBJECTION_OPEN", "RECORD_ANNULLED"], 422: ["OBJECTION_TOO_LATE"]},
    ("GET", "/v1/me/objections"): {404: ["PRACTITIONER_NOT_FOUND"], 422: ["CURSOR_INVALID"]},
    ("POST", "/v1/me/objections/{objection_id}/evidence"): {
        404: ["OBJECTION_NOT_FOUND"], 409: ["OBJECTION_CLOSED"], 413: ["EVIDENCE_TOO_LARGE"],
        415: ["EVIDENCE_TYPE"], 422: ["EVIDENCE_TOO_MANY"]},
    ("GET", "/v1/objections/{objection_id}/evidence"): {404: ["OBJECTION_NOT_FOUND"]},
    ("GET", "/v1/objections/{objection_id}/evidence/{evidence_id}"): {404: ["EVIDENCE_NOT_FOUND"]},
    ("POST", "/v1/claims"): {413: ["BATCH_TOO_LARGE"]},
    ("GET", "/v1/claims"): {422: ["CURSOR_INVALID"]},
    ("POST", "/v1/claims/{ref}/payment"): {404: ["CLAIM_NOT_FOUND"], 409: ["CLAIM_BLOCKED"]},
    ("POST", "/v1/webhooks"): {409: ["WEBHOOK_LIMIT"], 422: ["WEBHOOK_DESTINATION_NOT_ALLOWED"]},
    ("GET", "/v1/webhooks"): {422: ["CURSOR_INVALID"]},
    ("DELETE", "/v1/webhooks/{subscription_id}"): {404: ["SUBSCRIPTION_NOT_FOUND"]},
    ("GET", "/v1/webhooks/{subscription_id}/deliveries"): {404: ["SUBSCRIPTION_NOT_FOUND"], 422: ["CURSOR_INVALID"]},
    ("GET", "/v1/violations"): {403: None, 422: ["INVALID_DATE", "DATE_OUT_OF_RANGE"]},  # every role; no database
}


def _calls(dependant: Dependant) -> Iterator:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def api_routes(app: FastAPI) -> Iterator[APIRoute]:
    """The app's API routes as the OpenAPI document sees them (with their routers' prefixes and dependencies)."""
    contexts = getattr(routing, "iter_route_contexts", None)  # FastAPI 0.16x includes routers lazily
    for route in contexts(app.routes) if contexts else app.routes:
        if isinstance(getattr(route, "original_route", route), APIRoute) and route.include_in_schema:
            yield route


def inferred_errors(route: APIRoute, method: str, operation: dict) -> dict[int, list[str]]:
    """The error statuses the route can answer, with generic codes, from its security, parameters, body and
    dependencies."""
    calls = set(_calls(route.dependant))
    codes: dict[int, list[str]] = defaultdict(list)
    if operation.get("security"):
        codes[401] += AUTH_CODES
        codes[403].append("ROLE_NOT_ALLOWED")
    if "{" in route.path_format:
        codes[404].append("NOT_FOUND")
    if method in WITH_BODY:
        codes[413].append("BODY_TOO_LARGE")
    if operation.get("parameters") or "requestBody" in operation:
        codes[422].append("INVALID_REQUEST")
    if get_idempotency in calls:
        codes[409].append("IDEMPOTENCY_KEY_REUSED")
        codes[422].append("INVALID_IDEMPOTENCY_KEY")
    if method in WRITES and get_session in calls:
        codes[409].append("CONCURRENT_CONFLICT")
    if get_session in calls or get_read_session in calls:
        codes[503].append("DATABASE_UNAVAILABLE")
    return codes


def route_errors(route: APIRoute, method: str, operation: dict) -> dict[int, list[str]]:
    codes = inferred_errors(route, method, operation)
    for status, own in ROUTE_ERRORS.get((method, route.path_format), {}).items():
        if own is None:
            codes.pop(status, None)
        elif status == 404:  # a route's own "not found" codes replace the generic one
            codes[404] = list(own)
        else:
            codes[status] = list(dict.fromkeys([*own, *codes.get(status, [])]))
    return {status: found for status, found in sorted(codes.items()) if found}


def example(code: str) -> dict:
    return {"summary": code, "value": {"error": {"code": code, "message": MESSAGES.get(code, GENERIC_MESSAGE),
                                                 "request_id": "5f0c2a9e00000c1d"}}}


def error_response(status: int, codes: Iterable[str]) -> dict:
    return {"description": DESCRIPTIONS.get(status, "Error"),
            "content": {"application/json": {"schema": {"$ref": ENVELOPE_REF},
                                              "examples": {code: example(code) for code in codes}}}}


def document_errors(schema: dict, routes: Iterable[APIRoute]) -> dict:
    """Adds every operation's error responses to `schema` (in place) and drops FastAPI's validation schemas."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components["ErrorEnvelope"] = ENVELOPE
    for route in routes:
        for method in sorted(route.methods):
            operation = schema.get("paths", {}).get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)  # FastAPI's HTTPValidationError; replaced below when the route can answer 422
            for status, codes in route_errors(route, method, operation).items():
                responses[str(status)] = _merged(responses.get(str(status)), error_response(status, codes))
            for status, response in responses.items():  # errors a route documents itself: the same schema
                if status[:1] in ("4", "5"):
                    content = response.setdefault("content", {}).setdefault("application/json", {})
                    content["schema"] = {"$ref": ENVELOPE_REF}
    return schema


def _merged(written: dict | None, inferred: dict) -> dict:
    """A route's own description and examples of a status (from `responses=` on its decorator) kept first."""
    if not written:
        return inferred
    own = written.get("content", {}).get("application/json", {}).get("examples", {})
    examples = {**own, **inferred["content"]["application/json"]["examples"]}
    return {**inferred, "description": written.get("description") or inferred["description"],
            "content": {"application/json": {"schema": {"$ref": ENVELOPE_REF}, "examples": examples}}}


def install_openapi(app: FastAPI) -> None:
    """`app.openapi()` answers FastAPI's document with the errors added: each document FastAPI builds (once,
    and again when routes are added) is completed once."""
    build, done = app.openapi, []

    def openapi() -> dict:
        schema = build()
        if not done or done[0] is not schema:
            document_errors(schema, api_routes(app))
            done[:] = [schema]
        return schema

    app.openapi = openapi
