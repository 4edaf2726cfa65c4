"""Each person's status snapshot (status, until, this year's tally), kept current as ledger entries arrive
and as days pass; every change of status is emitted to the outbox."""
from datetime import date, datetime

from sqlalchemy import or_, select, update
from sqlmodel import Session

from api.clock import utcnow
from api.db.models import Practitioner, Registration, Sanction
from api.ledger.repository import load_ledgers
from api.webhooks.outbox import EventSink
from points import Policy, Timeline, derive


def apply_status(person: Practitioner, timeline: Timeline, today: date, cause: str, sink: EventSink) -> bool:
    """Write today's status and tally onto the person; emit an event when the status or its end changed."""
    state = timeline.status_on(today)
    previous = (person.status, person.status_until)
    changed = previous != (state.status.value, state.until)
    if changed:
        sink.emit(person.code, person.region, person.status, state.status.value, state.until, today, cause)
    person.status, person.status_until, person.status_as_of = state.status.value, state.until, today
    person.tally, person.tally_year = timeline.tally(today.year), today.year
    return changed


def _crossed(start_col, end_col, since, today: date):
    """A start or an end (the day after end_col) falls in (since, today]."""
    return or_(start_col > since, (end_col >= since) & (end_col < today)) & (start_col <= today)


def due_for_refresh(session: Session, today: date) -> list[int]:
    """People whose status may differ today from when it was last computed."""
    since = Practitioner.status_as_of
    sanction_due = select(Sanction.practitioner_id).where(
        Sanction.revoked_at.is_(None), _crossed(Sanction.starts_on, Sanction.ends_on, since, today))
    registration_due = select(Registration.practitioner_id).where(
        _crossed(Registration.starts_on, Registration.ends_on, since, today))
    return list(session.scalars(select(Practitioner.id).where(
        or_(since.is_(None), since < today),
        or_(since.is_(None), Practitioner.id.in_(sanction_due.scalar_subquery()),
            Practitioner.id.in_(registration_due.scalar_subquery())))))


def refresh_statuses(session: Session, policy: Policy, today: date, now: datetime | None = None,
                     cause: str = "calendar") -> int:
    """Re-derive the snapshot where due; mark everyone else as current. Idempotent; returns changes made."""
    sink, changed = EventSink(session, now or utcnow()), 0
    due = due_for_refresh(session, today)
    for pid, ledger in load_ledgers(session, due).items():
        changed += apply_status(session.get(Practitioner, pid), derive(ledger, policy), today, cause, sink)
    session.execute(update(Practitioner).where(
        or_(Practitioner.status_as_of.is_(None), Practitioner.status_as_of < today)).values(status_as_of=today))
    return changed


def roll_over_year(session: Session, policy: Policy, today: date, now: datetime | None = None) -> dict:
    """1 January: every tally of an earlier year reads 0 (the ledger keeps the history); suspensions that run
    across the new year continue. Idempotent."""
    cleared = session.execute(update(Practitioner).where(
        or_(Practitioner.tally_year.is_(None), Practitioner.tally_year < today.year))
        .values(tally=0, tally_year=today.year)).rowcount
    changed = refresh_statuses(session, policy, today, now, cause="year rollover")
    return {"year": today.year, "tallies_cleared": cleared, "status_changes": changed}
