from datetime import date

from sqlalchemy import event, func, select

from api.db.models import Practitioner, Sanction
from api.demo import load_demo
from api.ledger.repository import load_ledgers
from api.ledger.status import due_for_refresh, refresh_statuses, roll_over_year, status_clock
from points import derive
from tests.conftest import TODAY
from tests.db.factories import institution, person, record


def test_demo_reaches_every_threshold_and_loads_once(session, policy):
    report = load_demo(session, policy, TODAY, people=120)
    assert (report.institutions, report.practitioners) == (12, 120) and report.records > 30
    statuses = dict(session.execute(select(Practitioner.status, func.count()).group_by(Practitioner.status)).all())
    assert statuses["suspended"] >= 5 and statuses["banned"] >= 3 and statuses["normal"] > 90
    sanctions = session.scalars(select(Sanction)).all()
    assert any(s.kind == "termination" and s.single_record for s in sanctions)
    assert any(s.kind == "termination" and not s.single_record for s in sanctions)
    assert {s.cut_short_by for s in sanctions} == {None, "termination"}  # a repair ends no suspension (default)
    assert any(s.revoked_at is not None for s in sanctions)  # the annulled appeal
    ledgers = load_ledgers(session, session.scalars(select(Practitioner.id)).all())
    assert any(derive(lg, policy).notices for lg in ledgers.values())  # Tianjin talk notice at 6
    assert load_demo(session, policy, TODAY).institutions == 0


def test_status_snapshot_follows_the_calendar_and_refresh_is_idempotent(session, policy):
    institution(session)
    person(session, policy)
    person(session, policy, "D110105000002")
    record(session, policy, "D110105000001", 9, date(2025, 6, 10))  # suspended 11 Jun – 10 Jul
    def p():
        return session.scalars(select(Practitioner).where(Practitioner.code == "D110105000001")).one()
    assert p().status == "suspended"
    assert refresh_statuses(session, policy, TODAY) == 0  # the first run re-derives everyone: nothing moved
    assert due_for_refresh(session, TODAY) == []
    assert refresh_statuses(session, policy, date(2025, 7, 10)) == 0
    assert p().status == "suspended"
    end = date(2025, 7, 11)
    assert due_for_refresh(session, end) == [p().id]
    assert refresh_statuses(session, policy, end) == 1
    assert (p().status, p().status_until, status_clock(session).as_of) == ("normal", None, end)
    assert refresh_statuses(session, policy, end) == 0  # twice gives the same result


def test_a_late_refresh_catches_up_over_new_year(session, policy):
    institution(session)
    person(session, policy)
    record(session, policy, "D110105000001", 9, date(2025, 12, 10), today=date(2025, 12, 10))
    def row():
        return session.scalars(select(Practitioner)).one()
    assert row().status == "normal"  # the suspension starts the day after the decision
    # the scheduler was down from 10 Dec until 5 Jan: the suspension began meanwhile and runs across 1 January
    assert refresh_statuses(session, policy, date(2026, 1, 5)) == 1
    assert (row().status, row().status_until) == ("suspended", date(2026, 1, 10))
    assert refresh_statuses(session, policy, date(2026, 1, 10)) == 0
    assert refresh_statuses(session, policy, date(2026, 1, 11)) == 1
    assert (row().status, status_clock(session).as_of) == ("normal", date(2026, 1, 11))


def practitioner_rows_written(session, job) -> int:
    """Runs job() and counts the practitioner rows its UPDATE statements wrote."""
    written = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE PRACTITIONER"):
            written.append(cursor.rowcount)
    engine = session.get_bind().engine
    event.listen(engine, "after_cursor_execute", count)
    try:
        job()
        session.flush()
    finally:
        event.remove(engine, "after_cursor_execute", count)
    return sum(written)


def test_the_jobs_write_only_the_people_who_change(session, policy):
    institution(session)
    for n in range(1, 6):
        person(session, policy, f"D11010500000{n}")
    record(session, policy, "D110105000001", 9, date(2025, 6, 10), today=date(2025, 6, 10))  # 11 Jun – 10 Jul
    record(session, policy, "D110105000002", 2, date(2025, 6, 10), today=date(2025, 6, 10))
    assert refresh_statuses(session, policy, date(2025, 6, 10)) == 0  # the clock is set (everyone re-derived)
    assert practitioner_rows_written(session, lambda: refresh_statuses(session, policy, date(2025, 6, 11))) == 1
    assert practitioner_rows_written(session, lambda: refresh_statuses(session, policy, date(2025, 7, 10))) == 0
    assert practitioner_rows_written(session, lambda: refresh_statuses(session, policy, date(2025, 7, 11))) == 1
    # New Year: the two non-zero tallies are cleared, nobody else is written
    assert practitioner_rows_written(session, lambda: roll_over_year(session, policy, date(2026, 1, 1))) == 2
    assert session.execute(select(Practitioner.tally).where(Practitioner.tally > 0)).all() == []
    assert roll_over_year(session, policy, date(2026, 1, 1))["tallies_cleared"] == 0  # twice: nothing left
