"""A sanction notice is written once per change the person can see (R37): when a sanction's row follows a new
trigger record but its days and length stay the same, nobody is told the same thing again; a decided or
corrected length names who decided it and when."""
from datetime import date

import pytest
from sqlalchemy import select

from api.db.models import Notification
from api.ledger import service as ledger
from api.ledger.schemas import ReviewCreate, SuspensionDecisionCreate
from points import ReviewOutcome
from tests.conftest import TODAY
from tests.db.factories import institution, person, record

CODE = "D110105000001"


@pytest.fixture
def setup(session, policy):
    institution(session)
    person(session, policy)
    return session


def sanction_notices(session, recipient="practitioner"):
    return session.scalars(select(Notification.message).where(
        Notification.kind == "sanction", Notification.recipient_kind == recipient).order_by(Notification.id)).all()


def test_a_new_trigger_with_the_same_days_and_length_writes_no_second_notice(setup, policy):
    record(setup, policy, CODE, 7, date(2025, 6, 1))
    first = record(setup, policy, CODE, 2, date(2025, 6, 10), violation="L01")  # 9: the trigger
    record(setup, policy, CODE, 2, date(2025, 6, 10), violation="L02")  # same day, recorded after: 11
    told = sanction_notices(setup)
    assert told == ["暂停医保支付资格 2025-06-11 至 2025-07-10 (1个月, 默认期限, 待决定)"]
    ledger.review_record(setup, "reviewer-1", first.id, ReviewCreate(
        outcome=ReviewOutcome.ANNUL, decided_on=date(2025, 6, 20), reason="证据不足"), policy, TODAY)
    # the same-day record now triggers the same suspension: same days, same default length, nothing new to say
    assert sanction_notices(setup) == told
    assert sanction_notices(setup, "institution") == told


def test_a_decided_length_says_who_decided_it_and_when_once(setup, policy):
    nine = record(setup, policy, CODE, 9, date(2025, 6, 10))
    for months in (1, 1, 3):
        ledger.decide_suspension(setup, "北京市医保局 李科长", CODE, SuspensionDecisionCreate(
            trigger_record_id=nine.id, months=months, decided_on=date(2025, 6, 12), reason="情节"), policy, TODAY)
    assert sanction_notices(setup) == [
        "暂停医保支付资格 2025-06-11 至 2025-07-10 (1个月, 默认期限, 待决定)",
        "暂停医保支付资格 2025-06-11 至 2025-07-10 (1个月; 北京市医保局 李科长 2025-06-12 决定)",
        "暂停医保支付资格 2025-06-11 至 2025-09-10 (期限由1个月改为3个月; 北京市医保局 李科长 2025-06-12 决定)"]
