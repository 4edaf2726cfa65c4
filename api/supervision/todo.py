"""What a supervisor has to act on (the 待办 page and the count in the pages' header): suspensions whose length
is still undecided, and open objections, both limited to what this supervisor's authority may decide: records
its region (or a region below it) recorded (R57, api.authz.policy). Column rows and COUNTs, no ORM objects.

Overdue (no source: chosen; the rules set no deadline for deciding a length): an undecided suspension whose
provisional period, run at the region's default length (R15), has already ended (`ends_on` before today)."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, false, func, select, true
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.auth.tokens import Principal
from api.authz.scope import reviewable_records
from api.db.models import Objection, PointRecord, Practitioner, Sanction
from api.live import read_session
from points.dates import CHINA, china_date

SHOWN = 200  # rows listed per section; the header counts all


def _undecided(who: Principal):
    """Live suspensions of undecided length whose trigger record this supervisor's authority may decide."""
    return (select().select_from(Sanction).join(PointRecord, PointRecord.id == Sanction.trigger_record_id)
            .where(Sanction.kind == "suspension", Sanction.revoked_at.is_(None), Sanction.months_decided == false(),
                   reviewable_records(who)))


def _open_objections(who: Principal):
    return (select().select_from(Objection).join(PointRecord, PointRecord.id == Objection.record_id)
            .where(Objection.state == "open", reviewable_records(who)))


@dataclass(frozen=True)
class TodoCounts:
    suspensions: int
    overdue: int
    objections: int

    @property
    def total(self) -> int:
        return self.suspensions + self.objections


def todo_counts(session: Session, who: Principal, today: date) -> TodoCounts:
    """Two COUNT queries: undecided suspensions (and how many are overdue), open objections."""
    overdue = func.coalesce(func.sum(case((Sanction.ends_on < today, 1), else_=0)), 0)
    suspensions, late = session.execute(_undecided(who).add_columns(func.count(), overdue)).one()
    objections = session.scalar(_open_objections(who).add_columns(func.count()))
    return TodoCounts(suspensions, late, objections)


def nav_total(engine: Engine, who: Principal, today: date) -> int:
    """The number in the header's "待办 (N)", in a read session of its own."""
    with read_session(engine) as session:
        return todo_counts(session, who, today).total


def undecided_suspensions(session: Session, who: Principal, today: date, limit: int = SHOWN) -> list:
    """Rows (code, name, trigger_record_id, case_number, authority, decided_on, starts_on, ends_on, months,
    overdue): by the end of the provisional period, so the overdue ones (ended before today) come first, the
    longest overdue at the top."""
    return session.execute(_undecided(who).add_columns(
        Practitioner.code, Practitioner.name, Sanction.trigger_record_id, PointRecord.case_number,
        PointRecord.authority, Sanction.decided_on, Sanction.starts_on, Sanction.ends_on, Sanction.months,
        (Sanction.ends_on < today).label("overdue"))
        .join(Practitioner, Practitioner.id == Sanction.practitioner_id)
        .order_by(Sanction.ends_on, Sanction.id).limit(limit)).all()


def open_objections(session: Session, who: Principal, today: date, limit: int = SHOWN) -> list[dict]:
    """Open objections, the oldest first, each with the days it has been open (China dates)."""
    rows = session.execute(_open_objections(who).add_columns(
        Objection.id, Objection.record_id, Objection.reason, Objection.filed_at, Practitioner.code,
        Practitioner.name, PointRecord.case_number, PointRecord.points, PointRecord.decision_date)
        .join(Practitioner, Practitioner.id == Objection.practitioner_id)
        .order_by(Objection.filed_at, Objection.id).limit(limit)).all()
    return [row._asdict() | {"filed_on": china_date(row.filed_at), "days": _days_open(row.filed_at, today)}
            for row in rows]


def _days_open(filed_at: datetime, today: date) -> int:
    return max((today - china_date(filed_at)).days, 0)  # 0 for one filed "after" a clock set back (tests)


def china_midnight(day: date) -> datetime:
    """The instant a China day begins, to compare with stored UTC times."""
    return datetime.combine(day, time(), CHINA)


AGE_BUCKETS = ((0, 7), (8, 30), (31, 90), (91, None))  # days open, both ends included; None: no upper end


def objection_ages(session: Session, who: Principal, today: date) -> list[tuple[tuple[int, int | None], int]]:
    """Open objections by days open, one query: ((from, to), count) per AGE_BUCKETS."""
    columns = []
    for low, high in AGE_BUCKETS:  # open `days` days <=> filed on the China day today - days
        cond = true() if low == 0 else Objection.filed_at < china_midnight(today - timedelta(days=low - 1))
        if high is not None:
            cond = cond & (Objection.filed_at >= china_midnight(today - timedelta(days=high)))
        columns.append(func.coalesce(func.sum(case((cond, 1), else_=0)), 0))
    counts = session.execute(_open_objections(who).add_columns(*columns)).one()
    return list(zip(AGE_BUCKETS, counts))
