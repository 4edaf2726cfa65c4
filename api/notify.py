"""告知: tell the person and each institution they are registered at."""
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from api.clock import utcnow
from api.db.models import Institution, Notification, Practitioner, Registration
from points.privacy import mask_id_numbers


def staff_institutions(session: Session, person_id: int) -> list[str]:
    """Codes of every institution the person is or was registered at."""
    return list(session.scalars(select(Institution.code).join(Registration)
                                .where(Registration.practitioner_id == person_id)))


def notify(session: Session, person: Practitioner, kind: str, message: str, record_id: int | None = None,
           at: datetime | None = None) -> None:
    at = at or utcnow()
    recipients = [("practitioner", person.code)] + [
        ("institution", code) for code in sorted(set(staff_institutions(session, person.id)))]
    message = mask_id_numbers(message)[:1000]  # pieces masked alone can join into a number: masked again
    for recipient_kind, code in recipients:
        session.add(Notification(recipient_kind=recipient_kind, recipient_code=code, subject_code=person.code,
                                 kind=kind, message=message, record_id=record_id, created_at=at))
