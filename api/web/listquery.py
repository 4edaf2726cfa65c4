"""The SQL of the supervisors' lists: the people list and the objections list, each with its filters and the
region filter in the same WHERE, counted, read a page at a time, and read in keyset chunks for the export
(column rows, never an ORM object per row)."""
from collections.abc import Iterator
from datetime import UTC, datetime, time

from sqlalchemy import and_, exists, func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.auth.tokens import Principal
from api.authz.scope import reviewable_records, visible_people
from api.db.models import Institution, Objection, PointRecord, Practitioner, RecordReview, Registration
from api.live import read_session
from api.pagination import count, keyset
from api.supervision.service import CODE_MAX, CODE_PREFIX, PERSON_ROW, _name_starts_with
from api.web.filters import PER_PAGE, Filters
from points.dates import CHINA, ONE_DAY

OBJECTION_ROW = (Objection.id, Objection.record_id, Objection.state, Objection.reason, Objection.filed_at,
                 Practitioner.code, Practitioner.name, PointRecord.case_number, PointRecord.points,
                 PointRecord.decision_date, PointRecord.violation_code, Institution.code.label("institution_code"))


def _text(dialect: str, text: str):
    """Code prefix or name prefix, as the search always did (both from an index)."""
    if CODE_PREFIX.fullmatch(text):
        prefix = text.upper()
        return and_(Practitioner.code >= prefix, Practitioner.code <= prefix.ljust(CODE_MAX, "Z"))
    return _name_starts_with(dialect, text)


def live_record():
    """WHERE on PointRecord: not annulled by its latest review (by decision date, then as recorded)."""
    latest = (select(RecordReview.outcome).where(RecordReview.record_id == PointRecord.id)
              .order_by(RecordReview.decided_on.desc(), RecordReview.id.desc()).limit(1).scalar_subquery())
    return func.coalesce(latest, "confirm") != "annul"


def people_where(who: Principal, f: Filters, dialect: str) -> list:
    where = [visible_people(who)]
    if f.status:
        where.append(Practitioner.status == f.status)
    if f.q:
        where.append(_text(dialect, f.q))
    if f.institution:
        where.append(exists(select(Registration.id).join(Institution).where(
            Registration.practitioner_id == Practitioner.id, Institution.code == f.institution)))
    if f.violation or f.start or f.end:
        records = [PointRecord.practitioner_id == Practitioner.id, live_record()]
        if f.violation:
            records.append(PointRecord.violation_code == f.violation)
        if f.start:
            records.append(PointRecord.decision_date >= f.start)
        if f.end:
            records.append(PointRecord.decision_date <= f.end)
        if f.institution:  # the record made at that institution
            records.append(PointRecord.institution_id == select(Institution.id).where(
                Institution.code == f.institution).scalar_subquery())
        where.append(exists(select(PointRecord.id).where(*records)))
    return where


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def count_people(session: Session, who: Principal, f: Filters) -> int:
    return count(session, select(Practitioner.id).where(*people_where(who, f, _dialect(session))))


def people_page(session: Session, who: Principal, f: Filters, per_page: int = PER_PAGE):
    query = select(*PERSON_ROW).where(*people_where(who, f, _dialect(session)))
    return session.execute(query.order_by(Practitioner.code).offset((f.page - 1) * per_page).limit(per_page)).all()


def _china_start(day) -> datetime:
    return datetime.combine(day, time(), CHINA).astimezone(UTC)


def objections_query(who: Principal, f: Filters, dialect: str, columns=OBJECTION_ROW):
    """Objections this supervisor may review (records its region's authority decided, of people it sees)."""
    query = (select(*columns).select_from(Objection)
             .join(Practitioner, Practitioner.id == Objection.practitioner_id)
             .join(PointRecord, PointRecord.id == Objection.record_id)
             .join(Institution, Institution.id == PointRecord.institution_id)
             .where(reviewable_records(who), visible_people(who)))
    if f.status:
        query = query.where(Objection.state == f.status)
    if f.q:
        query = query.where(_text(dialect, f.q))
    if f.institution:
        query = query.where(Institution.code == f.institution)
    if f.violation:
        query = query.where(PointRecord.violation_code == f.violation)
    if f.start:
        query = query.where(Objection.filed_at >= _china_start(f.start))
    if f.end:
        query = query.where(Objection.filed_at < _china_start(f.end + ONE_DAY))
    return query


def count_objections(session: Session, who: Principal, f: Filters) -> int:
    return count(session, objections_query(who, f, _dialect(session), (Objection.id,)))


def objections_page(session: Session, who: Principal, f: Filters, per_page: int = PER_PAGE):
    query = objections_query(who, f, _dialect(session))
    return session.execute(query.order_by(Objection.id).offset((f.page - 1) * per_page).limit(per_page)).all()


def chunks(engine: Engine, who: Principal, f: Filters, kind: str, size: int) -> Iterator[list]:
    """Every row of a list in keyset chunks of `size`, each read in its own short read-only transaction."""
    after = None
    while True:
        with read_session(engine) as session:
            dialect = _dialect(session)
            if kind == "people":
                query, key = select(*PERSON_ROW).where(*people_where(who, f, dialect)), Practitioner.code
            else:
                query, key = objections_query(who, f, dialect), Objection.id
            rows = session.execute(keyset(query, [key], after, size)).all()
        yield rows[:size]
        if len(rows) <= size:
            return
        after = (rows[size - 1][0],)
