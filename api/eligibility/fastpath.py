"""GET /v1/eligibility answered before FastAPI's routing and dependency injection.

Settlement systems call it for every claim, so it runs as a small ASGI middleware. The FastAPI route of the same
path documents it (OpenAPI) and answers identically, through the same `answer_query`, when the middleware is not
installed."""
from datetime import date
from urllib.parse import unquote_plus

from fastapi.concurrency import run_in_threadpool
from pydantic_core import to_json
from sqlalchemy.exc import OperationalError

from api.auth.tokens import Role
from api.deps import authenticate_state, check_role
from api.eligibility import service
from api.errors import InvalidRequest
from api.live import app_engine, read_session
from points.errors import DomainError

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
        return service.check_one_in_db(session, code, day, emergency)


async def answer_query(app, token: str | None, code: str | None, day_text: str | None, emergency: bool) -> bytes:
    """The whole GET /v1/eligibility: authenticate, validate, answer (snapshot, else database). Raises DomainError."""
    state = app.state
    check_role(authenticate_state(state, token), ROLES)
    if not code or not day_text:
        raise InvalidRequest("query parameters `code` and `date` are required")
    if len(code) > 32:
        raise InvalidRequest("code is at most 32 characters")
    day, snapshot = service.parse_day(day_text), state.live.snapshot
    if snapshot is None or code not in snapshot.entries:  # only well-formed codes are in the snapshot
        code = service.normalise_code(code, state.policy.person_prefixes)
    if snapshot is not None and snapshot.knows(code):
        answer = snapshot.answer(code, day, emergency)
    else:
        answer = await run_in_threadpool(_from_db, app, code, day, emergency)
    return to_json(answer.as_dict())


def _query(raw: bytes) -> dict[str, str]:
    out = {}
    for pair in raw.decode("latin-1").split("&"):
        name, _, value = pair.partition("=")
        if name and name not in out:
            out[name] = unquote_plus(value) if "%" in value or "+" in value else value
    return out


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
    return getattr(exc, "status", 422), to_json({"error": {"code": exc.code, "message": exc.message}})


class EligibilityFastPath:
    def __init__(self, app, main):
        self.app, self.main = app, main

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "GET":
            return await self.app(scope, receive, send)
        query = _query(scope["query_string"])
        try:
            emergency = parse_bool(query.get("emergency", "false"))
            status, body = 200, await answer_query(self.main, token_of(scope["headers"]), query.get("code"),
                                                   query.get("date"), emergency)
        except DomainError as exc:
            status, body = error_body(exc)
        except OperationalError:
            status, body = 503, to_json({"error": {"code": "DATABASE_UNAVAILABLE",
                                                   "message": "the database is not reachable; retry shortly"}})
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
