"""Feed positions follow commit order, so a reader's cursor never skips an event that commits late; rolled-back
events never get one; the export's cursor, read before its first chunk, lets the feed catch what changed while
the export was being read."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from api.auth.tokens import Principal, Role
from api.clock import utcnow
from api.db.engine import make_engine
from api.db.migrate import upgrade
from api.db.models import ChangeCounter, StatusEvent
from api.feed import export, service
from api.ledger import service as ledger
from api.webhooks.outbox import FEED, EventSink, feed_position
from tests.conftest import TODAY, wipe
from tests.db.factories import institution, person, record

NATIONAL = Principal("t", Role.SETTLEMENT, "000000", "全国结算", datetime.now(timezone.utc) + timedelta(days=1))


@pytest.fixture
def engine(committed_engine):
    wipe(committed_engine)
    return committed_engine


def emit(session: Session, code: str) -> None:
    EventSink(session, utcnow()).emit(code, "110105", "normal", "suspended", None, TODAY, "test")


def read_after(engine, position: int) -> list[StatusEvent]:
    with Session(engine) as session:
        return service.changes(session, NATIONAL, position, feed_position(session), 1000)


def test_positions_follow_commit_order_so_a_cursor_never_skips_a_late_commit(engine):
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite takes the write lock at BEGIN: a second writer cannot insert before the first commits")
    with Session(engine) as early, Session(engine) as late:
        emit(early, "D110105000001")
        early.flush()  # the lower id
        emit(late, "D110105000002")
        late.flush()
        late.commit()  # commits first
        seen = read_after(engine, 0)
        assert [e.practitioner_code for e in seen] == ["D110105000002"]
        cursor = seen[-1].seq
        early.commit()
    after = read_after(engine, cursor)
    assert [e.practitioner_code for e in after] == ["D110105000001"]  # not lost behind the cursor
    assert after[0].id < seen[0].id and after[0].seq > seen[0].seq


def test_events_of_a_rolled_back_transaction_or_savepoint_are_never_numbered(engine):
    with Session(engine) as session:
        emit(session, "D110105000001")
        session.rollback()
        emit(session, "D110105000002")
        savepoint = session.begin_nested()  # an import row that fails after emitting
        emit(session, "D110105000003")
        session.flush()
        savepoint.rollback()
        emit(session, "D110105000004")
        session.commit()
    with Session(engine) as session:
        rows = session.execute(select(StatusEvent.practitioner_code, StatusEvent.seq).order_by(StatusEvent.seq)).all()
        assert [r.practitioner_code for r in rows] == ["D110105000002", "D110105000004"]
        assert all(r.seq is not None for r in rows) and feed_position(session) == rows[-1].seq


def test_an_emptied_counter_comes_back_above_every_position_given(engine):
    with Session(engine) as session:
        emit(session, "D110105000001")
        session.commit()
        first = session.scalar(select(StatusEvent.seq))
        session.execute(text("DELETE FROM change_counter"))
        session.commit()
        emit(session, "D110105000002")
        session.commit()
        second = session.scalar(select(StatusEvent.seq).where(StatusEvent.practitioner_code == "D110105000002"))
        assert second > first and session.get(ChangeCounter, FEED).value == second


def test_a_change_made_while_the_export_is_read_is_in_the_feed_after_its_cursor(engine, policy):
    """The export reads people a chunk at a time, each in its own transaction: a change to someone already
    written out would be missed by the file, and is caught by the feed from the file's cursor."""
    codes = [f"D110105{i:06d}" for i in range(1, 7)]
    with Session(engine) as session:
        institution(session)
        for code in codes:
            person(session, policy, code)
        session.commit()
        cursor = service.current_cursor(session)
    chunks = export.ndjson_chunks(engine, NATIONAL, cursor, None, TODAY, chunk=2)
    head, first_page = next(chunks), next(chunks)
    assert f'"feed_cursor":"{cursor}"' in head.decode()
    assert codes[0] in first_page.decode() and codes[2] not in first_page.decode()
    with Session(engine) as session:  # meanwhile: one written out already, one not yet
        for code in (codes[0], codes[5]):
            record(session, policy, code, 9, date(2025, 6, 10))
        session.commit()
    rest = b"".join(chunks).decode().splitlines()
    assert rest[-1] == f'{{"end":true,"rows":6,"feed_cursor":"{cursor}"}}'
    position = service.decode_position(cursor)
    changed = {e.practitioner_code for e in read_after(engine, position)}
    assert changed == {codes[0], codes[5]}  # both, though the file shows only the second one's suspension
    first_row = first_page.decode().splitlines()[0]
    assert '"status":"normal"' in first_row and '"sanctions":[]' in first_row


def test_upgrading_numbers_the_events_already_written_in_their_order(fresh_database, policy):
    url = fresh_database()
    upgrade(url, "0017")
    engine = make_engine(url)
    with engine.begin() as conn:
        for code in ("D110105000002", "D110105000001"):
            conn.execute(text("INSERT INTO status_event (practitioner_code, previous_status, status, effective_on, "
                              "cause, region, created_at) VALUES (:c, 'normal', 'suspended', '2026-03-01', 'x', "
                              "'110105', '2026-03-01 00:00:00')"), {"c": code})
    upgrade(url)
    with Session(engine) as session:
        rows = session.scalars(select(StatusEvent).order_by(StatusEvent.seq)).all()
        assert [(e.practitioner_code, e.kind, e.seq, e.starts_on) for e in rows] == [
            ("D110105000002", "effective", rows[0].id, date(2026, 3, 1)),
            ("D110105000001", "effective", rows[1].id, date(2026, 3, 1))]
        assert feed_position(session) == rows[1].id
        institution(session)
        person(session, policy, "D110105000003")  # the next change comes after them
        session.commit()
        assert session.scalar(select(StatusEvent.seq).where(StatusEvent.practitioner_code == "D110105000003")) \
            > rows[1].id
    engine.dispose()


def test_a_suspension_decided_and_corrected_is_told_with_its_dates(session, policy):
    from api.ledger.schemas import SuspensionDecisionCreate

    institution(session)
    person(session, policy)
    nine = record(session, policy, "D110105000001", 9, TODAY).id  # decided today: starts tomorrow
    ledger.decide_suspension(session, "s", "D110105000001", SuspensionDecisionCreate(
        trigger_record_id=nine, months=2, decided_on=TODAY, reason="情节"), policy, TODAY)
    session.commit()
    events = session.scalars(select(StatusEvent).order_by(StatusEvent.seq)).all()
    assert [(e.kind, e.status, e.starts_on, e.until, e.effective_on) for e in events] == [
        ("effective", "normal", TODAY, None, TODAY),
        ("decided", "suspended", date(2025, 7, 1), date(2025, 7, 30), TODAY),
        ("corrected", "suspended", date(2025, 7, 1), date(2025, 8, 30), TODAY)]
    assert events[1].sanction_id == events[2].sanction_id is not None
