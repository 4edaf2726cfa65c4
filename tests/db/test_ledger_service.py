from datetime import date, timezone

import pytest
from sqlalchemy import select

from api.db.models import AuditLog, Notification, PointRecord, Practitioner, Sanction
from api.errors import Conflict, NotFound
from api.ledger import service as ledger
from api.ledger.schemas import RegistrationCreate, RepairCreate, ReviewCreate, SuspensionDecisionCreate
from points import ReviewOutcome
from points.errors import InvalidCode, RuleViolation
from tests.conftest import TODAY
from tests.db.factories import TIANJIN_HOSPITAL, institution, person, record

CODE = "D110105000001"


@pytest.fixture
def setup(session, policy):
    institution(session)
    person(session, policy)
    return session


def sanctions(session, code=CODE):
    pid = session.scalars(select(Practitioner.id).where(Practitioner.code == code)).one()
    return session.scalars(select(Sanction).where(Sanction.practitioner_id == pid).order_by(Sanction.id)).all()


def test_reaching_nine_creates_a_suspension_and_updates_the_status_snapshot(setup, policy):
    record(setup, policy, CODE, 5, date(2025, 6, 1))
    assert sanctions(setup) == []
    record(setup, policy, CODE, 4, date(2025, 6, 10))
    [s] = sanctions(setup)
    assert (s.kind, s.starts_on, s.ends_on, s.months, s.months_decided) == (
        "suspension", date(2025, 6, 11), date(2025, 7, 10), 1, False)
    p = ledger.get_practitioner(setup, CODE)
    assert (p.status, p.status_until, p.tally) == ("suspended", date(2025, 7, 10), 9)


def decide(session, policy, trigger, months, on, **named):
    return ledger.decide_suspension(session, "supervisor-1", CODE, SuspensionDecisionCreate(
        **(named or {"trigger_record_id": trigger}), months=months, decided_on=on, reason="情节"), policy, TODAY)


def notices(session):
    return session.scalars(select(Notification.message).where(
        Notification.kind == "sanction", Notification.recipient_kind == "practitioner").order_by(Notification.id)).all()


def test_deciding_the_length_updates_the_sanction(setup, policy):
    nine = record(setup, policy, CODE, 9, date(2025, 6, 10))
    decide(setup, policy, nine.id, 4, date(2025, 6, 12))
    [s] = sanctions(setup)
    assert (s.months, s.months_decided, s.ends_on) == (4, True, date(2025, 10, 10))
    for months, on, code in ((7, date(2025, 6, 12), "MONTHS_OUT_OF_RANGE"),
                             (2, date(2025, 6, 9), "DECISION_DATE_OUT_OF_RANGE"),
                             (2, date(2025, 7, 1), "DECISION_DATE_OUT_OF_RANGE")):
        with pytest.raises(RuleViolation) as err:
            decide(setup, policy, nine.id, months, on)
        assert err.value.code == code
    with pytest.raises(RuleViolation) as err:
        decide(setup, policy, nine.id + 1, 2, date(2025, 6, 12))
    assert err.value.code == "NO_SUSPENSION"


def test_a_later_decision_corrects_the_length_and_the_notice_says_so(setup, policy):
    nine = record(setup, policy, CODE, 9, date(2025, 6, 10))
    decide(setup, policy, nine.id, 6, date(2025, 6, 29))
    decide(setup, policy, None, 2, date(2025, 6, 12), year=2025, ordinal=1)  # by (year, ordinal): still accepted
    [s] = sanctions(setup)
    assert (s.months, s.ends_on, s.trigger_record_id) == (2, date(2025, 8, 10), nine.id)
    assert notices(setup)[-1] == "暂停医保支付资格 2025-06-11 至 2025-08-10 (期限由6个月改为2个月; supervisor-1 2025-06-12 决定)"
    decide(setup, policy, nine.id, 2, date(2025, 6, 12))  # the same again changes nothing
    assert len(notices(setup)) == 3


def test_a_moved_trigger_leaves_the_suspension_to_decide_with_its_default_length(setup, policy):
    record(setup, policy, CODE, 7, date(2025, 2, 1))
    march = record(setup, policy, CODE, 2, date(2025, 3, 1))
    june = record(setup, policy, CODE, 2, date(2025, 6, 1))
    decide(setup, policy, march.id, 6, date(2025, 3, 5))
    ledger.review_record(setup, "reviewer-1", march.id, ReviewCreate(
        outcome=ReviewOutcome.ANNUL, decided_on=date(2025, 6, 20), reason="证据不足"), policy, TODAY)
    [s] = sanctions(setup)  # the slot's row follows its new trigger
    assert (s.trigger_record_id, s.year, s.ordinal, s.months, s.months_decided, s.revoked_at) == (
        june.id, 2025, 1, 1, False, None)
    assert (s.starts_on, s.ends_on) == (date(2025, 6, 2), date(2025, 7, 1))
    assert notices(setup)[-1] == "暂停医保支付资格 2025-06-02 至 2025-07-01 (期限由6个月改为1个月, 默认期限, 待决定)"
    ledger.review_record(setup, "reviewer-1", june.id, ReviewCreate(
        outcome=ReviewOutcome.ANNUL, decided_on=date(2025, 6, 21), reason="证据不足"), policy, TODAY)
    [s] = sanctions(setup)
    assert s.revoked_at is not None and notices(setup)[-1] == "撤销暂停医保支付资格 2025-06-02 至 2025-07-01"


def test_annulment_revokes_the_sanction_without_deleting_it(setup, policy):
    record(setup, policy, CODE, 5, date(2025, 6, 1))
    four = record(setup, policy, CODE, 4, date(2025, 6, 10))
    ledger.review_record(setup, "reviewer-1", four.id, ReviewCreate(
        outcome=ReviewOutcome.ANNUL, decided_on=date(2025, 6, 20), reason="证据不足"), policy, TODAY)
    [s] = sanctions(setup)
    assert s.revoked_at is not None and "annul" in s.revoked_reason
    assert ledger.get_practitioner(setup, CODE).status == "normal"
    assert setup.get(PointRecord, four.id).points == 4  # the record itself is kept as it was


def test_twelve_terminates_with_a_one_year_ban_and_refuses_re_registration(setup, policy):
    record(setup, policy, CODE, 9, date(2025, 3, 1))
    record(setup, policy, CODE, 3, date(2025, 3, 20))
    kinds = [(s.kind, s.cut_short_by, s.ends_on) for s in sanctions(setup)]
    assert kinds == [("suspension", "termination", date(2025, 3, 20)), ("termination", None, date(2026, 3, 20))]
    institution(setup, "H11010500002")
    with pytest.raises(RuleViolation) as err:
        ledger.register(setup, "test", RegistrationCreate(practitioner_code=CODE, institution_code="H11010500002",
                                                          starts_on=date(2026, 3, 20)), policy, date(2026, 3, 20))
    assert err.value.code == "REGISTRATION_BANNED"
    ledger.register(setup, "test", RegistrationCreate(practitioner_code=CODE, institution_code="H11010500002",
                                                      starts_on=date(2026, 3, 21)), policy, date(2026, 3, 21))
    assert ledger.get_practitioner(setup, CODE).status == "normal"


def test_points_outside_the_band_are_refused_and_nothing_is_written(setup, policy):
    with pytest.raises(RuleViolation) as err:
        record(setup, policy, CODE, 7, date(2025, 6, 1), violation="H01")
    assert err.value.code == "POINTS_OUTSIDE_BAND"
    assert setup.scalars(select(PointRecord)).all() == []


def test_future_decision_dates_are_refused(setup, policy):
    with pytest.raises(RuleViolation) as err:
        record(setup, policy, CODE, 2, date(2025, 7, 1))
    assert err.value.code == "DATE_IN_FUTURE"


def test_a_record_needs_a_registration_at_that_institution_and_one_record_per_case(setup, policy):
    institution(setup, "H11010500009")
    with pytest.raises(Conflict) as err:
        record(setup, policy, CODE, 2, date(2025, 6, 1), at="H11010500009")
    assert err.value.code == "NOT_REGISTERED_AT_INSTITUTION"
    record(setup, policy, CODE, 2, date(2025, 6, 1), case="CASE-1")
    with pytest.raises(Conflict) as err:
        record(setup, policy, CODE, 3, date(2025, 6, 2), case="CASE-1")
    assert err.value.code == "DUPLICATE_RECORD"


def test_several_people_in_one_case_each_get_their_own_record(setup, policy):
    person(setup, policy, "HY110105000002")
    record(setup, policy, CODE, 6, date(2025, 6, 1), case="CASE-9")
    record(setup, policy, "HY110105000002", 4, date(2025, 6, 1), case="CASE-9")
    assert len(setup.scalars(select(PointRecord).where(PointRecord.case_number == "CASE-9")).all()) == 2


def test_unknown_people_and_malformed_codes(setup, policy):
    with pytest.raises(NotFound) as err:
        record(setup, policy, "D110105999999", 2, date(2025, 6, 1))
    assert err.value.code == "PRACTITIONER_NOT_FOUND"
    with pytest.raises(InvalidCode):
        ledger.get_institution(setup, "Z123")


def test_repair_in_tianjin_lowers_the_tally_and_the_suspension_runs_to_its_end(session, policy):
    institution(session, TIANJIN_HOSPITAL)
    code = "D120101000001"
    person(session, policy, code, at=TIANJIN_HOSPITAL)
    record(session, policy, code, 9, date(2025, 6, 1), at=TIANJIN_HOSPITAL)
    ledger.add_repair(session, "supervisor-tj", code, RepairCreate(activity_date=date(2025, 6, 20),
                                                                   activity="医保政策宣传"), policy, TODAY)
    [s] = sanctions(session, code)
    assert (s.cut_short_by, s.ends_on) == (None, date(2025, 7, 1))
    p = ledger.get_practitioner(session, code)
    assert (p.status, p.tally) == ("suspended", 8)
    with pytest.raises(RuleViolation) as err:  # points dated 1 June: nothing to repair on 1 March
        ledger.add_repair(session, "supervisor-tj", code, RepairCreate(activity_date=date(2025, 3, 1),
                                                                       activity="医保政策宣传"), policy, TODAY)
    assert err.value.code == "NOTHING_TO_REPAIR"


def test_every_change_is_audited_with_actor_and_reason_in_utc(setup, policy):
    rec = record(setup, policy, CODE, 4, date(2025, 6, 1))
    ledger.review_record(setup, "reviewer-1", rec.id, ReviewCreate(
        outcome=ReviewOutcome.CHANGE, points=5, decided_on=date(2025, 6, 5), reason="情节较重"), policy, TODAY)
    setup.expire_all()
    entries = setup.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    changes = [e.action for e in entries if e.action != "practitioner.status"]  # status moves have entries of their own
    assert changes[-2:] == ["record.create", "record.change"]
    assert entries[-1].actor == "reviewer-1" and entries[-1].reason == "情节较重"
    assert entries[-1].at.tzinfo is not None and entries[-1].at.utcoffset() == timezone.utc.utcoffset(None)
