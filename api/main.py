"""The FastAPI application. Every failure answers `{"error": {"code", "message", "request_id"}}` with a 4xx, 500
or 503 status (an HTML page under /ui)."""
import asyncio
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import date
from http import HTTPStatus

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import audit as audit_chain
from api import languages, request_log
from api.auth.service import TokenCache
from api.catalogue.routes import router as catalogue_router
from api.claims.routes import router as claims_router
from api.clock import today_in_china, utcnow
from api.dates import date_error
from api.docs_offline import install_offline_docs
from api.eligibility.fastpath import PATH, EligibilityFastPath
from api.eligibility.routes import router as eligibility_router
from api.errors import DATABASE_DOWN
from api.evidence.routes import router as evidence_router
from api.feed.routes import router as feed_router
from api.health import install_health
from api.limits import RequestLimits
from api.live import Live, app_engine
from api.logs import install_masking
from api.openapi import install_openapi
from api.people.routes import router as people_router
from api.policy import load_policy
from api.request_log import RequestLog, error_envelope
from api.settings import Settings, get_settings
from api.supervision.routes import router as supervision_router
from api.web import error_page, install_pages, is_page
from api.webhooks.routes import router as webhooks_router
from points import Policy
from points.errors import DomainError

DESCRIPTION = """Payment-eligibility points for medical-insurance staff (医保支付资格管理).

Authenticate with `Authorization: Bearer <token>` (or `X-API-Key: <token>`); tokens are issued with
`points token issue`. Errors are `{"error": {"code": "...", "message": "...", "request_id": "..."}}`; every
response carries `X-Request-ID` (yours when you send a valid one). Every POST accepts an
`Idempotency-Key` header: a repeat of the same request returns the first answer.
"""


def _error(status: int, code: str, message: str, details: list | None = None, request: Request | None = None,
           headers: dict | None = None, params: dict | None = None):
    """JSON for the API, its message in the language Accept-Language asks for (api/languages.py); the same error
    as an HTML page under /ui, in the page's language."""
    body = error_envelope(code, message, details)  # before the page too: the code goes on the log line
    if request is not None and is_page(request):
        response = error_page(request, status, code, message, params)
        response.headers.update(headers or {})
        return response
    lang = languages.negotiate(request.headers.get("accept-language") if request is not None else None)
    return JSONResponse(languages.localise(body, lang, params), status_code=status,
                        headers={**(headers or {}), **languages.headers(lang)})


def _http_code(status: int) -> str:
    """NOT_FOUND, METHOD_NOT_ALLOWED, ...: the status's name, as an error code."""
    try:
        return HTTPStatus(status).name
    except ValueError:
        return "HTTP_ERROR"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError):
        """Rule violations are 422; AppErrors name their own status (401, 403, 404, 409)."""
        return _error(getattr(exc, "status", 422), exc.code, exc.message, getattr(exc, "details", None), request,
                      params=getattr(exc, "params", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        lang = languages.negotiate(request.headers.get("accept-language"))  # details: pages show field errors
        details = [{"loc": list(e["loc"]), "message": languages.validation_text(lang, e["type"], e.get("ctx"), e["msg"])}
                   for e in errors[:50]]
        if any(e["type"] == "too_long" and list(e["loc"]) == ["body"] for e in errors):
            return _error(413, "BATCH_TOO_LARGE", errors[0]["msg"], details, request)
        if bad_date := date_error(errors):  # INVALID_DATE or DATE_OUT_OF_RANGE, as on every other route
            return _error(422, *bad_date, details, request)
        return _error(422, "INVALID_REQUEST", "the request is malformed; see details", details, request)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError):
        return _error(409, "CONCURRENT_CONFLICT", "a concurrent request changed the same data; retry", request=request)

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError):
        return _error(422, "INVALID_VALUE", "a value does not fit its column (too long or out of range)",
                      request=request)

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: OperationalError):
        return _error(503, "DATABASE_UNAVAILABLE", DATABASE_DOWN, request=request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        """Routing's own answers (no such path 404, wrong method 405 with `Allow`) and any other HTTPException."""
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):  # FastAPI could not decode the body
            return _error(422, "INVALID_REQUEST", "the body is not JSON (UTF-8)", request=request)
        if exc.status_code == 404:
            message = "there is nothing at this path"
        elif exc.status_code == 405:
            message = f"method {request.method} is not allowed here"
        else:
            message = exc.detail if isinstance(exc.detail, str) else "the request was refused"
        return _error(exc.status_code, _http_code(exc.status_code), message, request=request, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        """Anything else: 500 INTERNAL_ERROR, as the eligibility fast path answers (Starlette's server-error
        middleware calls this, then re-raises so the server logs the exception)."""
        message = request_log.failure_message()
        try:
            return _error(500, "INTERNAL_ERROR", message, request=request)
        except Exception:  # noqa: BLE001 - the error page itself failed: the JSON answer is always possible
            return JSONResponse(error_envelope("INTERNAL_ERROR", message), status_code=500)


@asynccontextmanager
async def _lifespan(app: FastAPI):
    """Revocations are read before the first request; the snapshot loads in the background (requests fall back
    to the database until it is ready)."""
    install_masking()
    request_log.start(app.state.settings.log_each_check)
    live = app.state.live
    try:
        await anyio.to_thread.run_sync(live.refresh_revocations)
    except OperationalError:
        pass  # the database is down: requests answer 503 until it is back; the loop retries
    stop = asyncio.Event()
    task = asyncio.create_task(live.run(stop))
    yield
    stop.set()
    await task  # lets a refresh running in a thread finish first
    await anyio.to_thread.run_sync(request_log.flush, True)


class PointsApp(FastAPI):
    fast_path: EligibilityFastPath | None = None

    async def __call__(self, scope, receive, send):
        """GET /v1/eligibility goes to its fast path before anything else (FastAPI's own per-request work
        included); everything else, and what the fast path hands back, to FastAPI."""
        if self.fast_path is not None and scope["type"] == "http" and scope["path"] == PATH \
                and scope["method"] == "GET":
            return await self.fast_path(scope, receive, send)
        await super().__call__(scope, receive, send)

    def build_middleware_stack(self):
        """The request log outside everything, Starlette's own 500 answer included: every response has its id."""
        return RequestLog(super().build_middleware_stack())


def create_app(engine: Engine | None = None, settings: Settings | None = None, policy: Policy | None = None,
               today: Callable[[], date] | None = None, fast_path: bool = True) -> FastAPI:
    """Defaults: the configured database, settings and policy file, and today's date in China."""
    settings = settings or get_settings()
    app = PointsApp(title="points", version="0.3.0", description=DESCRIPTION, lifespan=_lifespan,
                    docs_url=None, redoc_url=None)  # served without a CDN: install_offline_docs below
    app.state.engine = engine
    app.state.policy = policy or load_policy(settings.policy_file)
    app.state.today = today or today_in_china
    app.state.now = utcnow  # the wall clock (UTC) of page sessions; tests move it
    app.state.settings = settings
    app.state.signing_key = None  # read on first use: creating it may write a file
    audit_chain.configure(settings)  # the audit key, also read on first use
    app.state.tokens = TokenCache()
    app.state.live = Live(lambda: app_engine(app), settings.snapshot, settings.snapshot_interval,
                          policy=app.state.policy, read_url=settings.read_database_url,
                          listen=settings.snapshot_listen, safety_interval=settings.snapshot_safety_interval)
    install_error_handlers(app)
    install_openapi(app)  # every operation's errors, with the ErrorEnvelope schema and examples
    install_offline_docs(app)  # /docs and /redoc with their scripts from this server
    if fast_path:
        app.fast_path = EligibilityFastPath(app, super(PointsApp, app).__call__)
    app.add_middleware(RequestLimits, main=app)  # runs before routing
    # the settlement hot path first: routes are matched in order
    for router in (eligibility_router, supervision_router, people_router, claims_router, webhooks_router,
                   feed_router, catalogue_router, evidence_router):
        app.include_router(router)
    install_pages(app)
    install_health(app)  # /healthz (liveness, from memory) and /readyz (the database, with a deadline)
    return app


app = create_app()
