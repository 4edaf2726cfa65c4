"""A practitioner's own actions: objecting to a record (异议申诉)."""
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.audit import audit
from api.clock import utcnow
from api.db.models import Objection, PointRecord, Practitioner
from api.errors import Conflict, NotFound
from api.ledger.service import effective_points_of
from api.notify import notify
from api.supervision.schemas import ObjectionIn
from points import Policy
from points.dates import china_date
from points.objections import check_objection_in_time, objection_deadline


def file_objection(session: Session, person: Practitioner, body: ObjectionIn, policy: Policy,
                   actor: str | None = None, today: date | None = None) -> Objection:
    """One open objection per record, within the objection period (R38); an annulled record cannot be objected
    to. `actor`: who filed it (the token's holder; default the person); `today`: default today in China."""
    record = session.get(PointRecord, body.record_id)
    if record is None or record.practitioner_id != person.id:
        raise NotFound(f"you have no record {body.record_id}", "RECORD_NOT_FOUND")
    if effective_points_of(session, person, policy, record.id) == 0:
        raise Conflict(f"record {record.id} is annulled", "RECORD_ANNULLED", record=record.id)
    check_objection_in_time(objection_deadline(policy, person.region, china_date(record.recorded_at)),
                            today or china_date(utcnow()))
    row = Objection(record_id=record.id, practitioner_id=person.id, reason=body.reason, filed_at=utcnow())
    try:  # a partial unique index keeps one open objection per record, also for filings made at once
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise Conflict(f"record {record.id} already has an open objection", "OBJECTION_OPEN",
                       record=record.id) from None
    audit(session, actor or person.code, "objection.file", "objection", row.id, row.reason, subject=person.code,
          detail={"record": record.id, "after": {"record": record.id, "state": "open"}})
    notify(session, person, "objection", (f"已收到对记分 {record.case_number} 的异议申诉, 等待复核",
                                          f"Objection to record {record.case_number} received; awaiting review"),
           record.id, today=today)
    return row
