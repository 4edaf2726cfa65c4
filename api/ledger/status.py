"""Each person's status snapshot (status, until, this year's tally), kept current as ledger entries arrive
and as days pass; every change of status is emitted to the outbox."""
from datetime import date, datetime

from sqlalchemy import func, or_, select, update
from sqlmodel import Session

from api.audit import audit
from api.clock import utcnow
from api.db.models import Practitioner, Registration, Sanction
from api.ledger.changes import standing
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


def _crossed(start_col, end_col, since: date, today: date):
    """A start, or an end (the day after end_col), falls in (since, today]."""
    return ((start_col > since) & (start_col <= today)) | ((end_col >= since) & (end_col < today))


def due_for_refresh(session: Session, today: date) -> list[int]:
    """People whose status may differ today from when it was last computed: never computed, or with a
    sanction or registration that began or ended since the oldest snapshot date. Uncorrelated range scans;
    a few extra people are harmless (re-deriving is idempotent)."""
    due = set(session.scalars(select(Practitioner.id).where(Practitioner.status_as_of.is_(None))))
    since = session.scalar(select(func.min(Practitioner.status_as_of)).where(Practitioner.status_as_of < today))
    if since is not None:
        due.update(session.scalars(select(Sanction.practitioner_id).distinct().where(
            Sanction.revoked_at.is_(None), _crossed(Sanction.starts_on, Sanction.ends_on, since, today))))
        due.update(session.scalars(select(Registration.practitioner_id).distinct().where(
            _crossed(Registration.starts_on, Registration.ends_on, since, today))))
    return sorted(due)


def refresh_statuses(session: Session, policy: Policy, today: date, now: datetime | None = None,
                     cause: str = "calendar") -> int:
    """Re-derive the snapshot where due; mark everyone else as current. Idempotent; returns changes made.
    A change of a status already derived before is audited (actor 'calendar'); a first derivation is not."""
    sink, changed = EventSink(session, now or utcnow()), 0
    due = due_for_refresh(session, today)
    for pid, ledger in load_ledgers(session, due).items():
        person = session.get(Practitioner, pid)
        before, derived_before = standing(person), person.status_as_of is not None
        if apply_status(person, derive(ledger, policy), today, cause, sink):
            changed += 1
            if derived_before:
                audit(session, "calendar", "practitioner.status", "practitioner", person.code, cause,
                      {"before": before, "after": standing(person)}, at=now, subject=person.code)
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
