"""Per-process caches, refreshed in the background: the eligibility snapshot and the revoked token ids.
Requests read them without I/O; a failed refresh keeps the last good copy and is retried.

The snapshot loads and refreshes from the read database (`POINTS_READ_DATABASE_URL`, a replica; default: the
main one). On PostgreSQL a listener on the main database (api/listen.py) wakes the refresh when a change
commits, and polling every `safety_interval` only backs it up; elsewhere, or while not listening, it polls every
`interval`. Revocations and the answers for people this process changed come from the main database."""
import asyncio
import gc
import logging
import threading
import time

import anyio
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.db.engine import make_engine
from api.db.models import ApiToken
from api.eligibility.snapshot import Snapshot, load_snapshot, refresh_snapshot
from api.listen import StandingListener
from points import Policy

log = logging.getLogger("points.live")
CATCH_UP = 0.02  # seconds between refreshes while the read database has not replayed an announced change yet


class Live:
    def __init__(self, engine_fn, snapshot: bool = True, interval: float = 0.25, revocation_interval: float = 1.0, *,
                 policy: Policy, read_url: str = "", listen: bool = True, safety_interval: float = 5.0):
        self.engine_fn, self.use_snapshot, self.interval, self.policy = engine_fn, snapshot, interval, policy
        self.revocation_interval, self.listen, self.safety_interval = revocation_interval, listen, safety_interval
        self.read_url, self._read_engine = read_url, None
        self.snapshot: Snapshot | None = None
        self._pending: dict[str, int] = {}  # invalidated before the first snapshot was installed
        self._lock = threading.Lock()
        self.revoked: frozenset[str] = frozenset()
        self._revocations_read = self._snapshot_read = float("-inf")
        self.last_refresh_error: str | None = None
        self.listener: StandingListener | None = None
        self.heard = 0  # the highest standing value announced
        self._wake: asyncio.Event | None = None

    def read_engine(self) -> Engine:
        if self.read_url and self._read_engine is None:
            self._read_engine = make_engine(self.read_url, pool_size=2)
        return self._read_engine or self.engine_fn()

    def refresh_revocations(self) -> None:
        with read_session(self.engine_fn()) as session:
            self.revoked = frozenset(session.scalars(select(ApiToken.id).where(ApiToken.revoked_at.is_not(None))))
        self._revocations_read = time.monotonic()

    def tick(self, snapshot_due: bool = True) -> None:
        if time.monotonic() - self._revocations_read >= self.revocation_interval:
            self.refresh_revocations()
        if self.use_snapshot and snapshot_due:
            self._snapshot_read = time.monotonic()
            with read_session(self.read_engine()) as session:
                if self.snapshot is None or self.snapshot.crowded:
                    self._load(session)
                else:
                    refresh_snapshot(session, self.snapshot)

    def _load(self, session: Session) -> None:
        """A whole new snapshot; this process's changes not in it yet stay answered from the database."""
        started = time.perf_counter()
        snapshot = load_snapshot(session, self.policy)
        with self._lock:
            old = self.snapshot
            snapshot.invalidate({code: stamp for code, (_, stamp) in old.dirty.items()} if old else self._pending)
            self.snapshot, self._pending = snapshot, {}
        if old is None:  # the app is loaded: what exists now lives on, so full collections skip it (gc.freeze)
            gc.freeze()
        log.info("eligibility snapshot: %d people in %.1f s (%s)", len(snapshot), time.perf_counter() - started,
                 "from the saved image and the changes since" if snapshot.origin == "image" else "read in full")

    def invalidate(self, changes) -> None:
        """This process changed these people (code -> standing value written, or just codes): answer them from
        the database until they are reloaded."""
        if not changes:
            return
        with self._lock:
            if self.snapshot is None:
                self._pending.update(changes if isinstance(changes, dict) else dict.fromkeys(changes, 0))
            else:
                self.snapshot.invalidate(changes)

    def _listening(self) -> bool:
        return self.listener is not None and self.listener.listening

    def _snapshot_wait(self) -> float:
        """Seconds until the snapshot is due for a refresh: at once while the read database catches up with an
        announced change, at `interval` when polling (or while this process's changes are not reloaded yet),
        at `safety_interval` while listening."""
        snapshot, since = self.snapshot, time.monotonic() - self._snapshot_read
        if not self._listening() or snapshot is None or snapshot.dirty:
            return self.interval - since
        if snapshot.version < self.heard:
            return CATCH_UP - since
        return self.safety_interval - since

    def _pause(self) -> float:
        waits = [self._revocations_read + self.revocation_interval - time.monotonic()]
        if self.use_snapshot:
            waits.append(self._snapshot_wait())
        return max(CATCH_UP, min(waits))

    def _heard(self, value: int | None, loop: asyncio.AbstractEventLoop) -> None:
        """From the listener's thread."""
        self.heard = max(self.heard, value or 0)
        loop.call_soon_threadsafe(self._wake.set)

    def _start_listener(self) -> None:
        engine = self.engine_fn()
        if self.use_snapshot and self.listen and engine.dialect.name == "postgresql":
            loop = asyncio.get_running_loop()
            self.listener = StandingListener(engine, lambda value: self._heard(value, loop)).start()

    async def run(self, stop: asyncio.Event) -> None:
        """Refresh until `stop` is set. Stopping is cooperative: a refresh running in a thread cannot be
        cancelled, and must not outlive the app (its transaction would hold locks)."""
        self._wake = asyncio.Event()
        self._start_listener()
        try:
            while not stop.is_set():
                due = self._wake.is_set() or self._snapshot_wait() <= 0
                self._wake.clear()
                pause = self.interval
                try:
                    await anyio.to_thread.run_sync(self.tick, due)
                    self.last_refresh_error = None
                    pause = self._pause()
                except Exception as exc:  # keep serving the last good copy
                    if self.last_refresh_error != repr(exc):
                        log.warning("background refresh failed: %r", exc)
                    self.last_refresh_error = repr(exc)
                await _first(stop, self._wake, pause)
        finally:
            if self.listener is not None:
                await anyio.to_thread.run_sync(self.listener.stop)
            if self._read_engine is not None:
                self._read_engine.dispose()


async def _first(stop: asyncio.Event, wake: asyncio.Event, timeout: float) -> None:
    """Until either event is set, or `timeout` seconds."""
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for waiting in waits:
        waiting.cancel()


def app_engine(app) -> Engine:
    from api.db.engine import default_engine

    return app.state.engine or default_engine()


def read_session(engine: Engine) -> Session:
    """A read-only session (a deferred BEGIN on SQLite: never queues behind writers). Like any session it takes its
    connection at its first query: a page's session dependency holds none while the page signs its user in."""
    return Session(engine.execution_options(read_only=True))
