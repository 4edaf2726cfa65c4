"""Evidence of objections: attach (the objecting practitioner, while the objection is open), list and fetch (the
practitioner, or a supervisor who may see the objection: one who sees the person). Out of sight reads as unknown."""
from sqlalchemy import false, func, select
from sqlmodel import Session

from api.audit import audit
from api.auth.tokens import Principal, Role
from api.authz.scope import visible_people
from api.clock import utcnow
from api.db.models import Objection, ObjectionEvidence, PointRecord, Practitioner
from api.errors import Conflict, NotFound
from api.evidence.files import EvidenceLimits, Upload, checked

LISTED = (ObjectionEvidence.id, ObjectionEvidence.objection_id, ObjectionEvidence.file_name,
          ObjectionEvidence.media_type, ObjectionEvidence.size, ObjectionEvidence.sha256,
          ObjectionEvidence.uploaded_at)  # everything but the bytes


def visible_objections(who: Principal):
    """WHERE clause on Objection: a practitioner's own; a supervisor's of the people it sees; nobody else's."""
    if who.role not in (Role.PRACTITIONER, Role.SUPERVISOR):
        return false()
    return Objection.practitioner_id.in_(select(Practitioner.id).where(visible_people(who)))


def get_visible_objection(session: Session, who: Principal, objection_id: int, lock: bool = False) -> Objection:
    query = select(Objection).where(Objection.id == objection_id, visible_objections(who))
    found = session.scalars(query.with_for_update() if lock else query).first()
    if found is None:
        raise NotFound(f"no objection {objection_id}", "OBJECTION_NOT_FOUND")
    return found


def attach(session: Session, objection: Objection, uploads: list[Upload], limits: EvidenceLimits,
           actor: str) -> list[ObjectionEvidence]:
    """Files for an open objection the caller filed (fetched with its row locked, so two uploads at once cannot
    pass the count limit); each file audited. All or none are stored."""
    if objection.state != "open":
        raise Conflict(f"objection {objection.id} is {objection.state}; evidence goes with an open objection",
                       "OBJECTION_CLOSED", objection=objection.id)
    already = session.scalar(select(func.count()).where(ObjectionEvidence.objection_id == objection.id))
    accepted = checked(uploads, limits, already or 0)
    person = session.get(Practitioner, objection.practitioner_id)
    record = session.get(PointRecord, objection.record_id)
    rows = []
    for item in accepted:
        row = ObjectionEvidence(objection_id=objection.id, file_name=item.file_name, media_type=item.media_type,
                                size=item.size, sha256=item.sha256, content=item.content, uploaded_at=utcnow())
        session.add(row)
        session.flush()
        audit(session, actor, "objection.evidence", "objection_evidence", row.id, subject=person.code,
              detail={"objection": objection.id, "record": record.id,
                      "after": {"file_name": row.file_name, "media_type": row.media_type, "size": row.size,
                                "sha256": row.sha256}})
        rows.append(row)
    return rows


def evidence_of(session: Session, objection_ids: list[int]) -> dict[int, list]:
    """Objection id -> its files (LISTED column rows, no bytes), in upload order. The caller has checked that
    it may see these objections."""
    found: dict[int, list] = {}
    if objection_ids:
        for row in session.execute(select(*LISTED).where(ObjectionEvidence.objection_id.in_(objection_ids))
                                   .order_by(ObjectionEvidence.id)):
            found.setdefault(row.objection_id, []).append(row)
    return found


def get_visible_evidence(session: Session, who: Principal, evidence_id: int,
                         objection_id: int | None = None) -> ObjectionEvidence:
    """One file with its bytes, if the caller may see its objection (of `objection_id` when given)."""
    query = (select(ObjectionEvidence).join(Objection, Objection.id == ObjectionEvidence.objection_id)
             .where(ObjectionEvidence.id == evidence_id, visible_objections(who)))
    if objection_id is not None:
        query = query.where(ObjectionEvidence.objection_id == objection_id)
    found = session.scalars(query).first()
    if found is None:
        raise NotFound(f"no evidence file {evidence_id}", "EVIDENCE_NOT_FOUND")
    return found
