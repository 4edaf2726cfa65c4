"""Each person's stored status (status, until, this year's tally), kept current as ledger entries arrive and as
days pass; every change of status is emitted to the outbox.

The stored values are current as of one day for everyone, `status_clock.as_of` (a person whose ledger changed
since is current as of that later day). Moving the clock to today re-derives only the people whose sanctions
or registrations began or ended in between, found by index range scans, and writes only the rows that change:
a day on which k people change costs O(k), whatever the number of people."""
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.audit import audit_all
from api.clock import utcnow
from api.db.models import Practitioner, Registration, Sanction, StatusClock
from api.ledger.changes import standing
from api.ledger.repository import chunks, load_ledgers
from api.webhooks.outbox import EventSink
from points import Policy, Timeline, derive

CLOCK = 1  # the one row of status_clock


def apply_status(person: Practitioner, timeline: Timeline, today: date, cause: str, sink: EventSink) -> bool:
    """Write today's status and tally onto the person; emit an event when the status or its end changed."""
    state = timeline.status_on(today)
    previous = (person.status, person.status_until)
    changed = previous != (state.status.value, state.until)
    if changed:
        sink.emit(person.code, person.region, person.status, state.status.value, state.until, today, cause)
    person.status, person.status_until = state.status.value, state.until
    person.tally, person.tally_year = timeline.tally(today.year), today.year
    return changed


def status_clock(session: Session, lock: bool = False) -> StatusClock:
    """The clock row; locked, a second run waits for the first to commit, then finds nothing due."""
    clock = session.get(StatusClock, CLOCK, with_for_update=lock or None, populate_existing=lock)
    if clock is None:  # migrations make the row; a table emptied since gets it back, from whoever comes first
        try:
            with session.begin_nested():
                session.add(StatusClock(id=CLOCK))
        except IntegrityError:
            pass
        clock = session.get(StatusClock, CLOCK, with_for_update=lock or None, populate_existing=True)
    return clock


def statuses_as_of():
    """A column for row queries: the day the stored statuses are current as of."""
    return select(StatusClock.as_of).where(StatusClock.id == CLOCK).scalar_subquery().label("status_as_of")


def _crossed(start_col, end_col, since: date, today: date):
    """A start, or an end (the day after end_col), falls in (since, today]."""
    return ((start_col > since) & (start_col <= today)) | ((end_col >= since) & (end_col < today))


def due_for_refresh(session: Session, today: date) -> list[int]:
    """People whose status may differ today from the clock's day: a sanction or registration began or ended in
    between (range scans on their start and end indexes); everyone while the clock was never set. A few extra
    people are harmless (re-deriving is idempotent)."""
    since = status_clock(session).as_of
    if since is None:
        return list(session.scalars(select(Practitioner.id).order_by(Practitioner.id)))
    if since >= today:
        return []
    due = set(session.scalars(select(Sanction.practitioner_id).where(
        Sanction.revoked_at.is_(None), _crossed(Sanction.starts_on, Sanction.ends_on, since, today))))
    due.update(session.scalars(select(Registration.practitioner_id).where(
        _crossed(Registration.starts_on, Registration.ends_on, since, today))))
    return sorted(due)


def clear_past_tallies(session: Session, year: int) -> int:
    """A tally counted for an earlier year reads 0 (the ledger keeps the history): only the non-zero ones are
    written, found through a partial index."""
    return session.execute(update(Practitioner).where(Practitioner.tally > 0, Practitioner.tally_year < year)
                           .values(tally=0, tally_year=year)).rowcount


def _bring_up_to_date(session: Session, policy: Policy, today: date, now: datetime | None,
                      cause: str) -> tuple[int, int]:
    """(tallies cleared, status changes): re-derive the people due, then move the clock to today. Each change
    is an event and is audited (actor 'calendar')."""
    clock = status_clock(session, lock=True)  # first: runs take turns, and rows are locked in one order
    cleared = clear_past_tallies(session, today.year)
    sink, entries = EventSink(session, now or utcnow()), []
    for ids in chunks(due_for_refresh(session, today)):
        people = {p.id: p for p in session.scalars(select(Practitioner).where(Practitioner.id.in_(ids)))}
        for pid, ledger in load_ledgers(session, ids).items():
            person = people[pid]
            before = standing(person)
            if apply_status(person, derive(ledger, policy), today, cause, sink):
                entries.append({"actor": "calendar", "action": "practitioner.status", "entity": "practitioner",
                                "entity_id": person.code, "reason": cause, "at": now, "subject": person.code,
                                "detail": {"before": before, "after": standing(person)}})
        session.flush()  # then the session holds this chunk's rows only weakly: memory stays per chunk
    audit_all(session, entries)  # the audit counter last, as a ledger change takes it after its person: no deadlock
    if clock.as_of is None or clock.as_of < today:
        clock.as_of = today
    session.flush()
    return cleared, len(entries)


def refresh_statuses(session: Session, policy: Policy, today: date, now: datetime | None = None,
                     cause: str = "calendar") -> int:
    """Bring every stored status up to today; returns the changes made. Idempotent, safe late (it catches up
    over every day missed, and clears the tallies of a year it crossed) and safe twice."""
    return _bring_up_to_date(session, policy, today, now, cause)[1]


def roll_over_year(session: Session, policy: Policy, today: date, now: datetime | None = None) -> dict:
    """1 January: every tally of an earlier year reads 0; suspensions that run across the new year continue.
    Idempotent."""
    cleared, changed = _bring_up_to_date(session, policy, today, now, "year rollover")
    return {"year": today.year, "tallies_cleared": cleared, "status_changes": changed}
