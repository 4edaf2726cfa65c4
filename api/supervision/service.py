"""Supervisor use cases that combine ledger steps: cases with several people, reviews closing objections,
registration of new people, suspension lengths, repairs, region-scoped listings. Every fetch goes through
`api.authz.scope` (out of scope reads as unknown) and every change through `api.authz.policy`."""
import re
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from api.audit import audit
from api.auth.tokens import Principal
from api.authz.policy import Action, Target, require
from api.authz.scope import (
    check_not_backdated_into,
    get_visible_institution,
    get_visible_practitioner,
    get_visible_record,
    get_visible_registration,
    registered_regions,
    reviewable_records,
    visible_people,
)
from api.db.models import (
    Institution,
    InstitutionCreate,
    Objection,
    PointRecord,
    Practitioner,
    PractitionerCreate,
    RepairCredit,
)
from api.errors import Forbidden, InvalidRequest, NotFound
from api.ledger import service as ledger
from api.ledger.schemas import (
    PointRecordCreate,
    RegistrationCreate,
    RegistrationEnd,
    RepairCreate,
    ReviewCreate,
    SuspensionDecisionCreate,
)
from api.ledger.status import refresh_statuses, status_clock, statuses_as_of
from api.pagination import Key, count, keyset
from api.practitioners.service import create_institution, create_practitioner
from api.supervision.schemas import CaseCreate, PractitionerRegister, ReviewIn
from points import Policy, Timeline
from points.checks import named_suspension

CODE_PREFIX = re.compile(r"[A-Za-z]{1,2}\d+|D|HY|HJ", re.IGNORECASE)
CODE_MAX = 16


def register_practitioner(session: Session, who: Principal, data: PractitionerRegister, policy: Policy,
                          today: date) -> Practitioner:
    """At an institution of the caller's region; a person already known anywhere is registered, not created
    (多点执业). Registering grants reading the person's record, never changing another region's decisions."""
    institution = get_visible_institution(session, who, data.institution_code)
    check_not_backdated_into(session, who, data.code.strip().upper(), data.registered_on, today)
    try:
        person = ledger.get_practitioner(session, data.code)
    except NotFound:
        person = create_practitioner(session, who.name, PractitionerCreate.model_validate(data), policy)
    ledger.register(session, who.name, RegistrationCreate(practitioner_code=person.code,
                                                          institution_code=institution.code,
                                                          starts_on=data.registered_on), policy, today)
    return person


def create_institution_in_scope(session: Session, who: Principal, data: InstitutionCreate) -> Institution:
    """In the caller's region, and in the region its code names (H/P + region + sequence)."""
    if data.region != data.code[1:7]:
        raise InvalidRequest(f"institution {data.code} names region {data.code[1:7]}, not {data.region}",
                             "INSTITUTION_REGION_MISMATCH")
    if not who.covers_region(data.region):
        raise Forbidden(f"region {data.region} is outside your region {who.scope}", "OUT_OF_SCOPE")
    return create_institution(session, who.name, data)


def add_registration(session: Session, who: Principal, data: RegistrationCreate, policy: Policy,
                     today: date) -> Practitioner:
    institution = get_visible_institution(session, who, data.institution_code)
    check_not_backdated_into(session, who, data.practitioner_code.strip().upper(), data.starts_on, today)
    ledger.register(session, who.name, data.model_copy(update={"institution_code": institution.code}), policy, today)
    return ledger.get_practitioner(session, data.practitioner_code)


def end_registration(session: Session, who: Principal, registration_id: int, data: RegistrationEnd, policy: Policy,
                     today: date, person_code: str | None = None) -> Practitioner:
    """注销 / 变更 by a supervisor of the institution's region; any other registration reads as unknown."""
    registration = get_visible_registration(session, who, registration_id, person_code)
    ledger.end_registration(session, who.name, registration.id, data, policy, today)
    return ledger.get_practitioner(session, "", by_id=registration.practitioner_id)


def record_case(session: Session, who: Principal, case: CaseCreate, policy: Policy, today: date) -> list[PointRecord]:
    """Records by the caller's authority (its region is kept on each record) at an institution of its region."""
    institution = get_visible_institution(session, who, case.institution_code)
    records = []
    for p in case.people:
        get_visible_practitioner(session, who, p.practitioner_code)  # someone never registered here: unknown
        records.append(ledger.record_points(session, who.name, PointRecordCreate(
            practitioner_code=p.practitioner_code, institution_code=institution.code,
            violation_code=case.violation_code, points=p.points, responsibility=p.responsibility,
            decision_date=case.decision_date, case_number=case.case_number, authority=case.authority),
            policy, today, authority_region=who.scope))
    return records



def review(session: Session, who: Principal, record_id: int, data: ReviewIn, policy: Policy, today: date):
    record, person = get_visible_record(session, who, record_id)
    require(who, Action.REVIEW, Target(authority_region=record.authority_region))
    row = ledger.review_record(session, who.name, record.id, ReviewCreate.model_validate(data), policy, today)
    open_objections = session.scalars(select(Objection).where(Objection.record_id == record.id,
                                                              Objection.state == "open")).all()
    for objection in open_objections:
        objection.state, objection.review_id = "reviewed", row.id
        audit(session, who.name, "objection.review", "objection", objection.id, data.reason, subject=person.code,
              detail={"record": record.id, "before": {"state": "open"}, "after": {"state": "reviewed",
                                                                                  "review": row.id}})
    return row, [o.id for o in open_objections], person


def decide_suspension(session: Session, who: Principal, code: str, data: SuspensionDecisionCreate, policy: Policy,
                      today: date) -> Timeline:
    """Only the authority of the suspension's triggering record (or one above it) decides its length. The
    trigger must be one of the person's current suspension triggers (else 422 NO_SUSPENSION)."""
    person = get_visible_practitioner(session, who, code, lock=True)  # the suspension cannot change under us
    timeline = ledger.timeline_of(session, person, policy)
    suspension = named_suspension(timeline, data.trigger_record_id, data.year, data.ordinal)
    trigger = session.get(PointRecord, suspension.trigger_record)
    require(who, Action.DECIDE_SUSPENSION, Target(authority_region=trigger.authority_region))
    return ledger.decide_suspension(session, who.name, person.code, data, policy, today, authority_region=who.scope)


def add_repair(session: Session, who: Principal, code: str, data: RepairCreate, policy: Policy,
               today: date) -> RepairCredit:
    """Granted under the caller's region's rules, for a person registered there on the activity date."""
    person = get_visible_practitioner(session, who, code)
    provided = policy.parameters(who.scope, data.activity_date).repair_cap_per_year > 0
    require(who, Action.REPAIR, Target(registered_regions=frozenset(
        registered_regions(session, person.id, data.activity_date)), repair_provided=provided))
    return ledger.add_repair(session, who.name, person.code, data, policy, today, authority_region=who.scope)


def bring_statuses_up_to_date(session: Session, policy: Policy, today: date) -> None:
    """Before listing by status: if the daily job has not run yet today, do its work now (one row read when
    it has)."""
    as_of = status_clock(session).as_of
    if as_of is None or as_of < today:
        refresh_statuses(session, policy, today)


PERSON_ROW = (Practitioner.code, Practitioner.name, Practitioner.category, Practitioner.region, Practitioner.status,
              Practitioner.status_until, statuses_as_of())


def people_page(session: Session, who: Principal, status: str | None, after: Key | None, limit: int):
    """People in scope (in `status`) as PERSON_ROW column rows, in code order after the code `after`: limit+1
    rows (keyset), so a page costs the same at any depth."""
    query = select(*PERSON_ROW).where(visible_people(who))
    if status:
        query = query.where(Practitioner.status == status)
    return session.execute(keyset(query, [Practitioner.code], after, limit)).all()


def objections(session: Session, who: Principal, state: str = "open", after: Key | None = None, limit: int = 200):
    """Objections this supervisor may review (records its region's authority decided), oldest first after the
    id `after`, limit+1 of them (keyset), with the person and the record:
    column rows (an ObjectionView's fields plus code, name, case_number, points, decision_date)."""
    return session.execute(keyset(
        select(Objection.id, Objection.record_id, Objection.state, Objection.reason, Objection.filed_at,
               Objection.review_id, Practitioner.code, Practitioner.name, PointRecord.case_number,
               PointRecord.points, PointRecord.decision_date)
        .join(Practitioner, Practitioner.id == Objection.practitioner_id)
        .join(PointRecord, PointRecord.id == Objection.record_id)
        .where(Objection.state == state, reviewable_records(who)), [Objection.id], after, limit)).all()


def count_objections(session: Session, who: Principal, state: str = "open") -> int:
    """How many objections `objections` lists in all (by the state index; a region's are few)."""
    return count(session, select(Objection.id).join(PointRecord, PointRecord.id == Objection.record_id)
                 .where(Objection.state == state, reviewable_records(who)))


def search_people(session: Session, who: Principal, text: str, status: str | None = None, limit: int = 50):
    """People in scope whose code or name starts with `text` (and in `status`), as column rows (no ORM objects);
    both prefixes are answered from an index on SQLite and PostgreSQL."""
    text = text.strip()
    query = (select(Practitioner.code, Practitioner.name, Practitioner.category, Practitioner.region,
                    Practitioner.status, Practitioner.status_until, statuses_as_of())
             .where(visible_people(who)).order_by(Practitioner.code).limit(limit))
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
