"""The FastAPI application: one uniform error envelope `{"error": {"code", "message"}}` for every failure."""
from fastapi import FastAPI, Request
from sqlalchemy.engine import Engine
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from api.db.engine import default_engine
from points.errors import DomainError


def _error(status: int, code: str, message: str, details: list | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    return JSONResponse(body, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(_: Request, exc: DomainError):
        """Rule violations are 422; AppErrors name their own status (404, 409, ...)."""
        return _error(getattr(exc, "status", 422), exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError):
        details = [{"loc": list(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        return _error(422, "INVALID_REQUEST", "the request is malformed; see details", details)

    @app.exception_handler(OperationalError)
    async def _db_down(_: Request, exc: OperationalError):
        return _error(503, "DATABASE_UNAVAILABLE", "the database is not reachable; retry shortly")


def engine_of(request: Request) -> Engine:
    return request.app.state.engine or default_engine()


def create_app(engine: Engine | None = None) -> FastAPI:
    """`engine` defaults to the configured database, resolved on first use."""
    app = FastAPI(title="points", version="0.1.0",
                  description="Payment-eligibility points for medical-insurance staff (医保支付资格管理).")
    app.state.engine = engine
    install_error_handlers(app)

    @app.get("/healthz", tags=["ops"], summary="Liveness and database reachability")
    def healthz(request: Request) -> dict:
        with engine_of(request).connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok"}

    return app


app = create_app()
