"""One JSON line per request, written by a thread; a request itself only reads or makes its id and, when it ends,
puts a tuple on a queue. Other log records (uvicorn, points.*) go through the same queue and thread, so lines
never interleave.

- `RequestLog`, the app's outermost ASGI middleware: takes `X-Request-ID` when it matches `[A-Za-z0-9-]{8,64}`
  (and holds no ID number), else makes one; echoes it on every response; queues the request when it ends.
- `CURRENT` holds the request's id, actor, error code and status for the code that serves it (`error_envelope`,
  `note_actor`); it is one mutable object, so notes made in worker threads reach the middleware.
- Successful eligibility checks (single and batch) are summarised, one line per route and second (count,
  p50/p99/max ms), unless POINTS_LOG_EACH_CHECK is set: their durations go into an `array('d')`, not the queue,
  because a queued object per request that outlives the request makes the garbage collector run (a full
  collection stalled the event loop for 60 ms in a measurement). Every other request, errors included, has its
  own line.
- The scheduler's job lines (scheduler/runner.py) are queued as ready-made dicts (`write_line`).
Times are UTC, ISO 8601 with milliseconds and `Z`."""
import atexit
import itertools
import logging
import os
import re
import sys
import threading
import time
from array import array
from contextvars import ContextVar
from queue import Empty, SimpleQueue

from pydantic_core import to_json
from starlette.routing import Route

from points.privacy import has_id_number, mask_id_numbers

HEADER = b"x-request-id"
_VALID_ID = re.compile(rb"[A-Za-z0-9-]{8,64}")
QUEUE: SimpleQueue = SimpleQueue()
POLL_SECONDS = 0.1  # how often the writer thread drains the queue
PIPE_BUF = 4096  # a write of at most this many bytes to a pipe is never split by another process's write


class Checks:
    """Durations (seconds) of successful checks by path: appended by requests, taken by the writer each second."""

    def __init__(self):
        self.each = False  # POINTS_LOG_EACH_CHECK: no summaries, a line per check
        self.durations = {"/v1/eligibility": ("GET", array("d")), "/v1/eligibility/batch": ("POST", array("d"))}

    def add(self, path: str, method: str, status: int | None, seconds: float) -> bool:
        check = self.durations.get(path)
        if check is None or check[0] != method or status is None or status >= 400 or self.each:
            return False
        check[1].append(seconds)
        return True

    def take(self) -> list[tuple[str, str, list[float]]]:
        out = []
        for path, (method, durations) in self.durations.items():
            n = len(durations)  # slicing then deleting (each atomic) keeps what requests append meanwhile
            taken = sorted(durations[:n])
            del durations[:n]
            if taken:
                out.append((method, path, taken))
        return out


CHECKS = Checks()


class RequestContext:
    __slots__ = ("actor", "error", "id", "status")

    def __init__(self, request_id: str):
        self.id, self.actor, self.error, self.status = request_id, None, None, None  # status None: no answer sent


CURRENT: ContextVar[RequestContext | None] = ContextVar("points_request", default=None)


def note_actor(principal):
    """The token (or page session) serving the request; returns it."""
    context = CURRENT.get()
    if context is not None:
        context.actor = principal
    return principal


def error_envelope(code: str, message: str, details: list | None = None) -> dict:
    """`{"error": {"code", "message", ["details"], "request_id"}}`; the code goes on the request's log line."""
    error = {"code": code, "message": message}
    if details:
        error["details"] = details
    context = CURRENT.get()
    if context is not None:
        context.error = code
        error["request_id"] = context.id
    return {"error": error}


def failure_message() -> str:
    """The message of a 500 INTERNAL_ERROR: it names the request, whose log line holds the exception."""
    context = CURRENT.get()
    return f"the server failed; retry or report request {context.id if context else ''}".rstrip()


def incoming_id(headers) -> str:
    for name, value in headers:
        if name == HEADER:
            return id_from(value)
    return id_from(None)


def id_from(value: bytes | None) -> str:
    """The client's X-Request-ID when it is valid (and holds no ID number), else a new one."""
    if value is not None and _VALID_ID.fullmatch(value) and not has_id_number(text := value.decode()):
        return text
    return f"{_ID_PREFIX}{next(_SERIAL) & 0xFFFFFFFF:08x}"


# new ids: 8 random hex digits a process, then a serial (a random id per request costs a system call)
_ID_PREFIX, _SERIAL = os.urandom(4).hex(), itertools.count(int.from_bytes(os.urandom(4)))


def done(seconds: float, context: RequestContext, method: str, path: str, route=None) -> None:
    """A request has been answered, taking `seconds`: counted in the summaries, or queued for its own line."""
    if not CHECKS.add(path, method, context.status, seconds):
        QUEUE.put((time.time() - seconds, seconds, context, method, route, path))


class RequestLog:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        clock = time.perf_counter()
        context = RequestContext(incoming_id(scope["headers"]))
        CURRENT.set(context)
        echo = (HEADER, context.id.encode())

        def send_with_id(message):  # not async: the app awaits `send` itself, one coroutine fewer per message
            if message["type"] == "http.response.start":
                context.status = message["status"]
                message["headers"] = [*message.get("headers", ()), echo]
            return send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            done(time.perf_counter() - clock, context, scope["method"], scope["path"], scope.get("route"))


# --- the writer thread ------------------------------------------------------------------------------------------

def utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds % 1 * 1000):03d}Z"


def request_line(item) -> dict:
    started, seconds, context, method, route, path = item
    line = {"time": utc(started), "request_id": context.id, "method": method,
            "route": route.path if isinstance(route, Route) else mask_id_numbers(path[:256]),
            "status": context.status, "duration_ms": round(seconds * 1000, 3)}
    if context.error:
        line["error"] = context.error
    if context.actor is not None:
        line["actor"], line["role"] = context.actor.id, str(context.actor.role.value)
    return line


def summary_line(second: int, method: str, route: str, durations: list[float]) -> dict:
    n = len(durations)
    return {"time": utc(second), "method": method, "route": route, "status": 200, "count": n,
            "p50_ms": round(durations[n // 2] * 1000, 3), "p99_ms": round(durations[n * 99 // 100] * 1000, 3),
            "max_ms": round(durations[-1] * 1000, 3), "pid": os.getpid()}


_EXCEPTIONS = logging.Formatter()


def record_line(record: logging.LogRecord) -> dict:
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = str(record.msg)
    line = {"time": utc(record.created), "level": record.levelname, "logger": record.name,
            "message": mask_id_numbers(message)}
    if getattr(record, "request_id", None):
        line["request_id"] = record.request_id
    if record.exc_info or record.exc_text:
        line["exception"] = mask_id_numbers(record.exc_text or _EXCEPTIONS.formatException(record.exc_info))
    return line


class Flush:
    def __init__(self, summaries: bool):
        self.summaries, self.done = summaries, threading.Event()


class Writer:
    def __init__(self):
        self.thread: threading.Thread | None = None
        self.output = None  # a binary stream; None: standard error
        self.lock = threading.Lock()

    def start(self, output=None) -> None:
        with self.lock:
            if output is not None:
                self.output = output
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="points-log-writer", daemon=True)
                self.thread.start()
                atexit.register(flush, True)  # the last lines (uvicorn's "Finished server process") too

    def _run(self) -> None:
        second = int(time.time())
        while True:
            # Polled, not woken by each put: a thread woken per request takes the GIL from the event loop each time
            time.sleep(POLL_SECONDS)
            item, lines, flushes = _next(), [], []
            while item is not None:
                if type(item) is Flush:
                    flushes.append(item)
                else:
                    try:
                        kind = type(item)
                        lines.append(request_line(item) if kind is tuple else item if kind is dict
                                     else record_line(item))
                    except Exception as exc:  # noqa: BLE001 - one bad record must not stop the log
                        lines.append({"time": utc(time.time()), "level": "ERROR", "logger": __name__,
                                      "message": f"a log record could not be written: {exc!r}"[:500]})
                item = _next()
            if time.time() >= second + 1 or any(f.summaries for f in flushes):
                lines += [summary_line(second, *taken) for taken in CHECKS.take()]
                second = int(time.time())
            if lines:
                self._write(lines)
            for flush in flushes:
                flush.done.set()

    def _write(self, lines: list[dict]) -> None:
        chunk = b""
        for line in lines:
            data = to_json(line) + b"\n"
            if chunk and len(chunk) + len(data) > PIPE_BUF:
                self._emit(chunk)
                chunk = b""
            chunk += data
        self._emit(chunk)

    def _emit(self, data: bytes) -> None:
        try:
            if self.output is not None:
                self.output.write(data)
                self.output.flush()
                return
            while data:
                data = data[os.write(sys.stderr.fileno(), data):]
        except (OSError, ValueError):  # standard error closed: nothing else to tell
            pass


def _next():
    try:
        return QUEUE.get_nowait()
    except Empty:
        return None


WRITER = Writer()


def start(each_check: bool | None = None, output=None) -> None:
    """Starts the writer thread if it is not running (the app's lifespan; tests pass an output)."""
    if each_check is not None:
        CHECKS.each = each_check
    WRITER.start(output)


def flush(summaries: bool = False, timeout: float = 5) -> bool:
    """Waits until everything queued so far is written (with the pending summaries, if asked)."""
    if WRITER.thread is None or not WRITER.thread.is_alive():
        return False
    marker = Flush(summaries)
    QUEUE.put(marker)
    return marker.done.wait(timeout)


def write_line(line: dict) -> None:
    """A line made elsewhere (the scheduler's job lines), written as it is: its `time` fields are UTC strings
    (`utc()`), its values JSON-able and free of ID numbers."""
    if WRITER.thread is None or not WRITER.thread.is_alive():
        start()
    QUEUE.put(line)


class QueuedRecords(logging.Handler):
    """A handler for every other logger: the record goes to the writer thread as it is (formatted there), with
    the id of the request it was logged in."""

    def emit(self, record: logging.LogRecord) -> None:
        context = CURRENT.get()
        if context is not None:
            record.request_id = context.id
        if WRITER.thread is None or not WRITER.thread.is_alive():
            start()
        QUEUE.put(record)


# `points serve` gives uvicorn this instead of its own (plain-text, synchronous) logging configuration
LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"queued": {"()": "api.request_log.QueuedRecords"}},
    "root": {"handlers": ["queued"], "level": "INFO"},
    "loggers": {"uvicorn": {"level": "INFO"}, "uvicorn.error": {"level": "INFO"},
                "uvicorn.access": {"handlers": [], "propagate": False}},
}
