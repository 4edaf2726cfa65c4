"""告知 goes to the person, to the institutions they are registered at that day, and to the record's own
institution: an institution the person left hears nothing more about them, except about what happened there."""
from datetime import date, timedelta

from sqlalchemy import select

from api.db.models import Notification, Registration
from api.ledger import service as ledger
from api.ledger.schemas import RegistrationCreate, RegistrationEnd
from tests.conftest import TODAY
from tests.db.factories import HOSPITAL, institution, person, record

CODE = "D110105000001"
OTHER = "H11010500002"


def told(session, case: str) -> set[str]:
    record_id = session.scalars(select(Notification.record_id).where(Notification.message.contains(case))).first()
    return set(session.scalars(select(Notification.recipient_code).where(
        Notification.record_id == record_id, Notification.recipient_kind == "institution")))


def moved(session, policy):
    """Registered at HOSPITAL from 2020, then at OTHER from 2025-06-01 (HOSPITAL ended the day before)."""
    institution(session)
    institution(session, OTHER)
    person(session, policy, CODE)
    first = session.scalars(select(Registration.id)).one()
    ledger.end_registration(session, "test", first, RegistrationEnd(ends_on=date(2025, 5, 31), reason="变更"),
                            policy, TODAY)
    ledger.register(session, "test", RegistrationCreate(practitioner_code=CODE, institution_code=OTHER,
                                                        starts_on=date(2025, 6, 1)), policy, TODAY)


def test_a_former_employer_is_not_told_of_a_record_elsewhere(session, policy):
    moved(session, policy)
    record(session, policy, CODE, 2, date(2025, 6, 20), case="AT-OTHER", at=OTHER)
    assert told(session, "AT-OTHER") == {OTHER}


def test_the_institution_where_it_happened_is_told_though_the_person_left(session, policy):
    moved(session, policy)
    record(session, policy, CODE, 2, date(2025, 5, 20), case="AT-FIRST", at=HOSPITAL)
    assert told(session, "AT-FIRST") == {HOSPITAL, OTHER}


def test_each_notice_is_kept_in_chinese_and_english(session, policy):
    moved(session, policy)
    for points, day in ((5, date(2025, 6, 1)), (4, date(2025, 6, 2))):  # 9 points: a suspension
        record(session, policy, CODE, points, day, case=f"EN-{points}", at=OTHER)
    notices = session.execute(select(Notification.kind, Notification.message, Notification.message_en).where(
        Notification.recipient_kind == "practitioner").order_by(Notification.id)).all()
    assert [n.kind for n in notices] == ["record", "sanction", "record"]  # the sanction is told as it is derived
    assert notices[0].message.startswith("记分告知") and notices[0].message_en.startswith("Points recorded: ")
    assert "5 points" in notices[0].message_en and "EN-5" in notices[0].message_en
    assert notices[1].message_en == ("payment eligibility suspended 2025-06-03 to 2025-07-02 "
                                     "(1 month, the default, to be decided)")


def test_an_institution_is_told_on_the_registrations_last_day_and_not_the_day_after(session, policy):
    institution(session)
    institution(session, OTHER)
    person(session, policy, CODE)
    ledger.register(session, "test", RegistrationCreate(practitioner_code=CODE, institution_code=OTHER,
                                                        starts_on=date(2025, 1, 1)), policy, TODAY)
    at_hospital = session.scalars(select(Registration.id).order_by(Registration.id)).first()
    ledger.end_registration(session, "test", at_hospital, RegistrationEnd(ends_on=TODAY, reason="注销"), policy,
                            TODAY)
    record(session, policy, CODE, 1, date(2025, 6, 20), case="LAST-DAY", at=OTHER)  # told on TODAY: still there
    assert told(session, "LAST-DAY") == {HOSPITAL, OTHER}
    record(session, policy, CODE, 1, date(2025, 6, 21), case="DAY-AFTER", at=OTHER,
           today=TODAY + timedelta(days=1))
    assert told(session, "DAY-AFTER") == {OTHER}
