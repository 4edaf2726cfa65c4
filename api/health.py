"""Liveness and readiness, for a load balancer or an orchestrator (see docs/operations.md, *Health checks*).

- `GET /healthz` (liveness) answers from this process's memory, on the event loop: it never touches the
  database, waits for a lock or takes one of the request threads, so a long write transaction (an import
  holding SQLite's write lock) or a database outage cannot make a live process look dead.
- `GET /readyz` (readiness) reads the main database once with a deadline (`READY_TIMEOUT`) and checks that the
  eligibility snapshot has loaded (when it is on). The read runs in a thread of its own and is awaited at most
  until the deadline, whatever the driver does (SQLite's busy timeout, a TCP connect to a host that does not
  answer). One read at a time per process: probes arriving while it runs share it, and a read still running
  after the deadline answers the next probes 503 at once instead of starting another thread.
"""
import asyncio
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from api.live import app_engine
from api.request_log import error_envelope
from points.privacy import mask_id_numbers

log = logging.getLogger("points.health")
READY_TIMEOUT = 2.0  # seconds: the longest /readyz waits for the database


class SnapshotInfo(BaseModel):
    people: int
    version: int


class Health(BaseModel):
    status: str = "ok"
    pid: int
    snapshot: SnapshotInfo | None  # null until loaded, or when POINTS_SNAPSHOT=false
    refresh_error: str | None  # the snapshot's last background refresh failed with this (it keeps the last copy)


class DatabaseInfo(BaseModel):
    schema_revision: str  # the Alembic revision the database is at
    ms: float  # how long the read took


class Ready(Health):
    status: str = "ready"
    database: DatabaseInfo


def _error_example(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message, "request_id": "5f0c2a9e00000001"}}


NOT_READY_RESPONSE = {200: {"description": "Ready: send traffic to this process."}, 503: {
    "description": "Not ready: take this process out of rotation. `DATABASE_UNAVAILABLE`: the database did not "
                   "answer within the deadline, or refused; `NOT_READY`: the eligibility snapshot has not loaded "
                   "yet.",
    "content": {"application/json": {"examples": {
        "DATABASE_UNAVAILABLE": {"value": _error_example(
            "DATABASE_UNAVAILABLE", f"the database did not answer within {READY_TIMEOUT:g} s")},
        "NOT_READY": {"value": _error_example("NOT_READY", "the eligibility snapshot has not loaded yet")}}}}}}


class DatabaseProbe:
    """One read of the main database, in its own thread, awaited until a deadline."""

    def __init__(self, engine_fn: Callable[[], Engine], timeout: float = READY_TIMEOUT):
        self.engine_fn, self.timeout = engine_fn, timeout
        self._lock = threading.Lock()
        self._running: tuple[float, Future] | None = None
        self._probe_engines: tuple[Engine, Engine] | None = None  # (the app's engine, the probe's)
        self.last_error: str | None = None

    def _engine(self) -> Engine:
        """SQLite: the app's engine, read-only (a deferred BEGIN never queues behind a writer in WAL mode).
        PostgreSQL: a connection of its own per probe, with a connect timeout, so a full pool or a dead host
        cannot hold it."""
        engine = self.engine_fn()
        if engine.dialect.name != "postgresql":
            return engine
        if self._probe_engines is None or self._probe_engines[0] is not engine:
            probe = create_engine(engine.url, poolclass=NullPool,
                                  connect_args={"connect_timeout": max(1, math.ceil(self.timeout))})
            self._probe_engines = (engine, probe)
        return self._probe_engines[1]

    def read(self) -> tuple[str | None, DatabaseInfo | None]:
        """(None, facts) when the database answered, else (why not, None). Runs in the probe's thread."""
        started = time.perf_counter()
        try:
            engine = self._engine()
            with engine.connect() as conn:
                if engine.dialect.name == "sqlite":
                    conn.execution_options(read_only=True)
                elif engine.dialect.name == "postgresql":
                    conn.execute(text(f"SET LOCAL statement_timeout = {max(1, int(self.timeout * 1000))}"))
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            detail = mask_id_numbers(repr(exc))[:500]
            if detail != self.last_error:
                log.warning("readiness: the database check failed: %s", detail)
            self.last_error = detail
            if any(word in detail.lower() for word in ("timeout", "timed out", "locked")):
                return f"the database did not answer within {self.timeout:g} s", None
            return "the database is not reachable", None
        self.last_error = None
        if revision is None:
            return "the database has no schema (run `points init-db`)", None
        return None, DatabaseInfo(schema_revision=revision, ms=round((time.perf_counter() - started) * 1000, 3))

    def _run(self, future: Future) -> None:
        try:
            future.set_result(self.read())
        except BaseException as exc:  # noqa: BLE001 - never leave a waiting probe without an answer
            future.set_result((f"the database check failed: {type(exc).__name__}", None))

    async def check(self) -> tuple[str | None, DatabaseInfo | None]:
        with self._lock:
            if self._running is None or self._running[1].done():
                future: Future = Future()
                future.set_running_or_notify_cancel()
                self._running = (time.monotonic(), future)
                threading.Thread(target=self._run, args=(future,), name="points-readiness", daemon=True).start()
            started, future = self._running
        remaining = started + self.timeout - time.monotonic()
        if remaining > 0:
            try:
                return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), remaining)
            except asyncio.TimeoutError:
                pass
        if future.done():  # finished right at the deadline
            return future.result()
        return f"the database did not answer within {self.timeout:g} s", None


def _snapshot(live) -> dict:
    snapshot = live.snapshot
    return {"snapshot": {"people": len(snapshot), "version": snapshot.version} if snapshot is not None else None,
            "refresh_error": live.last_refresh_error}


router = APIRouter(tags=["ops"])


@router.get("/healthz", response_model=Health, responses={200: {"description": "Alive (the only answer)."}},
            summary="Liveness: the process is up (answered from memory, never waits for the database)",
            description="For a liveness check: 200 whenever the process can answer HTTP at all. It does not touch "
                        "the database, so a long write transaction or a database outage does not fail it. "
                        "`snapshot` is this worker's eligibility snapshot (null until loaded, or when it is off), "
                        "`refresh_error` its last failed background refresh, `pid` the worker process.")
async def healthz(request: Request) -> dict:
    return {"status": "ok", "pid": os.getpid(), **_snapshot(request.app.state.live)}


@router.get("/readyz", response_model=Ready, responses=NOT_READY_RESPONSE,
            summary=f"Readiness: the database answers within {READY_TIMEOUT:g} s and the snapshot has loaded",
            description=f"For a load balancer's readiness check: 200 when one read of the main database answered "
                        f"within {READY_TIMEOUT:g} s and (unless `POINTS_SNAPSHOT=false`) this worker's "
                        f"eligibility snapshot has loaded; else 503 with the error envelope. It answers within "
                        f"about {READY_TIMEOUT:g} s whatever the database does.")
async def readyz(request: Request):
    live = request.app.state.live
    problem, database = await request.app.state.readiness.check()
    if problem is not None:
        return JSONResponse(error_envelope("DATABASE_UNAVAILABLE", problem), status_code=503)
    if live.use_snapshot and live.snapshot is None:
        return JSONResponse(error_envelope("NOT_READY", "the eligibility snapshot has not loaded yet"),
                            status_code=503)
    return {"status": "ready", "pid": os.getpid(), "database": database, **_snapshot(live)}


def install_health(app: FastAPI, timeout: float = READY_TIMEOUT) -> None:
    app.state.readiness = DatabaseProbe(lambda: app_engine(app), timeout)
    app.include_router(router)
