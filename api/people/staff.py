"""An institution's staff, a page at a time, with each person's status today.

The page is read from the (institution, practitioner) registration index after the last practitioner id, so it
costs the same at any depth. Statuses come from the process's eligibility snapshot (no database work); only
people it does not know yet, or that this process changed and has not reloaded, are read from the database, in
a few bulk queries."""
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from api.db.models import Practitioner, Registration
from api.eligibility.repository import load_standings
from api.eligibility.snapshot import Snapshot
from api.pagination import Key, count, keyset
from points import Status


def staff_page(session: Session, institution_id: int, after: Key | None, limit: int):
    """Column rows (id, code, name, category, region) of people ever registered at the institution, in id order
    after the id `after`: limit+1 rows (keyset)."""
    ids = keyset(select(Registration.practitioner_id).distinct().where(Registration.institution_id == institution_id),
                 [Registration.practitioner_id], after, limit)
    return session.execute(select(Practitioner.id, Practitioner.code, Practitioner.name, Practitioner.category,
                                  Practitioner.region).where(Practitioner.id.in_(ids)).order_by(Practitioner.id)).all()


def count_staff(session: Session, institution_id: int) -> int:
    """How many people `staff_page` lists in all (from the same registration index)."""
    return count(session, select(Registration.practitioner_id).distinct()
                 .where(Registration.institution_id == institution_id))


def statuses_on(session: Session, snapshot: Snapshot | None, codes: list[str],
                day: date) -> dict[str, tuple[Status, date | None]]:
    """code -> (status, until) on `day` for known codes."""
    out, unknown = {}, []
    for code in codes:
        if snapshot is not None and code in snapshot and snapshot.knows(code):
            _, status, _, until, _ = snapshot.verdict(code, day, False)
            out[code] = (status, until)
        else:
            unknown.append(code)
    for code, standing in load_standings(session, unknown).items():
        state = standing.status_on(day)
        out[code] = (state.status, state.until)
    return out
