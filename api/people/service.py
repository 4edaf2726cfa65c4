"""A practitioner's own actions: objecting to a record (异议申诉)."""
from sqlalchemy import select
from sqlmodel import Session

from api.clock import utcnow
from api.db.models import Objection, PointRecord, Practitioner
from api.errors import Conflict, NotFound
from api.ledger.service import effective_points_of
from api.notify import notify
from api.supervision.schemas import ObjectionIn
from points import Policy


def file_objection(session: Session, person: Practitioner, body: ObjectionIn, policy: Policy) -> Objection:
    """One open objection per record; an annulled record cannot be objected to."""
    record = session.get(PointRecord, body.record_id)
    if record is None or record.practitioner_id != person.id:
        raise NotFound(f"you have no record {body.record_id}", "RECORD_NOT_FOUND")
    if effective_points_of(session, person, policy, record.id) == 0:
        raise Conflict(f"record {record.id} is annulled", "RECORD_ANNULLED")
    if session.scalars(select(Objection.id).where(Objection.record_id == record.id,
                                                  Objection.state == "open")).first():
        raise Conflict(f"record {record.id} already has an open objection", "OBJECTION_OPEN")
    row = Objection(record_id=record.id, practitioner_id=person.id, reason=body.reason, filed_at=utcnow())
    session.add(row)
    session.flush()
    notify(session, person, "objection", f"已收到对记分 {record.case_number} 的异议申诉, 等待复核", record.id)
    return row
