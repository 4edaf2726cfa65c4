"""The settlement hot path: async, no database work per request when the snapshot is loaded."""
import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from pydantic_core import from_json, to_json
from starlette.background import BackgroundTask

from api.dates import SCHEMA as DAY
from api.deps import SECURITY, SettlementDep, authenticate_state, check_role
from api.eligibility import service
from api.eligibility.batch import CHUNK_LINES, Rendered, batch_chunks, decode_typed
from api.eligibility.fastpath import ROLES, answer_query, refuse_repeated, token_of
from api.eligibility.repository import load_ledgers_by_code, load_standings
from api.eligibility.schemas import MAX_BATCH, BatchLine, BatchLineError, BatchResult, EligibilityPublic
from api.errors import AppError, InvalidRequest
from api.live import app_engine, read_session

router = APIRouter(prefix="/v1/eligibility", tags=["settlement"])
JSON = "application/json"


async def _authenticate_then_refuse_repeats(request: Request) -> None:
    """Before FastAPI validates the query, as on the fast path: authentication and role, then no parameter twice."""
    check_role(authenticate_state(request.app.state, token_of(request.scope["headers"])), ROLES)
    refuse_repeated(request.scope["query_string"])


@router.get("", response_model=EligibilityPublic, openapi_extra=SECURITY,
            dependencies=[Depends(_authenticate_then_refuse_repeats)],
            summary="May this practitioner be paid for a service on this date?",
            description="医保支付资格查询。Answered from an in-memory snapshot of every person's standing, so it "
                        "needs no database work per request; a person changed a moment ago is read from the "
                        "database. With `known_at` the answer is derived from the ledger as it stood at that "
                        "instant (a few queries).")
async def eligibility(request: Request,
                      code: Annotated[str, Query(max_length=32, examples=["D110105000123"])],
                      date: Annotated[str, Query(description=f"service date, {DAY['description']}", examples=["2026-03-01"],
                                                 json_schema_extra={"format": "date", "pattern": DAY["pattern"]})],
                      emergency: Annotated[bool, Query(description="emergency or rescue care (急救、抢救)")] = False,
                      known_at: Annotated[str | None, Query(
                          description="answer as the record stood at this instant (ISO 8601 with its offset, at "
                          "most 40 characters); default: as known now", examples=["2026-03-01T10:00:00+08:00"])] = None):
    """Answered by the ASGI fast path (api/eligibility/fastpath.py) before routing; this route documents it and
    gives the same answer through the same function when the fast path is not installed. With `known_at` the
    fast path hands the request here: the answer is derived from the ledger in the database."""
    body = await answer_query(request.app, token_of(request.scope["headers"]), code, date, emergency, known_at)
    return Response(body, media_type=JSON)


_BATCH_SCHEMA = {"type": "array", "maxItems": MAX_BATCH, "items": BatchLine.model_json_schema()}


def _lines(body: bytes) -> list:
    """The body as generic JSON: an array of at most MAX_BATCH values, each line checked by the line parser."""
    if too_many_values(body):
        raise BatchTooLarge(f"more than {MAX_BATCH:,} lines of a few fields each")
    try:
        lines = from_json(body, cache_strings="keys")  # values are mostly distinct: caching them costs more
    except ValueError as exc:
        raise InvalidRequest(f"the body is not JSON: {exc}") from exc
    if type(lines) is not list:
        raise InvalidRequest("the body must be a JSON array of lines")
    if len(lines) > MAX_BATCH:
        raise BatchTooLarge(f"{len(lines):,} lines; at most {MAX_BATCH:,} per request")
    return lines


def _answer_batch(app, body: bytes) -> bytes | Rendered:
    """Off the event loop: decoding a full batch takes tens of milliseconds. Typed lines take at least 8 bytes a
    value (`"ref":"",`), so only a body longer than that allows can hold more values than a batch may: it is
    counted first, as the generic parse counts every body."""
    snapshot, policy = app.state.live.snapshot, app.state.policy
    typed = snapshot is not None and (len(body) <= 8 * VALUE_BUDGET or not too_many_values(body))
    lines = (typed and decode_typed(body)) or _lines(body)
    prefixes = policy.person_prefixes

    def from_db(codes):
        with read_session(app_engine(app)) as session:
            return service.db_verdict(load_standings(session, codes), policy)

    def known_at_for(codes):  # lines asked as known at an instant: always from the ledger in the database
        with read_session(app_engine(app)) as session:
            return service.known_at_verdict(load_ledgers_by_code(session, codes), policy)

    if snapshot is None:
        return to_json(service.answer_lines(lines, service.LineParser(prefixes), from_db, known_at_for))

    def verdict_for(codes):
        stale = codes & snapshot.dirty.keys()
        if not stale:
            return snapshot.verdict
        fresh = from_db(stale)
        return lambda c, d, e: fresh(c, d, e) if c in stale else snapshot.verdict(c, d, e)

    parser = service.LineParser(prefixes, snapshot.__contains__)
    return batch_chunks(lines, parser, snapshot, verdict_for, known_at_for)


async def _pieces(rendered: Rendered):
    for piece in rendered:  # each a millisecond or so of rendering: the event loop sends what is ready meanwhile
        yield piece


def _freed(rendered: Rendered) -> None:
    """Run once the answer is sent: until then this task holds the answer and its lines, so freeing them (about
    10 ms for 100,000 lines) comes after the caller has the whole answer."""


@router.post("/batch", response_model=list[BatchResult | BatchLineError],
             summary=f"Eligibility for up to {MAX_BATCH:,} lines, one result per line in the same order",
             openapi_extra={"requestBody": {"required": True, "content": {JSON: {"schema": _BATCH_SCHEMA}}},
                            **SECURITY})
async def eligibility_batch(request: Request, _: SettlementDep):
    """A JSON array of `{ref, code, date, emergency, known_at}` (`known_at` optional: as the record stood at that
    instant). A malformed line gets an `error` and does not affect the others. Read-only: an Idempotency-Key is
    accepted and has no effect."""
    answer = await run_in_threadpool(_answer_batch, request.app, await request.body())
    if type(answer) is bytes:
        return Response(answer, media_type=JSON)
    if len(answer) <= CHUNK_LINES or request.scope.get("http_version") == "1.0":  # no chunked transfer in 1.0
        return Response(b"".join(answer), media_type=JSON)
    # sent while the rest is rendered; the lines and answers are freed once the whole answer is sent
    return StreamingResponse(_pieces(answer), media_type=JSON, background=BackgroundTask(_freed, answer))


# A line is one object of a few fields: `{` and its commas. Bodies holding many more JSON values than a full
# batch (`[{},{},…]`: 30 MB of it parsed into 10 million objects, 860 MB) are refused before parsing.
VALUE_BUDGET = 16 * MAX_BATCH
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


def too_many_values(body: bytes) -> bool:
    """Counts `{`, `[` and `,` (each at least one value); only outside strings when the quick count is high."""
    if body.count(b",") + body.count(b"{") + body.count(b"[") <= VALUE_BUDGET:
        return False
    bare = b"".join(body.split(b'"')[::2]) if b"\\" not in body else _JSON_STRING.sub(b"", body)
    return bare.count(b",") + bare.count(b"{") + bare.count(b"[") > VALUE_BUDGET


class BatchTooLarge(AppError):
    status = 413
    code = "BATCH_TOO_LARGE"
