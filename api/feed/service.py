"""The status feed and the standings export: what a settlement system needs to keep its own cache of who may be
paid. Both are scoped like webhooks (`api.authz.scope.regional_events` / `regional_people`): the people of the
caller's region and those registered (now or ever) at an institution of it.

The feed is read by position (`status_event.seq`, given in commit order, see api/webhooks/outbox.py), so a
cursor never skips an event that commits late. The export is read in keyset chunks by code, each in its own
short read transaction; it names the feed position read before its first chunk, so that every change committed
after that position (and so possibly missed by a chunk read earlier) is in the feed after it."""
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from api.auth.tokens import Principal
from api.authz.scope import regional_events, regional_people
from api.db.models import Practitioner, Sanction, StatusEvent
from api.errors import InvalidRequest
from api.pagination import Key, decode_cursor, encode_cursor, keyset
from api.webhooks.outbox import feed_position

FEED_FILTERS = {"list": "status-changes"}  # a feed cursor is a position, valid whoever walks it
SANCTION_STATUS = {"suspension": "suspended", "termination": "banned"}


def feed_cursor(position: int) -> str:
    """The cursor that continues the feed after `position`."""
    return encode_cursor((position,), FEED_FILTERS)


def decode_position(cursor: str | None) -> int:
    """The position a feed cursor continues after (0: the beginning); 422 CURSOR_INVALID for anything else."""
    key = decode_cursor(cursor, FEED_FILTERS)
    if not key:
        return 0
    if type(key[0]) is not int or not 0 <= key[0] < 2**63:  # a hand-made cursor: no such position
        raise InvalidRequest("the cursor is not one this API gave", "CURSOR_INVALID")
    return key[0]


def current_cursor(session: Session) -> str:
    """The cursor after every change committed so far."""
    return feed_cursor(feed_position(session))


def changes(session: Session, who: Principal, after: int, upto: int, limit: int) -> list[StatusEvent]:
    """Events in the caller's region at positions in (after, upto], in feed order: limit+1 rows (keyset)."""
    query = select(StatusEvent).where(StatusEvent.seq <= upto, regional_events(who))
    return list(session.scalars(keyset(query, [StatusEvent.seq], (after,), limit)))


def standings_page(session: Session, who: Principal, after: Key | None, limit: int, today: date) -> list[dict]:
    """People in the caller's region after the code `after` (limit+1 of them, keyset by code), each with their
    stored status and the sanctions not yet over (running or decided to start later)."""
    people = session.execute(keyset(
        select(Practitioner.id, Practitioner.code, Practitioner.status, Practitioner.status_until)
        .where(regional_people(who)), [Practitioner.code], after, limit)).all()
    sanctions: dict[int, list[dict]] = {}
    ids = [p.id for p in people]
    if ids:
        for s in session.execute(
                select(Sanction.practitioner_id, Sanction.id, Sanction.kind, Sanction.starts_on, Sanction.ends_on)
                .where(Sanction.practitioner_id.in_(ids), Sanction.revoked_at.is_(None), Sanction.ends_on >= today,
                       Sanction.ends_on >= Sanction.starts_on)
                .order_by(Sanction.practitioner_id, Sanction.starts_on, Sanction.id)):
            sanctions.setdefault(s.practitioner_id, []).append(
                {"sanction_id": s.id, "status": SANCTION_STATUS[s.kind], "starts_on": s.starts_on.isoformat(),
                 "until": s.ends_on.isoformat()})
    return [{"code": p.code, "status": p.status, "until": p.status_until.isoformat() if p.status_until else None,
             "sanctions": sanctions.get(p.id, [])} for p in people]
