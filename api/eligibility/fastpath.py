"""GET /v1/eligibility answered before FastAPI's routing and dependency injection.

Settlement systems call it for every claim, so it runs as a small ASGI middleware. The FastAPI route of the same
path documents it (OpenAPI) and answers identically, through the same `answer_query`, when the middleware is not
installed."""
from datetime import date, datetime
from urllib.parse import unquote_plus

from fastapi.concurrency import run_in_threadpool
from pydantic_core import to_json
from sqlalchemy.exc import OperationalError

from api.auth.tokens import Role
from api.dates import query_day
from api.deps import authenticate_state, check_role
from api.eligibility import service
from api.eligibility.known_at import query_known_at
from api.eligibility.repository import load_ledgers_by_code
from api.errors import InvalidRequest
from api.live import app_engine, read_session
from api.request_log import error_envelope
from points.errors import DomainError
from points.privacy import mask_id_numbers

PATH = "/v1/eligibility"
_TRUE, _FALSE = {"1", "true", "on", "yes", "t", "y"}, {"0", "false", "off", "no", "f", "n"}
ROLES = (Role.SETTLEMENT, Role.SUPERVISOR)


def parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise InvalidRequest(f"emergency must be true or false, got {text!r}")


def _from_db(app, code: str, day: date, emergency: bool) -> service.Answer:
    with read_session(app_engine(app)) as session:
        return service.check_one_in_db(session, code, day, emergency, app.state.policy)


def _known_at_from_db(app, code: str, day: date, emergency: bool, at: datetime) -> bytes:
    with read_session(app_engine(app)) as session:
        ledgers = load_ledgers_by_code(session, [code])
    answer = service.Answer(code, day, *service.known_at_verdict(ledgers, app.state.policy)(code, day, emergency, at))
    return to_json({**answer.as_dict(), "known_at": at.isoformat()})


async def answer_query(app, token: str | None, code: str | None, day_text: str | None, emergency: bool,
                       known_at: str | None = None) -> bytes:
    """The whole GET /v1/eligibility: authenticate, validate, answer (snapshot, else database). Raises DomainError.
    With `known_at`, as the record stood at that instant: derived from the ledger (the snapshot only knows now)."""
    state = app.state
    check_role(authenticate_state(state, token), ROLES)
    if not code or not day_text:
        raise InvalidRequest("query parameters `code` and `date` are required")
    if len(code) > 32:
        raise InvalidRequest("code is at most 32 characters")
    day, snapshot = query_day(day_text), state.live.snapshot
    if known_at is not None:
        at = query_known_at(known_at)
        code = service.normalise_code(code, state.policy.person_prefixes)
        return await run_in_threadpool(_known_at_from_db, app, code, day, emergency, at)
    answer = snapshot.answer_as_sent(code, day, emergency) if snapshot is not None else None
    if answer is None:  # not in the snapshot as sent (only well-formed codes are), or changed by this process
        code = service.normalise_code(code, state.policy.person_prefixes)
        if snapshot is not None and snapshot.knows(code):
            answer = snapshot.answer(code, day, emergency)
        else:
            answer = await run_in_threadpool(_from_db, app, code, day, emergency)
    return to_json(answer.as_dict())


def _query(raw: bytes) -> tuple[dict[str, str], str | None]:
    """The parameters, and the first name given more than once (refused: FastAPI reads the last)."""
    out, repeated = {}, None
    for pair in raw.decode("latin-1").split("&"):
        name, _, value = pair.partition("=")
        if "%" in name or "+" in name:  # as the route reads it (known%5Fat is known_at)
            name = unquote_plus(name)
        if name in out:
            repeated = repeated or name
        elif name:
            out[name] = unquote_plus(value) if "%" in value or "+" in value else value
    return out, repeated


def refuse_repeated(raw_query: bytes) -> None:
    """422 DUPLICATE_PARAMETER, naming the parameter, when one is given twice (the route's check too)."""
    if repeated := _query(raw_query)[1]:
        name = mask_id_numbers(repeated[:40])
        exc = InvalidRequest(f"query parameter `{name}` is given more than once; send it once", "DUPLICATE_PARAMETER")
        exc.details = [{"loc": ["query", name], "message": exc.message}]
        raise exc


def token_of(headers) -> str | None:
    api_key = None
    for name, value in headers:
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                return credentials.strip()
        elif name == b"x-api-key":
            api_key = value.decode("latin-1")
    return api_key


def error_body(exc: DomainError) -> tuple[int, bytes]:
    return getattr(exc, "status", 422), to_json(error_envelope(exc.code, exc.message, getattr(exc, "details", None)))


class EligibilityFastPath:
    def __init__(self, app, main):
        self.app, self.main = app, main

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "GET":
            return await self.app(scope, receive, send)
        query, repeated = _query(scope["query_string"])
        if "known_at" in query:  # as known at an instant: derived from the database by the general route
            return await self.app(scope, receive, send)
        token = token_of(scope["headers"])
        try:
            try:
                if repeated:
                    refuse_repeated(scope["query_string"])
                emergency = parse_bool(query.get("emergency", "false"))
            except DomainError:  # as on the route: a request that may not ask hears that first
                check_role(authenticate_state(self.main.state, token), ROLES)
                raise
            status, body = 200, await answer_query(self.main, token, query.get("code"), query.get("date"), emergency)
        except DomainError as exc:
            status, body = error_body(exc)
        except OperationalError:
            status, body = 503, to_json(error_envelope("DATABASE_UNAVAILABLE",
                                                       "the database is not reachable; retry shortly"))
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
