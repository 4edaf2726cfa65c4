"""Supervisor use cases that combine ledger steps: cases with several people, reviews closing objections,
registration of new people, region-scoped listings."""
import re
from datetime import date

from sqlalchemy import exists, func, or_, select
from sqlmodel import Session

from api.access import ensure_region
from api.auth.tokens import Principal
from api.db.models import Institution, Objection, PointRecord, Practitioner, PractitionerCreate, Registration
from api.errors import NotFound
from api.ledger import service as ledger
from api.ledger.schemas import PointRecordCreate, RegistrationCreate, ReviewCreate
from api.ledger.status import refresh_statuses
from api.practitioners.service import create_practitioner
from api.supervision.schemas import CaseCreate, PractitionerRegister, ReviewIn
from points import Policy

CODE_PREFIX = re.compile(r"[A-Za-z]{1,2}\d+|D|HY|HJ", re.IGNORECASE)
CODE_MAX = 16


def register_practitioner(session: Session, who: Principal, data: PractitionerRegister, policy: Policy,
                          today: date) -> Practitioner:
    institution = ledger.get_institution(session, data.institution_code)
    ensure_region(who, institution.region, f"institution {institution.code}")
    try:
        person = ledger.get_practitioner(session, data.code)
    except NotFound:
        person = create_practitioner(session, who.name, PractitionerCreate.model_validate(data), policy)
    ledger.register(session, who.name, RegistrationCreate(practitioner_code=person.code,
                                                          institution_code=institution.code,
                                                          starts_on=data.registered_on), policy, today)
    return person


def record_case(session: Session, who: Principal, case: CaseCreate, policy: Policy, today: date) -> list[PointRecord]:
    institution = ledger.get_institution(session, case.institution_code)
    ensure_region(who, institution.region, f"institution {institution.code}")
    return [ledger.record_points(session, who.name, PointRecordCreate(
        practitioner_code=p.practitioner_code, institution_code=institution.code, violation_code=case.violation_code,
        points=p.points, responsibility=p.responsibility, decision_date=case.decision_date,
        case_number=case.case_number, authority=case.authority), policy, today) for p in case.people]


def record_for_supervisor(session: Session, who: Principal, record_id: int) -> tuple[PointRecord, Practitioner]:
    record = session.get(PointRecord, record_id)
    if record is None:
        raise NotFound(f"no point record {record_id}", "RECORD_NOT_FOUND")
    institution = session.get(Institution, record.institution_id)
    ensure_region(who, institution.region, f"the record's institution {institution.code}")
    return record, session.get(Practitioner, record.practitioner_id)


def review(session: Session, who: Principal, record_id: int, data: ReviewIn, policy: Policy, today: date):
    record, person = record_for_supervisor(session, who, record_id)
    row = ledger.review_record(session, who.name, record.id, ReviewCreate.model_validate(data), policy, today)
    open_objections = session.scalars(select(Objection).where(Objection.record_id == record.id,
                                                              Objection.state == "open")).all()
    for objection in open_objections:
        objection.state, objection.review_id = "reviewed", row.id
    return row, [o.id for o in open_objections], person


def people_in_scope(who: Principal):
    """Practitioners whose own region, or one of whose institutions' regions, is in the supervisor's scope."""
    prefix = who.region_prefix
    if not prefix:
        return True
    at_institution = exists(select(Registration.id).join(Institution).where(
        Registration.practitioner_id == Practitioner.id,
        func.substr(Institution.region, 1, len(prefix)) == prefix))
    return or_(func.substr(Practitioner.region, 1, len(prefix)) == prefix, at_institution)


def list_people(session: Session, who: Principal, policy: Policy, today: date, status: str | None,
                offset: int, limit: int | None) -> list[Practitioner]:
    if session.scalar(select(func.count()).select_from(Practitioner).where(
            or_(Practitioner.status_as_of.is_(None), Practitioner.status_as_of < today))):
        refresh_statuses(session, policy, today)  # the daily job has not run yet today
    query = select(Practitioner).where(people_in_scope(who)).order_by(Practitioner.code).offset(offset)
    if status:
        query = query.where(Practitioner.status == status)
    return list(session.scalars(query.limit(limit) if limit else query))


def objections(session: Session, who: Principal, state: str = "open", limit: int = 200):
    """Objections about people in the supervisor's region, oldest first, with the person and the record:
    column rows (an ObjectionView's fields plus code, name, case_number, points, decision_date)."""
    return session.execute(
        select(Objection.id, Objection.record_id, Objection.state, Objection.reason, Objection.filed_at,
               Objection.review_id, Practitioner.code, Practitioner.name, PointRecord.case_number,
               PointRecord.points, PointRecord.decision_date)
        .join(Practitioner, Practitioner.id == Objection.practitioner_id)
        .join(PointRecord, PointRecord.id == Objection.record_id)
        .where(Objection.state == state, people_in_scope(who)).order_by(Objection.id).limit(limit)).all()


def search_people(session: Session, who: Principal, text: str, status: str | None = None, limit: int = 50):
    """People in scope whose code or name starts with `text` (and in `status`), as column rows (no ORM objects);
    both prefixes are answered from an index on SQLite and PostgreSQL."""
    text = text.strip()
    query = (select(Practitioner.code, Practitioner.name, Practitioner.category, Practitioner.region,
                    Practitioner.status, Practitioner.status_until, Practitioner.status_as_of)
             .where(people_in_scope(who)).order_by(Practitioner.code).limit(limit))
    if status:
        query = query.where(Practitioner.status == status)
    if CODE_PREFIX.fullmatch(text):
        # codes are [0-9A-Z]: every collation orders them bytewise, so a range finds the prefix
        prefix = text.upper()
        query = query.where(Practitioner.code >= prefix, Practitioner.code <= prefix.ljust(CODE_MAX, "Z"))
    elif text:
        query = query.where(_name_starts_with(session.get_bind().dialect.name, text))
    return session.execute(query).all()


def _name_starts_with(dialect: str, prefix: str):
    """SQLite's GLOB and PostgreSQL's LIKE (index with text_pattern_ops) use the name index; SQLite's LIKE
    would not (it ignores case)."""
    if dialect == "sqlite":
        return Practitioner.name.op("GLOB")(re.sub(r"([*?\[])", r"[\1]", prefix) + "*")
    return Practitioner.name.startswith(prefix, autoescape=True)
