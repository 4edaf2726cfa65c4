"""The region overview's numbers: GROUP BY and COUNT on indexed columns over the people this supervisor may see
(api.authz.scope.visible_people: registered in the region or below, each person once), column rows only.

- statuses now: the stored status snapshot (ix_practitioner_status_code), as the people list filters it;
- upcoming: sanctions not revoked that start after today (ix_sanction_starts_on), people per kind;
- this year's point records by decision month, by violation type and by institution (top 10), in one pass on
  ix_point_record_decision_date (migration 0020), of the people read as sets (scope.visible_person_id); annulled
  records are left out, points are as recorded;
- open objections by age: the to-do page's scope (api.supervision.todo)."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import String, cast, distinct, exists, extract, func, literal, select, union_all
from sqlmodel import Session

from api.auth.tokens import Principal
from api.authz.scope import visible_people, visible_person_id
from api.db.models import Institution, PointRecord, Practitioner, RecordReview, Sanction, StatusClock
from api.supervision.todo import objection_ages
from points.ledger import ReviewOutcome

SANCTIONED = ("suspended", "banned", "terminated")
TOP_INSTITUTIONS = 10
AHEAD_SHOWN = 20


@dataclass(frozen=True)
class Overview:
    year: int
    statuses: dict[str, int]           # status -> people, SANCTIONED only
    status_as_of: date | None          # the day the stored statuses are current as of
    upcoming: dict[str, int]           # suspension | termination -> people whose sanction starts after today
    ahead: list                        # the first AHEAD_SHOWN of those sanctions: (code, name, kind, starts_on, ends_on)
    by_month: list[tuple[int, int, int]]              # (month, records, points), January to this month
    by_violation: list[tuple[str, int, int]]          # (violation code, records, points), most records first
    by_institution: list[tuple[str, str, int, int]]   # (code, name, records, points), top 10
    objection_ages: list                              # ((from, to), count), see todo.AGE_BUCKETS


def _this_years_records(who: Principal, today: date):
    annulled = exists().where(RecordReview.record_id == PointRecord.id, RecordReview.outcome == ReviewOutcome.ANNUL)
    query = select().select_from(PointRecord).where(PointRecord.decision_date >= date(today.year, 1, 1),
                                                    PointRecord.decision_date <= today, ~annulled)
    return query.where(visible_person_id(PointRecord.practitioner_id, who))  # sets, not a lookup per record


def statuses(session: Session, who: Principal) -> dict[str, int]:
    rows = session.execute(select(Practitioner.status, func.count()).where(
        Practitioner.status.in_(SANCTIONED), visible_people(who)).group_by(Practitioner.status))
    return {status: 0 for status in SANCTIONED} | dict(rows.all())


def upcoming(session: Session, who: Principal, today: date) -> dict[str, int]:
    rows = session.execute(
        select(Sanction.kind, func.count(distinct(Sanction.practitioner_id)))
        .join(Practitioner, Practitioner.id == Sanction.practitioner_id)
        .where(Sanction.starts_on > today, Sanction.revoked_at.is_(None), visible_people(who))
        .group_by(Sanction.kind))
    return {"suspension": 0, "termination": 0} | dict(rows.all())


def ahead(session: Session, who: Principal, today: date, limit: int = AHEAD_SHOWN) -> list:
    return session.execute(
        select(Practitioner.code, Practitioner.name, Sanction.kind, Sanction.starts_on, Sanction.ends_on)
        .join(Practitioner, Practitioner.id == Sanction.practitioner_id)
        .where(Sanction.starts_on > today, Sanction.revoked_at.is_(None), visible_people(who))
        .order_by(Sanction.starts_on, Sanction.id).limit(limit)).all()


def records_this_year(session: Session, who: Principal, today: date):
    """(by_month, by_violation, by_institution) in one statement: the scope is checked once per record, in a
    common table read three times (materialised by SQLite and PostgreSQL alike), then the top institutions'
    names by primary key."""
    scoped = _this_years_records(who, today).add_columns(
        extract("month", PointRecord.decision_date).label("month"), PointRecord.violation_code,
        PointRecord.institution_id, PointRecord.points).cte("scoped")
    n, p = func.count(), func.sum(scoped.c.points)
    groups = union_all(*(select(literal(kind), cast(column, String), n, p).group_by(column) for kind, column in
                         (("m", scoped.c.month), ("v", scoped.c.violation_code), ("i", scoped.c.institution_id))))
    found: dict[str, list] = {"m": [], "v": [], "i": []}
    for kind, key, records, points in session.execute(groups):
        found[kind].append((key, records, points))
    months = {int(float(m)): (r, pts) for m, r, pts in found["m"]}  # "3" (SQLite), "3" or "3.0" (PostgreSQL)
    by_month = [(m, *months.get(m, (0, 0))) for m in range(1, today.month + 1)]
    by_violation = sorted(found["v"], key=lambda row: (-row[1], row[0]))
    top = sorted(((int(i), r, pts) for i, r, pts in found["i"]), key=lambda row: (-row[1], row[0]))[:TOP_INSTITUTIONS]
    names = {i: (code, name) for i, code, name in session.execute(
        select(Institution.id, Institution.code, Institution.name).where(Institution.id.in_([i for i, *_ in top])))}
    by_institution = [(*names[i], r, pts) for i, r, pts in top]
    return by_month, by_violation, by_institution


def overview(session: Session, who: Principal, today: date) -> Overview:
    return Overview(today.year, statuses(session, who), session.scalar(select(StatusClock.as_of)),
                    upcoming(session, who, today), ahead(session, who, today),
                    *records_this_year(session, who, today), objection_ages(session, who, today))
