"""Per-process caches, refreshed in the background: the eligibility snapshot and the revoked token ids.
Requests read them without I/O; a failed refresh keeps the last good copy and is retried."""
import asyncio
import logging
import threading
import time
from contextlib import suppress

import anyio
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.db.models import ApiToken
from api.eligibility.snapshot import Snapshot, load_snapshot, refresh_snapshot
from points import Policy

log = logging.getLogger("points.live")


class Live:
    def __init__(self, engine_fn, snapshot: bool = True, interval: float = 0.25, revocation_interval: float = 1.0, *,
                 policy: Policy):
        self.engine_fn, self.use_snapshot, self.interval, self.policy = engine_fn, snapshot, interval, policy
        self.revocation_interval = revocation_interval
        self.snapshot: Snapshot | None = None
        self._pending: set[str] = set()  # invalidated before the first snapshot was installed
        self._lock = threading.Lock()
        self.revoked: frozenset[str] = frozenset()
        self._revocations_read = float("-inf")
        self.last_refresh_error: str | None = None

    def _session(self) -> Session:
        return read_session(self.engine_fn())

    def refresh_revocations(self) -> None:
        with self._session() as session:
            self.revoked = frozenset(session.scalars(select(ApiToken.id).where(ApiToken.revoked_at.is_not(None))))
        self._revocations_read = time.monotonic()

    def tick(self) -> None:
        if time.monotonic() - self._revocations_read >= self.revocation_interval:
            self.refresh_revocations()
        if self.use_snapshot:
            with self._session() as session:
                if self.snapshot is None:
                    started = time.perf_counter()
                    snapshot = load_snapshot(session, self.policy)
                    with self._lock:
                        snapshot.invalidate(self._pending)
                        self.snapshot, self._pending = snapshot, set()
                    log.info("eligibility snapshot: %d people in %.1f s", len(snapshot),
                             time.perf_counter() - started)
                else:
                    refresh_snapshot(session, self.snapshot)

    def invalidate(self, codes) -> None:
        """This process changed these people: answer them from the database until they are reloaded."""
        if not codes:
            return
        with self._lock:
            if self.snapshot is None:
                self._pending.update(codes)
            else:
                self.snapshot.invalidate(codes)

    async def run(self, stop: asyncio.Event) -> None:
        """Refresh until `stop` is set. Stopping is cooperative: a refresh running in a thread cannot be
        cancelled, and must not outlive the app (its transaction would hold locks)."""
        while not stop.is_set():
            try:
                await anyio.to_thread.run_sync(self.tick)
                self.last_refresh_error = None
            except Exception as exc:  # keep serving the last good copy
                if self.last_refresh_error != repr(exc):
                    log.warning("background refresh failed: %r", exc)
                self.last_refresh_error = repr(exc)
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)


def app_engine(app) -> Engine:
    from api.db.engine import default_engine

    return app.state.engine or default_engine()


def read_session(engine: Engine) -> Session:
    """A read-only session (a deferred BEGIN on SQLite: never queues behind writers)."""
    session = Session(engine)
    session.connection(execution_options={"read_only": True})
    return session
