"""Settlement caches: the status feed (every change of standing in the caller's region, in order) and the
standings export (everyone's current standing, with the feed cursor to continue from)."""
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from api.deps import PolicyDep, ReadSessionDep, SessionDep, SettlementDep, TodayDep, engine_of
from api.feed import export, service
from api.feed.schemas import StatusChangePage
from api.ledger.status import status_clock
from api.pagination import CursorQuery, LimitQuery
from api.supervision.export import taking_turns
from api.supervision.service import bring_statuses_up_to_date
from api.webhooks.outbox import feed_position
from api.webhooks.schemas import StatusChange

router = APIRouter(prefix="/v1", tags=["settlement"])
SinceQuery = Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous page, or "
                                                                     "`feed_cursor` of a standings export")]
CURSOR_HEADER = "X-Points-Feed-Cursor"

FEED_DESCRIPTION = """Every change of standing of the people in your region (and of those registered, now or
ever, at an institution of your region), in the order the changes were committed: `effective` (a status took
effect: a suspension started or ended, a termination started, a ban ended, a registration began or ended),
`decided` (a suspension or termination was decided, with its first and last day, even when it starts later),
`corrected` (its length or dates changed) and `lifted` (withdrawn, or cut short).

Walk it with `since` = the previous page's `next_cursor` (or the `feed_cursor` of a standings export). The
cursor is never null: when `has_more` is false, wait and ask again with the cursor you were given. A page has
no gaps and no repeats, also while changes are being written: positions (`seq`) are given in commit order."""

EXPORT_DESCRIPTION = """The current standing of everyone in your region (as in the status feed): code, status,
`until`, and the sanctions not yet over (running, or decided to start later) with their first and last day.
Streamed in code order, NDJSON (`format=ndjson`, the default) or CSV (`format=csv`).

The feed cursor read before the first row is in the `X-Points-Feed-Cursor` header, in the first NDJSON line and
in the last line of either format (with the number of rows; a file without that line was cut short). To keep a
cache: load the export, then poll the status feed from that cursor. Changes made while the export was being
read show up in the feed after it, so nothing is missed (a few may be seen twice: apply them again)."""


@router.get("/status-changes", response_model=StatusChangePage, summary="Changes of standing in your region, in order",
            description=FEED_DESCRIPTION)
def status_changes(request: Request, session: ReadSessionDep, who: SettlementDep, since: SinceQuery = None,
                   cursor: CursorQuery = None, limit: LimitQuery = 100):
    position = service.decode_position(since or cursor)
    # read first: every change at or below it has committed, so the page below sees all of them
    committed = feed_position(session)
    rows = service.changes(session, who, position, committed, limit)
    items, has_more = rows[:limit], len(rows) > limit
    # a page that is not full has read everything up to `committed`: the next one starts there, not at the last
    # event shown, so changes elsewhere are not read again at every poll
    next_position = items[-1].seq if has_more else max(position, committed)
    next_cursor = service.feed_cursor(next_position)
    return StatusChangePage(items=[StatusChange.of(r) for r in items], next_cursor=next_cursor, has_more=has_more,
                            next=f"{request.url.path}?{urlencode({'since': next_cursor, 'limit': limit})}")


@router.get("/standings/export", summary="Export everyone's current standing in your region (streamed)",
            description=EXPORT_DESCRIPTION, response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}},
                             "headers": {CURSOR_HEADER: {"description": "the status feed cursor to continue from",
                                                         "schema": {"type": "string"}}}}})
def export_standings(request: Request, session: SessionDep, who: SettlementDep, policy: PolicyDep, today: TodayDep,
                     format_: Annotated[Literal["ndjson", "csv"], Query(alias="format")] = "ndjson"):
    bring_statuses_up_to_date(session, policy, today)  # committed before the first row is sent
    cursor = service.current_cursor(session)  # before any row is read
    engine = engine_of(request)
    if format_ == "csv":
        chunks, media = export.csv_chunks(engine, who, cursor, today), "text/csv; charset=utf-8"
    else:
        chunks = export.ndjson_chunks(engine, who, cursor, status_clock(session).as_of, today)
        media = "application/x-ndjson; charset=utf-8"
    return StreamingResponse(taking_turns(request.app.state, chunks), media_type=media, headers={
        CURSOR_HEADER: cursor,
        "Content-Disposition": f'attachment; filename="standings-{today}.{"csv" if format_ == "csv" else "ndjson"}"'})
