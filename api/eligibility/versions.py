"""Monotonic counters kept in `change_counter`, taken inside the caller's transaction (the row lock orders
concurrent writers). 'standing' marks changes of anyone's standing; 'audit' numbers the audit chain."""
from sqlalchemy import func, select, update
from sqlmodel import Session

from api.db.models import ChangeCounter, Practitioner

STANDING = "standing"
STANDING_CHANGED = "standing_changed"  # session.info key: codes whose standing this transaction changed


def next_value(session: Session, name: str, floor_column) -> int:
    """The counter's next value. The rows are seeded by migrations; one that is missing (an emptied table) is
    recreated above the highest value already used (`floor_column`)."""
    value = session.execute(update(ChangeCounter).where(ChangeCounter.name == name)
                            .values(value=ChangeCounter.value + 1).returning(ChangeCounter.value)).scalar()
    if value is None:
        value = 1 + (session.scalar(select(func.max(floor_column))) or 0)
        session.add(ChangeCounter(name=name, value=value))
        session.flush()
    return value


def bump_standing(session: Session, person: Practitioner) -> int:
    """Stamp the person with the next standing value, and note them for this process's snapshot."""
    person.standing_version = next_value(session, STANDING, Practitioner.standing_version)
    session.info.setdefault(STANDING_CHANGED, set()).add(person.code)
    return person.standing_version


def current_standing_version(session: Session) -> int:
    return session.scalar(select(ChangeCounter.value).where(ChangeCounter.name == STANDING)) or 0
