"""What an institution sees of itself: the staff registered there today, each with their status and a sanction
decided but not yet begun, and the notifications (告知) addressed to it. Pages of `limit` rows by offset: one
institution's staff and notices are a small, indexed set."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from api.db.models import Notification, Practitioner, Registration
from api.eligibility.repository import load_standings
from api.eligibility.snapshot import Snapshot
from api.people.staff import statuses_on
from points import Status
from points.dates import ONE_DAY


@dataclass(frozen=True)
class Upcoming:
    kind: str          # suspension | termination
    starts_on: date
    ends_on: date      # last suspended day, or last day of the ban


@dataclass(frozen=True)
class StaffMember:
    code: str
    name: str
    category: str
    region: str
    status: Status
    until: date | None
    upcoming: Upcoming | None


def _registered_now(institution_id: int, today: date):
    return select(Registration.practitioner_id).where(
        Registration.institution_id == institution_id, Registration.open_on(today))


def count_current_staff(session: Session, institution_id: int, today: date) -> int:
    return session.scalar(select(func.count(func.distinct(Practitioner.id)))
                          .where(Practitioner.id.in_(_registered_now(institution_id, today)))) or 0


def upcoming_sanctions(session: Session, codes: list[str], today: date) -> dict[str, Upcoming]:
    """code -> the earliest sanction decided and not begun by `today` (a suspension starting later, as one
    chained after a running one; a termination takes effect the day after its decision)."""
    out = {}
    for code, standing in load_standings(session, codes).items():
        ahead = [Upcoming("suspension", first, last) for first, last in standing.suspensions
                 if first > today and last >= first]
        ahead += [Upcoming("termination", decided + ONE_DAY, ban_ends) for decided, ban_ends in standing.terminations
                  if decided >= today]
        if ahead:
            out[code] = min(ahead, key=lambda u: u.starts_on)
    return out


def current_staff(session: Session, snapshot: Snapshot | None, institution_id: int, today: date, offset: int,
                  limit: int) -> list[StaffMember]:
    """People registered at the institution today, by code, with today's status (the same source as the API's
    staff list) and what is coming."""
    rows = session.execute(select(Practitioner.code, Practitioner.name, Practitioner.category, Practitioner.region)
                           .where(Practitioner.id.in_(_registered_now(institution_id, today)))
                           .order_by(Practitioner.code).offset(offset).limit(limit)).all()
    codes = [r.code for r in rows]
    statuses = statuses_on(session, snapshot, codes, today)
    upcoming = upcoming_sanctions(session, codes, today)
    return [StaffMember(r.code, r.name, r.category, r.region, *statuses.get(r.code, (Status.UNREGISTERED, None)),
                        upcoming.get(r.code)) for r in rows]


def _addressed_to(institution_code: str):
    return (Notification.recipient_kind == "institution", Notification.recipient_code == institution_code)


def count_notifications(session: Session, institution_code: str) -> int:
    return session.scalar(select(func.count(Notification.id)).where(*_addressed_to(institution_code))) or 0


def notifications(session: Session, institution_code: str, offset: int, limit: int):
    """The notices addressed to the institution, newest first, with the person's name (column rows)."""
    return session.execute(
        select(Notification.id, Notification.created_at, Notification.kind, Notification.message,
               Notification.message_en, Notification.subject_code, Practitioner.name.label("subject_name"))
        .outerjoin(Practitioner, Practitioner.code == Notification.subject_code)
        .where(*_addressed_to(institution_code))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).offset(offset).limit(limit)).all()
