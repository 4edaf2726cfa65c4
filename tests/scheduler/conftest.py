"""Scheduler tests run jobs against a real database with a clock the test moves."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import Session

from api.ledger import service as ledger
from api.ledger.schemas import PointRecordCreate
from scheduler.runner import Runner
from tests.conftest import wipe
from tests.db.factories import institution, person

CHINA_OFFSET = timedelta(hours=8)


def china(y, m, d, hh=0, mm=0, ss=0) -> datetime:
    """A moment given in China local time, as aware UTC."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=timezone.utc) - CHINA_OFFSET


class Clock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def engine(committed_engine):
    wipe(committed_engine)
    return committed_engine


@pytest.fixture
def clock():
    return Clock(china(2026, 12, 31, 23, 59, 0))


@pytest.fixture
def runner(engine, policy, clock):
    return Runner(engine, "scheduler-a", policy, clock)


def seed(engine, policy, code="D110105000001"):
    from api.errors import NotFound

    with Session(engine, expire_on_commit=False) as session:
        try:
            ledger.get_institution(session, "H11010500001")
        except NotFound:
            institution(session)
        person(session, policy, code)
        session.commit()


def record(engine, policy, code, points, on: date, today: date, violation=None):
    violation = violation or {1: "L01", 4: "H01", 7: "S01", 10: "F01"}[1 + 3 * ((points - 1) // 3)]
    with Session(engine, expire_on_commit=False) as session:
        row = ledger.record_points(session, "supervisor", PointRecordCreate(
            practitioner_code=code, institution_code="H11010500001", violation_code=violation, points=points,
            decision_date=on, case_number=f"{code}-{on}-{points}", authority="医保局"), policy, today)
        session.commit()
        return row.id
