"""As known at: eligibility on day D "as the record stood at" instant T is derived from the ledger entries
recorded at or before T — derive(as_known_at(ledger, T)). Without T, as known now."""
from datetime import date as D
from datetime import datetime, timedelta, timezone

import pytest

from points import (
    PointRecord,
    Registration,
    RepairCredit,
    Review,
    ReviewOutcome,
    Status,
    SuspensionDecision,
    as_known_at,
    derive,
    eligibility,
)
from points.errors import RuleViolation
from tests.domain.helpers import POLICY, TIANJIN, ledger, rec

CHINA = timezone(timedelta(hours=8))


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CHINA)


# 5 points decided 1 Feb; 4 more decided 1 Mar but entered only on 20 Mar; annulled on review on 10 Apr.
FIVE = PointRecord(1, "H01", 5, D(2026, 2, 1), "C1", recorded_at=at(2, 2))
LATE = PointRecord(2, "H02", 4, D(2026, 3, 1), "C2", recorded_at=at(3, 20, 15))
ANNULMENT = Review(1, 2, ReviewOutcome.ANNUL, D(2026, 4, 10), recorded_at=at(4, 10, 11))
STORY = ledger(FIVE, LATE, reviews=(ANNULMENT,))
SERVICE = D(2026, 3, 10)  # a service inside the suspension the late record brings (2 Mar – 1 Apr)


def on_service_day(lg, known_at: datetime):
    return eligibility(derive(as_known_at(lg, known_at), POLICY), SERVICE)


def test_a_late_record_then_its_annulment_move_the_same_day_both_ways_as_known_at_three_instants():
    before = on_service_day(STORY, at(3, 12))   # paid on 12 Mar: only the 5 points were on record
    between = on_service_day(STORY, at(3, 25))  # the 4 late points were on record, not yet annulled
    after = on_service_day(STORY, at(4, 15))    # annulled
    assert (before.eligible, before.status) == (True, Status.NORMAL)
    assert (between.eligible, between.status, between.until) == (False, Status.SUSPENDED, D(2026, 4, 1))
    assert (after.eligible, after.status) == (True, Status.NORMAL)
    assert eligibility(derive(STORY, POLICY), SERVICE).eligible  # as known now: the annulment stands


def test_an_entry_is_known_from_the_instant_it_was_recorded():
    assert not on_service_day(STORY, at(3, 20, 15)).eligible
    assert on_service_day(STORY, at(3, 20, 15) - timedelta(microseconds=1)).eligible


def test_instants_compare_whatever_their_offset():
    utc = datetime(2026, 3, 20, 7, 0, tzinfo=timezone.utc)  # 15:00 in Beijing
    assert not on_service_day(STORY, utc).eligible
    assert on_service_day(STORY, utc - timedelta(seconds=1)).eligible


def test_entries_without_an_instant_are_known_from_the_start():
    lg = ledger(rec(1, 9, D(2026, 2, 1)))
    assert as_known_at(lg, at(1, 1)) == lg


def test_a_suspension_length_counts_only_as_known_after_it_was_decided():
    lg = ledger(rec(1, 9, D(2026, 2, 1)),
                decisions=(SuspensionDecision(1, 1, 3, D(2026, 2, 3), recorded_at=at(2, 3)),))
    assert derive(as_known_at(lg, at(2, 2)), POLICY).suspensions[0].ends_on == D(2026, 3, 1)
    assert derive(as_known_at(lg, at(2, 4)), POLICY).suspensions[0].ends_on == D(2026, 5, 1)


def test_a_repair_counts_only_as_known_after_it_was_recorded():
    lg = ledger(rec(1, 5, D(2026, 2, 1)), region=TIANJIN,
                repairs=(RepairCredit(1, D(2026, 3, 1), "培训", recorded_at=at(3, 2)),))
    assert derive(as_known_at(lg, at(3, 1)), POLICY).tally(2026) == 5
    assert derive(as_known_at(lg, at(3, 3)), POLICY).tally(2026) == 4


def test_a_registration_and_its_end_count_from_when_each_was_recorded():
    reg = Registration(1, "H11010500001", D(2026, 1, 1), ends_on=D(2026, 2, 28), recorded_at=at(1, 5),
                       end_recorded_at=at(3, 5))
    lg = ledger(registrations=(reg,))

    def status(known_at):
        return eligibility(derive(as_known_at(lg, known_at), POLICY), D(2026, 3, 1)).status

    assert status(at(1, 4)) is Status.UNREGISTERED   # not registered yet
    assert status(at(3, 4)) is Status.NORMAL         # registered, the end not recorded yet
    assert status(at(3, 6)) is Status.UNREGISTERED   # ended on 28 Feb, as recorded on 5 Mar


def test_a_naive_instant_is_refused():
    with pytest.raises(RuleViolation) as err:
        as_known_at(STORY, datetime(2026, 3, 25, 12, 0))
    assert err.value.code == "INVALID_KNOWN_AT"
