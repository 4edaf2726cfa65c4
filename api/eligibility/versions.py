"""The standing counter: bumped in the transaction of every change of someone's standing."""
from sqlalchemy import func, select, update
from sqlmodel import Session

from api.db.models import ChangeCounter, Practitioner

STANDING = "standing"
STANDING_CHANGED = "standing_changed"  # session.info key: codes whose standing this transaction changed


def bump_standing(session: Session, person: Practitioner) -> int:
    """Take the next counter value (the row lock orders concurrent writers) and stamp the person with it."""
    value = session.execute(update(ChangeCounter).where(ChangeCounter.name == STANDING)
                            .values(value=ChangeCounter.value + 1).returning(ChangeCounter.value)).scalar()
    if value is None:  # the row is seeded by the migration; recreated if someone emptied the table
        value = 1 + (session.scalar(select(func.max(Practitioner.standing_version))) or 0)
        session.add(ChangeCounter(name=STANDING, value=value))
        session.flush()
    person.standing_version = value
    session.info.setdefault(STANDING_CHANGED, set()).add(person.code)
    return value


def current_standing_version(session: Session) -> int:
    return session.scalar(select(ChangeCounter.value).where(ChangeCounter.name == STANDING)) or 0
