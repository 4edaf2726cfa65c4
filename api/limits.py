"""Request size limits, enforced before routing and before any body is read (a pure ASGI middleware).

- headers (with the request line) over POINTS_MAX_HEADER_BYTES: 431 HEADERS_TOO_LARGE;
- a request under /v1 that carries a body is authenticated from its headers first: a bad or missing token is
  answered 401 without reading a byte of the body, whatever its size;
- a body over POINTS_MAX_BODY_BYTES (POINTS_MAX_BATCH_BODY_BYTES for the eligibility batch, room for the
  evidence files for an upload of evidence: api/evidence/files.py): 413
  BODY_TOO_LARGE, at once when Content-Length says so, else as soon as the bytes received pass the cap.
Whatever the client still sends after such an answer is discarded by the server, never buffered."""
from pydantic_core import to_json

from api import languages
from api.deps import authenticate_state
from api.eligibility.fastpath import token_of
from api.errors import BodyTooLarge, HeadersTooLarge
from api.evidence.files import UPLOAD_PATHS, EvidenceLimits
from api.request_log import error_envelope
from api.web.auth import SESSION_COOKIE
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


def signed_in(scope) -> bool:
    """A page request carrying a session cookie (checked by the page itself): only then room for evidence files."""
    cookie = next((v for n, v in scope["headers"] if n == b"cookie"), b"")
    return f"{SESSION_COOKIE}=".encode() in cookie


async def answer(send, exc: DomainError, scope) -> None:
    """The app's error answer, its message in the language Accept-Language asks for (api/languages.py)."""
    lang = languages.negotiate(next((v for n, v in scope["headers"] if n == b"accept-language"), None))
    body = to_json(languages.localise(error_envelope(exc.code, exc.message), lang, getattr(exc, "params", None)))
    await send({"type": "http.response.start", "status": exc.status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in languages.headers(lang).items())]})
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
                f"the request line and headers are over {settings.max_header_bytes:,} bytes"), scope)
        length, has_body = declared_length(scope["headers"])
        if not has_body:
            return await self.app(scope, receive, send)
        if scope["path"].startswith(API_PREFIX):
            try:
                authenticate_state(self.main.state, token_of(scope["headers"]))
            except DomainError as exc:
                return await answer(send, exc, scope)
        cap = settings.max_batch_body_bytes if scope["path"] == BATCH_PATH else settings.max_body_bytes
        if UPLOAD_PATHS.fullmatch(scope["path"]) and (scope["path"].startswith("/v1/") or signed_in(scope)):
            cap = max(cap, EvidenceLimits.of(settings).body_cap())  # evidence: refused by its own limits once read
        too_large = BodyTooLarge(f"the request body is over {cap:,} bytes")
        if length is not None and length > cap:
            return await answer(send, too_large, scope)
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
            await answer(send, too_large, scope)
