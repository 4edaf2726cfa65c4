"""告知: tell the person, each institution they are registered at on the day, and the record's institution."""
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from api.clock import utcnow
from api.db.models import Institution, Notification, PointRecord, Practitioner, Registration
from points.dates import china_date
from points.privacy import mask_id_numbers


def staff_institutions(session: Session, person_id: int, day: date, record_id: int | None = None) -> list[str]:
    """Codes of the institutions the person is registered at on `day`, and of the record's institution (where
    the violation happened, maybe a former employer): an institution the person left hears nothing later."""
    codes = set(session.scalars(select(Institution.code).join(Registration).where(
        Registration.practitioner_id == person_id, Registration.open_on(day))))
    if record_id is not None:
        codes.update(session.scalars(select(Institution.code).join(PointRecord)
                                     .where(PointRecord.id == record_id)))
    return sorted(codes)


def notify(session: Session, person: Practitioner, kind: str, message: tuple[str, str], record_id: int | None = None,
           at: datetime | None = None, today: date | None = None) -> None:
    """`message`: (Chinese, English)."""
    at = at or utcnow()
    day = today or china_date(at)
    recipients = [("practitioner", person.code)] + [
        ("institution", code) for code in staff_institutions(session, person.id, day, record_id)]
    zh, en = (mask_id_numbers(text)[:1000] for text in message)  # pieces masked alone can join: masked again
    for recipient_kind, code in recipients:
        session.add(Notification(recipient_kind=recipient_kind, recipient_code=code, subject_code=person.code,
                                 kind=kind, message=zh, message_en=en, record_id=record_id, created_at=at))
