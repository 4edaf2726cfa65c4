"""The standings export, streamed: keyset chunks by code, each read in its own short read-only transaction and
written out as it is produced (constant memory, no long transaction), taking turns with the other exports of
the process (api/supervision/export.py). The feed cursor read before the first chunk opens the file and is
repeated in its last line, with the number of rows: a file without that last line was cut short."""
import csv
import io
import json
from collections.abc import Iterator
from datetime import date

from sqlalchemy.engine import Engine

from api.auth.tokens import Principal
from api.feed.service import standings_page
from api.live import read_session

CHUNK = 2000  # people per read
CSV_HEADER = ("code", "status", "until", "sanctions")
FORMAT_VERSION = 1


def _pages(engine: Engine, who: Principal, today: date, chunk: int) -> Iterator[list[dict]]:
    after = None
    while True:
        with read_session(engine) as session:
            rows = standings_page(session, who, after, chunk, today)
        yield rows[:chunk]
        if len(rows) <= chunk:
            return
        after = (rows[chunk - 1]["code"],)


def ndjson_chunks(engine: Engine, who: Principal, cursor: str, as_of: date | None, today: date,
                  chunk: int = CHUNK) -> Iterator[bytes]:
    """A first line `{"feed_cursor", "as_of", "today", "version"}`, a line per person, a last line
    `{"end": true, "rows", "feed_cursor"}`."""
    def line(obj) -> str:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"

    yield line({"feed_cursor": cursor, "as_of": as_of.isoformat() if as_of else None, "today": today.isoformat(),
                "version": FORMAT_VERSION}).encode()
    rows = 0
    for page in _pages(engine, who, today, chunk):
        rows += len(page)
        yield "".join(line(r) for r in page).encode()
    yield line({"end": True, "rows": rows, "feed_cursor": cursor}).encode()


def _sanctions_cell(sanctions: list[dict]) -> str:
    return ";".join(f"{s['sanction_id']}:{s['status']}:{s['starts_on']}:{s['until']}" for s in sanctions)


def csv_chunks(engine: Engine, who: Principal, cursor: str, today: date, chunk: int = CHUNK) -> Iterator[bytes]:
    """A header row, a row per person, a last row `#end,<rows>,<feed cursor>`. Codes and statuses are plain
    ASCII, so no cell can read as a spreadsheet formula."""
    def text(rows) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        return buffer.getvalue().encode()

    yield text([CSV_HEADER])
    rows = 0
    for page in _pages(engine, who, today, chunk):
        rows += len(page)
        yield text([(r["code"], r["status"], r["until"] or "", _sanctions_cell(r["sanctions"])) for r in page])
    yield text([("#end", rows, cursor)])
