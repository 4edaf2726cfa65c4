"""Request size limits, enforced before routing and before any body is read (a pure ASGI middleware).

- headers (with the request line) over POINTS_MAX_HEADER_BYTES: 431 HEADERS_TOO_LARGE;
- a request under /v1 that carries a body is authenticated from its headers first: a bad or missing token is
  answered 401 without reading a byte of the body, whatever its size;
- a body over POINTS_MAX_BODY_BYTES (POINTS_MAX_BATCH_BODY_BYTES for the eligibility batch): 413
  BODY_TOO_LARGE, at once when Content-Length says so, else as soon as the bytes received pass the cap.
Whatever the client still sends after such an answer is discarded by the server, never buffered."""
from pydantic_core import to_json

from api.deps import authenticate_state
from api.eligibility.fastpath import token_of
from api.errors import BodyTooLarge, HeadersTooLarge
from api.request_log import error_envelope
from points.errors import DomainError

API_PREFIX = "/v1/"
BATCH_PATH = "/v1/eligibility/batch"


def head_bytes(scope) -> int:
    """The request line and headers, as sent (`name: value` plus CRLF each)."""
    line = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string", b"")) + 16
    return line + sum(len(name) + len(value) + 4 for name, value in scope["headers"])


def declared_length(headers) -> tuple[int | None, bool]:
    """(Content-Length if valid, whether a body follows at all)."""
    length, chunked = None, False
    for name, value in headers:
        if name == b"content-length":
            length = int(value) if value.isdigit() else None
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked or bool(length)


async def answer(send, exc: DomainError) -> None:
    body = to_json(error_envelope(exc.code, exc.message))
    await send({"type": "http.response.start", "status": exc.status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class RequestLimits:
    def __init__(self, app, main):
        self.app, self.main = app, main

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        settings = self.main.state.settings
        if head_bytes(scope) > settings.max_header_bytes:
            return await answer(send, HeadersTooLarge(
                f"the request line and headers are over {settings.max_header_bytes:,} bytes"))
        length, has_body = declared_length(scope["headers"])
        if not has_body:
            return await self.app(scope, receive, send)
        if scope["path"].startswith(API_PREFIX):
            try:
                authenticate_state(self.main.state, token_of(scope["headers"]))
            except DomainError as exc:
                return await answer(send, exc)
        cap = settings.max_batch_body_bytes if scope["path"] == BATCH_PATH else settings.max_body_bytes
        too_large = BodyTooLarge(f"the request body is over {cap:,} bytes")
        if length is not None and length > cap:
            return await answer(send, too_large)
        await self._counted(scope, receive, send, cap, too_large)

    async def _counted(self, scope, receive, send, cap: int, too_large: BodyTooLarge) -> None:
        """Runs the app with a `receive` that stops at the cap. Once over it, whatever the app answers (it
        failed to read its body) is replaced by the 413."""
        received, over, started = 0, False, False

        async def counted_receive():
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    over = True
                    raise too_large
            return message

        async def guarded_send(message):
            nonlocal started
            if over and not started:
                return
            started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            if started:
                raise
        if over and not started:
            await answer(send, too_large)
