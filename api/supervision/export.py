"""The CSV export of the people a supervisor sees, streamed: keyset chunks, each read in its own short read-only
transaction and written out as it is produced, so memory stays flat and no transaction stays open however large
the region. Chunks are produced by one thread per process at a time (exports running together take turns), and
that thread offers the GIL every few hundred rows, so exports do not crowd out the eligibility answers the same
process serves from its event loop."""
import csv
import io
import time
from collections.abc import AsyncIterator, Iterator

import anyio
from sqlalchemy.engine import Engine

from api.auth.tokens import Principal
from api.live import read_session
from api.supervision.service import people_page

HEADER = ("code", "name", "category", "region", "status", "until", "as_of")
CHUNK = 2000          # rows per read
YIELD_EVERY = 200     # rows formatted between offers of the GIL to the event loop
EXPORTS_AT_ONCE = 1   # chunk-producing threads per process
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell as a formula


def safe_cell(value) -> str:
    """The cell's text, with a leading `'` when a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for start in range(0, len(rows), YIELD_EVERY):
        writer.writerows([safe_cell(v) for v in row] for row in rows[start:start + YIELD_EVERY])
        time.sleep(0)  # let the event loop thread take the GIL now rather than at the next forced switch
    return buffer.getvalue().encode()


def csv_chunks(engine: Engine, who: Principal, status: str | None, chunk: int | None = None) -> Iterator[bytes]:
    """The file: a BOM (spreadsheet programs then read the Chinese names right), the header, then the rows."""
    chunk = chunk or CHUNK
    yield "\ufeff".encode() + _csv([HEADER])
    after = None
    while True:
        with read_session(engine) as session:
            rows = people_page(session, who, status, after, chunk)
        yield _csv(rows[:chunk])
        if len(rows) <= chunk:
            return
        after = (rows[chunk - 1].code,)


def _limiter(state) -> anyio.CapacityLimiter:
    limiter = getattr(state, "export_limiter", None)
    if limiter is None:  # made on first use, inside the event loop
        limiter = state.export_limiter = anyio.CapacityLimiter(EXPORTS_AT_ONCE)
    return limiter


async def taking_turns(state, chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Each chunk produced in a worker thread under the process's export limiter."""
    limiter = _limiter(state)
    while True:
        chunk = await anyio.to_thread.run_sync(next, chunks, None, limiter=limiter)
        if chunk is None:
            return
        yield chunk
