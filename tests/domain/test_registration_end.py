"""Ending a registration (注销 / 变更), on plain values: the end date's limits and the status it leaves."""
from datetime import date

import pytest

from points import Reason, Registration, Status, derive, eligibility
from points.checks import check_registration_end
from points.errors import RuleViolation
from tests.domain.helpers import POLICY, ledger

D = date
HERE, THERE = "H11010500001", "H11010500002"


def test_an_end_lies_between_the_first_registered_day_and_today():
    check_registration_end(D(2025, 1, 1), D(2025, 1, 1), D(2025, 6, 30))  # a one-day registration
    check_registration_end(D(2025, 1, 1), D(2025, 6, 30), D(2025, 6, 30))  # ends today
    with pytest.raises(RuleViolation) as before:
        check_registration_end(D(2025, 1, 1), D(2024, 12, 31), D(2025, 6, 30))
    with pytest.raises(RuleViolation) as future:
        check_registration_end(D(2025, 1, 1), D(2025, 7, 1), D(2025, 6, 30))
    assert (before.value.code, future.value.code) == ("REGISTRATION_END_BEFORE_START", "REGISTRATION_END_IN_FUTURE")


def test_after_the_last_registered_day_the_person_is_unregistered():
    t = derive(ledger(registrations=(Registration(1, HERE, D(2024, 1, 1), D(2025, 3, 31)),)), POLICY)
    assert t.status_on(D(2025, 3, 31)).status is Status.NORMAL
    after = eligibility(t, D(2025, 4, 1))
    assert (after.eligible, after.status, after.reason) == (False, Status.UNREGISTERED, Reason.UNREGISTERED)


def test_another_registration_in_force_keeps_the_person_registered_and_a_move_leaves_no_gap():
    moved = (Registration(1, HERE, D(2024, 1, 1), D(2025, 3, 31)), Registration(2, THERE, D(2025, 4, 1)))
    t = derive(ledger(registrations=moved), POLICY)
    assert [t.status_on(d).status for d in (D(2025, 3, 31), D(2025, 4, 1))] == [Status.NORMAL, Status.NORMAL]
    gap = (Registration(1, HERE, D(2024, 1, 1), D(2025, 3, 31)), Registration(2, THERE, D(2025, 4, 10)))
    t = derive(ledger(registrations=gap), POLICY)
    assert [t.status_on(d).status for d in (D(2025, 4, 9), D(2025, 4, 10))] == [Status.UNREGISTERED, Status.NORMAL]
