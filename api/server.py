"""The HTTP server's parser, capped: a request's line and headers may not grow past POINTS_MAX_HEADER_BYTES.

uvicorn's httptools parser keeps a request head in memory until it ends, however long (a 100 MB header took
the server from 87 to 286 MB before the app could refuse it), and h11's cap answers a bare 400. This protocol
counts the bytes of each head as they arrive and, past the cap, answers 431 with the error envelope and closes
the connection, never holding more than the cap plus one network read."""
import os

from pydantic_core import to_json
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from api.settings import get_settings


class HeadCappedHttpTools(HttpToolsProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_head_bytes = get_settings().max_header_bytes
        self.in_head, self.head_bytes = True, 0

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        if self.in_head:
            self.head_bytes += len(data)
        super().data_received(data)
        if self.in_head and self.head_bytes > self.max_head_bytes and not self.transport.is_closing():
            self.refuse_head()

    def on_headers_complete(self) -> None:
        self.in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.in_head, self.head_bytes = True, 0  # the next request on this connection starts its own count

    def refuse_head(self) -> None:
        request_id = os.urandom(8).hex()  # the head never arrived whole: no X-Request-ID of the client's to take
        self.logger.warning("refused request %s: its head passed %d bytes", request_id, self.max_head_bytes)
        body = to_json({"error": {"code": "HEADERS_TOO_LARGE", "message":
                                  f"the request line and headers are over {self.max_head_bytes:,} bytes",
                                  "request_id": request_id}})
        head = [STATUS_LINE[431]] + [name + b": " + value + b"\r\n"
                                     for name, value in self.server_state.default_headers]
        head += [b"content-type: application/json\r\n", b"content-length: %d\r\n" % len(body),
                 b"x-request-id: %s\r\n" % request_id.encode(), b"connection: close\r\n\r\n"]
        self.transport.write(b"".join(head) + body)
        self.transport.close()
