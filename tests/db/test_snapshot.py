"""The in-memory snapshot answers exactly as the database does, and follows changes."""
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session

from api.db.models import Institution, Practitioner, Registration
from api.demo import load_demo
from api.eligibility.repository import load_standings
from api.eligibility.service import db_verdict
from api.eligibility.snapshot import load_snapshot, refresh_snapshot
from tests.conftest import TODAY, wipe
from tests.db.factories import HOSPITAL, record

DAYS = [date(2025, 1, 1) + timedelta(days=n) for n in range(0, 1500, 9)]


def test_snapshot_answers_like_the_database_for_everyone_on_every_day(session, policy):
    load_demo(session, policy, TODAY, people=150)
    codes = session.scalars(select(Practitioner.code)).all()
    snapshot, from_db = load_snapshot(session, policy), db_verdict(load_standings(session, codes), policy)
    assert len(snapshot) == len(codes)
    assert sum(type(e) is int for e in snapshot.entries.values()) > len(codes) // 2  # most are compact
    for code in codes:
        for day in DAYS:
            for emergency in (False, True):
                assert snapshot.verdict(code, day, emergency) == from_db(code, day, emergency), (code, day)
    assert snapshot.verdict("D110105999999", TODAY, False)[2] == "UNKNOWN_PRACTITIONER"


def test_refresh_reloads_only_the_people_whose_standing_changed(committed_engine, policy):
    wipe(committed_engine)
    with Session(committed_engine) as session:
        load_demo(session, policy, TODAY, people=80)
        session.commit()
        snapshot = load_snapshot(session, policy)
        assert refresh_snapshot(session, snapshot) == 0
        code = session.scalars(
            select(Practitioner.code).join(Registration, Registration.practitioner_id == Practitioner.id)
            .join(Institution).where(Practitioner.status == "normal", Institution.code == HOSPITAL)
            .order_by(Practitioner.code)).first()
    with Session(committed_engine) as other:  # another process's write
        record(other, policy, code, 9, TODAY - timedelta(days=5), violation="S01")
        other.commit()
    with Session(committed_engine) as session:
        assert snapshot.verdict(code, TODAY, False)[0] is True
        assert refresh_snapshot(session, snapshot) == 1
        assert snapshot.verdict(code, TODAY, False)[:3] == (False, "suspended", "SUSPENDED")
