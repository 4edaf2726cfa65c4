"""Keep each person's status snapshot current as days pass (suspensions start and end, bans expire)."""
from datetime import date

from sqlalchemy import or_, select, update
from sqlmodel import Session

from api.db.models import Practitioner, Registration, Sanction
from api.ledger.repository import load_ledgers
from points import Policy, derive


def _crossed(start_col, end_col, since, today: date):
    """A start or an end (day after end_col) falls in (since, today]."""
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


def refresh_statuses(session: Session, policy: Policy, today: date) -> int:
    """Re-derive the snapshot where due; mark everyone else as current. Idempotent; returns changes made."""
    changed = 0
    due = due_for_refresh(session, today)
    for pid, ledger in load_ledgers(session, due).items():
        state = derive(ledger, policy).status_on(today)
        person = session.get(Practitioner, pid)
        if (person.status, person.status_until) != (state.status.value, state.until):
            changed += 1
        person.status, person.status_until, person.status_as_of = state.status.value, state.until, today
    session.execute(update(Practitioner).where(
        or_(Practitioner.status_as_of.is_(None), Practitioner.status_as_of < today)).values(status_as_of=today))
    return changed



