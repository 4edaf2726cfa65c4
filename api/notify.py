"""告知: tell the person and each institution they are registered at."""
from datetime import datetime

from sqlmodel import Session

from api.access import staff_institutions
from api.clock import utcnow
from api.db.models import Notification, Practitioner


def notify(session: Session, person: Practitioner, kind: str, message: str, record_id: int | None = None,
           at: datetime | None = None) -> None:
    at = at or utcnow()
    recipients = [("practitioner", person.code)] + [
        ("institution", code) for code in sorted({c for c, _ in staff_institutions(session, person.id)})]
    for recipient_kind, code in recipients:
        session.add(Notification(recipient_kind=recipient_kind, recipient_code=code, subject_code=person.code,
                                 kind=kind, message=message[:1000], record_id=record_id, created_at=at))
