"""Many writers at once, each on its own connection: no point is lost and each sanction exists exactly once."""
import random
import threading
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from api.db.models import PointRecord, Practitioner, RecordReview, Sanction, StatusEvent
from api.ledger import service as ledger
from api.ledger.schemas import PointRecordCreate, ReviewCreate
from api.ledger.status import refresh_statuses
from points import ReviewOutcome
from tests.conftest import TODAY, wipe
from tests.db.factories import institution, person, record

CODE = "D110105000001"


def in_parallel(engine, work, n):
    barrier, errors = threading.Barrier(n), []

    def run(i):
        barrier.wait()
        try:
            with Session(engine) as session:
                work(session, i)
                session.commit()
        except Exception as exc:  # collected: the test asserts there were none
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


def setup(engine, policy):
    wipe(engine)
    with Session(engine) as session:
        institution(session)
        person(session, policy)
        session.commit()


def sanctions(engine):
    with Session(engine) as session:
        return session.scalars(select(Sanction).order_by(Sanction.kind)).all()


def test_fifty_parallel_records_for_one_person_lose_nothing(committed_engine, policy):
    setup(committed_engine, policy)

    def one_point(session, i):
        ledger.record_points(session, f"supervisor-{i}", PointRecordCreate(
            practitioner_code=CODE, institution_code="H11010500001", violation_code="L01", points=1,
            decision_date=date(2025, 6, 1 + i % 20), case_number=f"PAR-{i}", authority="医保局"), policy, TODAY)

    assert in_parallel(committed_engine, one_point, 50) == []
    with Session(committed_engine) as session:
        assert len(session.scalars(select(PointRecord)).all()) == 50
        p = session.scalars(select(Practitioner)).one()
        assert (p.tally, p.status) == (50, "banned")
    rows = sanctions(committed_engine)
    assert [(s.kind, s.revoked_at) for s in rows] == [("suspension", None), ("termination", None)]


def test_parallel_reviews_of_one_record_take_one_and_leave_sanctions_matching_the_ledger(committed_engine, policy):
    setup(committed_engine, policy)
    with Session(committed_engine) as session:
        for number, points, violation in (("A", 5, "H01"), ("B", 4, "H02")):
            ledger.record_points(session, "s", PointRecordCreate(
                practitioner_code=CODE, institution_code="H11010500001", violation_code=violation, points=points,
                decision_date=date(2025, 6, 1), case_number=number, authority="医保局"), policy, TODAY)
        session.commit()
        record_id = session.scalars(select(PointRecord.id).where(PointRecord.case_number == "B")).one()
    outcomes = [ReviewCreate(outcome=ReviewOutcome.ANNUL, decided_on=date(2025, 6, 20), reason="撤销"),
                ReviewCreate(outcome=ReviewOutcome.CHANGE, points=6, decided_on=date(2025, 6, 20), reason="变更"),
                ReviewCreate(outcome=ReviewOutcome.CONFIRM, decided_on=date(2025, 6, 20), reason="维持")]
    rnd = random.Random(5)
    picks = [rnd.choice(outcomes) for _ in range(20)]

    def appeal(session, i):
        ledger.review_record(session, f"reviewer-{i}", record_id, picks[i], policy, TODAY)

    errors = in_parallel(committed_engine, appeal, 20)
    # reviews of one record are serialised: the first is taken, every other one is refused, none is lost
    assert len(errors) == 19 and all("already reviewed" in e for e in errors), errors
    with Session(committed_engine) as session:
        assert len(session.scalars(select(RecordReview)).all()) == 1
        person_row = session.scalars(select(Practitioner)).one()
        timeline = ledger.timeline_of(session, person_row, policy)
    live = [(s.kind, s.year, s.ordinal, s.starts_on, s.ends_on) for s in sanctions(committed_engine)
            if s.revoked_at is None]
    expected = [("suspension", s.year, s.ordinal, s.starts_on, s.ends_on) for s in timeline.suspensions]
    assert live == expected
    assert person_row.status == timeline.status_on(TODAY).status.value
    assert person_row.ledger_version == 1 + 2 + 1  # one registration, two records, one review


def test_two_status_runs_at_once_make_each_change_once(committed_engine, policy):
    """The status clock's row lock makes the second run wait, then find nothing due: one event, one audit."""
    setup(committed_engine, policy)
    with Session(committed_engine) as session:
        record(session, policy, CODE, 9, date(2025, 6, 10))  # suspended 11 Jun – 10 Jul
        refresh_statuses(session, policy, TODAY)
        session.commit()
    changes = []
    assert in_parallel(committed_engine, lambda session, i: changes.append(
        refresh_statuses(session, policy, date(2025, 7, 11))), 2) == []
    with Session(committed_engine) as session:
        events = session.scalars(select(StatusEvent.status).where(StatusEvent.effective_on == date(2025, 7, 11)))
        assert (sorted(changes), events.all()) == ([0, 1], ["normal"])
