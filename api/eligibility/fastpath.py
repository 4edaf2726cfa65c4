"""GET /v1/eligibility answered before FastAPI, its middleware and its routing.

Settlement systems call it for every claim, so `PointsApp.__call__` hands it the request first: it reads the
headers once, makes the request id, answers a well-formed check of someone in the snapshot from pre-rendered
bytes, and counts the request in the log's per-second summary. Everything else goes through `answer_query`, as
the documented FastAPI route of the same path answers (the route serves it when the fast path is not installed,
and answers `known_at`, which the fast path hands it)."""
import logging
from datetime import date, datetime
from time import perf_counter
from urllib.parse import unquote_plus

from fastapi.concurrency import run_in_threadpool
from pydantic_core import to_json
from sqlalchemy.exc import OperationalError

from api import languages, request_log
from api.auth.tokens import Role
from api.dates import query_day
from api.deps import authenticate_state, check_role
from api.eligibility import service
from api.eligibility.known_at import query_known_at
from api.eligibility.repository import load_ledgers_by_code
from api.errors import DATABASE_DOWN, InvalidRequest
from api.live import app_engine, read_session
from api.request_log import CURRENT, RequestContext, error_envelope, note_actor
from points.dates import parse_day
from points.errors import DomainError
from points.privacy import mask_id_numbers

logger = logging.getLogger("points.eligibility")
PATH = "/v1/eligibility"
_TRUE, _FALSE = {"1", "true", "on", "yes", "t", "y"}, {"0", "false", "off", "no", "f", "n"}
ROLES = (Role.SETTLEMENT, Role.SUPERVISOR)


def flag(text: str) -> bool | None:
    """`emergency` as the route reads it (true/1/yes/on/t/y, false/0/no/off/f/n, any case); None for anything else."""
    lowered = text.lower()
    return True if lowered in _TRUE else False if lowered in _FALSE else None


def parse_bool(text: str) -> bool:
    value = flag(text)
    if value is None:
        raise InvalidRequest(f"emergency must be true or false, got {text!r}")
    return value


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
        exc = InvalidRequest(f"query parameter `{name}` is given more than once; send it once", "DUPLICATE_PARAMETER",
                             name=name)
        exc.details = [{"loc": ["query", name], "message": exc.message}]
        raise exc


def asks_known_at(query_string: bytes) -> bool:
    """`known_at` is given (perhaps percent-encoded): answered from the ledger by the general route."""
    return (b"known_at" in query_string or b"%" in query_string) and "known_at" in _query(query_string)[0]


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


def error_body(exc: DomainError, lang: str = languages.API_DEFAULT) -> tuple[int, bytes]:
    """The app's error answer, its message in `lang` as the app gives it (api/languages.py)."""
    body = error_envelope(exc.code, exc.message, getattr(exc, "details", None))
    return getattr(exc, "status", 422), to_json(languages.localise(body, lang, getattr(exc, "params", None)))


def failure_body(code: str, message: str, lang: str) -> bytes:
    return to_json(languages.localise(error_envelope(code, message), lang))


class EligibilityFastPath:
    """GET /v1/eligibility in front of everything else (`PointsApp.__call__` hands it the request before FastAPI,
    Starlette's middleware and routing): it makes the request's id, logs it, and answers. A well-formed check
    of someone in the snapshot is answered from pre-rendered bytes; anything else (an error, someone this process
    changed, no snapshot yet) through `answer_query`, as the route answers. A request with a body, an
    oversized head or `known_at` goes to the general stack (`general`), which answers it."""

    def __init__(self, main, general):
        self.main, self.general = main, general
        self.live, self.tokens = main.state.live, main.state.tokens
        self.state = main.state._state  # the app's state as a dict: settings may be replaced (tests do)

    async def __call__(self, scope, receive, send):
        query_string = scope["query_string"]
        size, token, api_key, request_id, body = len(query_string) + len(scope["raw_path"]) + 16, None, None, None, False
        accept_language = None
        for name, value in scope["headers"]:
            size += len(name) + len(value) + 4
            if name == b"x-api-key":
                api_key = value
            elif name == b"authorization":
                token = value
            elif name == b"x-request-id" and request_id is None:  # the first, as the request log takes it
                request_id = value
            elif name == b"content-length" and value != b"0" or name == b"transfer-encoding":
                body = True
            elif name == b"accept-language":
                accept_language = value
        if body or size > self.state["settings"].max_header_bytes or asks_known_at(query_string):
            return await self.general(scope, receive, send)
        clock = perf_counter()
        context = RequestContext(request_log.id_from(request_id))
        CURRENT.set(context)
        token = token_of(scope["headers"]) if token is not None or api_key is None else api_key.decode("latin-1")
        try:
            answer = self.snapshot_answer(token, query_string)
            if answer is not None:
                status = 200
            else:
                lang = languages.negotiate(accept_language)
                status, answer = await self.answer(token, query_string, lang)
        except Exception:
            logger.exception("GET /v1/eligibility failed")
            lang = languages.negotiate(accept_language)
            status, answer = 500, failure_body("INTERNAL_ERROR", request_log.failure_message(), lang)
        context.status = status
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(answer)),
                   (request_log.HEADER, context.id.encode())]
        if status != 200:  # an error: its message's language, as the app's error answers say it
            headers += [(k.lower().encode(), v.encode()) for k, v in languages.headers(lang).items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})
        request_log.done(perf_counter() - clock, context, "GET", PATH)

    def snapshot_answer(self, token: str | None, query_string: bytes) -> bytes | None:
        """The answer's bytes when the request is well formed, allowed, and about someone the snapshot holds as
        sent; None for anything else (answered by `answer_query`, errors included)."""
        live = self.live
        snapshot, principal = live.snapshot, self.tokens.cached(token)
        if snapshot is None or principal is None or principal.role not in ROLES or principal.id in live.revoked:
            return None
        code = day_text = emergency = None
        for pair in query_string.split(b"&"):
            name, _, value = pair.partition(b"=")
            if name == b"code" and code is None:
                code = value
            elif name == b"date" and day_text is None:
                day_text = value
            elif name == b"emergency" and emergency is None:
                emergency = value
            else:  # a repeat, another parameter, an encoded name: as the route reads them
                return None
        if code is None or day_text is None or (text := code.decode("latin-1")) in snapshot.dirty:
            return None
        if emergency is None or emergency == b"false" or emergency == b"true":  # as sent nearly always
            emergency = emergency == b"true"
        elif (emergency := flag(emergency.decode("latin-1"))) is None:
            return None
        try:
            day = parse_day(day_text.decode("latin-1"))
        except DomainError:
            return None
        number = snapshot.state(text, day.toordinal())  # None unless the code is well formed as sent
        if number is None:
            return None
        note_actor(principal)
        return b'{"code":"%s","date":"%s",%s' % (code, day_text, snapshot.tail(number, text, day, emergency))

    async def answer(self, token: str | None, query_string: bytes, lang: str) -> tuple[int, bytes]:
        """Everything the snapshot does not answer, in the route's order: a repeated parameter or a bad
        `emergency` is refused after authentication (a request that may not ask hears that first), then
        `answer_query`."""
        query, repeated = _query(query_string)
        try:
            try:
                if repeated:
                    refuse_repeated(query_string)
                emergency = parse_bool(query.get("emergency", "false"))
            except DomainError:
                check_role(authenticate_state(self.main.state, token), ROLES)
                raise
            return 200, await answer_query(self.main, token, query.get("code"), query.get("date"), emergency)
        except DomainError as exc:
            return error_body(exc, lang)
        except OperationalError:
            return 503, failure_body("DATABASE_UNAVAILABLE", DATABASE_DOWN, lang)
