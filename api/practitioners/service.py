"""Institutions and practitioners: creation with code validation. The caller commits."""
from sqlalchemy import select
from sqlmodel import Session

from api.audit import audit
from api.clock import utcnow
from api.db.models import Institution, InstitutionCreate, Practitioner, PractitionerCreate
from api.eligibility.versions import bump_standing
from api.errors import Conflict
from points import Policy
from points.codes import parse_person_code


def create_institution(session: Session, actor: str, data: InstitutionCreate) -> Institution:
    if session.scalars(select(Institution.id).where(Institution.code == data.code)).first() is not None:
        raise Conflict(f"institution {data.code} exists", "INSTITUTION_EXISTS")
    row = Institution.model_validate(data, update={"created_at": utcnow()})
    session.add(row)
    session.flush()
    audit(session, actor, "institution.create", "institution", row.code, detail=data.model_dump(mode="json"))
    return row


def create_practitioner(session: Session, actor: str, data: PractitionerCreate, policy: Policy) -> Practitioner:
    parsed = parse_person_code(data.code, policy.person_prefixes)
    code = str(parsed)
    if session.scalars(select(Practitioner.id).where(Practitioner.code == code)).first() is not None:
        raise Conflict(f"practitioner {code} exists", "PRACTITIONER_EXISTS")
    row = Practitioner.model_validate(data, update={"code": code, "region": parsed.region, "created_at": utcnow()})
    session.add(row)
    session.flush()
    bump_standing(session, row)  # someone new: snapshots (and images) made before now learn of them
    audit(session, actor, "practitioner.create", "practitioner", code, subject=code,
          detail={"category": data.category, "after": {"category": data.category, "region": parsed.region}})
    return row
