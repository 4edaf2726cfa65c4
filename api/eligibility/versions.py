"""Monotonic counters kept in `change_counter`, taken inside the caller's transaction (the row lock orders
concurrent writers). 'standing' marks changes of anyone's standing; 'audit' numbers the audit chain.

On PostgreSQL each new standing value is also announced on the `points_standing` channel (NOTIFY, sent at
commit, dropped on rollback) with the value as payload, so API workers listening (api/listen.py) refresh at once
instead of at their next poll."""
from sqlalchemy import Text, cast, func, select, update
from sqlmodel import Session

from api.db.models import ChangeCounter, Practitioner

STANDING = "standing"
STANDING_CHANGED = "standing_changed"  # session.info key: code -> standing value, for this transaction's changes
CHANNEL = "points_standing"


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def next_value(session: Session, name: str, floor_column, notify: str | None = None) -> int:
    """The counter's next value, announced on the channel `notify` (PostgreSQL) in the same statement. The rows
    are seeded by migrations; one that is missing (an emptied table) is recreated above the highest value
    already used (`floor_column`)."""
    notify = notify if notify and _postgres(session) else None
    returning = [ChangeCounter.value]
    if notify:
        returning.append(func.pg_notify(notify, cast(ChangeCounter.value, Text)))
    value = session.execute(update(ChangeCounter).where(ChangeCounter.name == name)
                            .values(value=ChangeCounter.value + 1).returning(*returning)).scalar()
    if value is None:
        value = 1 + (session.scalar(select(func.max(floor_column))) or 0)
        session.add(ChangeCounter(name=name, value=value))
        session.flush()
        if notify:
            session.execute(select(func.pg_notify(notify, str(value))))
    return value


def bump_standing(session: Session, person: Practitioner) -> int:
    """Stamp the person with the next standing value, and note them (with it) for this process's snapshot."""
    person.standing_version = next_value(session, STANDING, Practitioner.standing_version, notify=CHANNEL)
    session.info.setdefault(STANDING_CHANGED, {})[person.code] = person.standing_version
    return person.standing_version


def current_standing_version(session: Session) -> int:
    return session.scalar(select(ChangeCounter.value).where(ChangeCounter.name == STANDING)) or 0
