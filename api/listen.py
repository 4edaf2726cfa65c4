"""PostgreSQL LISTEN for the standing counter's announcements (api/eligibility/versions.py), in a thread.

It listens on the primary (a replica cannot LISTEN): a notice says a change is committed there, with the standing
value it wrote. `heard(value)` is called for each, and `heard(None)` on every (re)connection, since notices sent
while disconnected are lost. While not listening, the owner polls as before."""
import logging
import threading

from sqlalchemy.engine import Engine

from api.eligibility.versions import CHANNEL

log = logging.getLogger("points.live")


class StandingListener:
    def __init__(self, engine: Engine, heard, retry: float = 2.0):
        self.engine, self.heard, self.retry = engine, heard, retry
        self.listening = False
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="points-listen", daemon=True)

    def start(self) -> "StandingListener":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)

    def _run(self) -> None:
        failed = None
        while not self._stopping.is_set():
            try:
                self._listen()
                failed = None
            except Exception as exc:  # the database went away: poll meanwhile, and retry
                if failed != repr(exc):
                    log.warning("LISTEN %s failed, polling until it is back: %r", CHANNEL, exc)
                failed = repr(exc)
            self._stopping.wait(self.retry)

    def _listen(self) -> None:
        fairy = self.engine.raw_connection()
        conn = fairy.driver_connection
        fairy.detach()  # a connection of its own, closed here, never returned to the pool
        try:
            conn.autocommit = True
            conn.execute(f"LISTEN {CHANNEL}")
            self.listening = True
            self.heard(None)
            while not self._stopping.is_set():
                for notice in conn.notifies(timeout=0.5):
                    self.heard(int(notice.payload) if notice.payload.isdigit() else None)
        finally:
            self.listening = False
            conn.close()
