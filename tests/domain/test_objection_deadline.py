"""The objection deadline is a dated regional parameter (R38): 15 days after the notification nationally, a
region's own row overrides it from its effective date, and a day after the deadline is refused."""
from datetime import date

import pytest

from points.errors import RuleViolation
from points.objections import check_objection_in_time, objection_deadline
from tests.domain.helpers import BEIJING, POLICY, TIANJIN, with_rows


def test_the_national_deadline_is_fifteen_days_after_the_notification():
    assert POLICY.parameters(BEIJING, date(2026, 11, 26)).objection_days == 15
    assert objection_deadline(POLICY, BEIJING, date(2026, 11, 26)) == date(2026, 12, 11)
    assert objection_deadline(POLICY, BEIJING, date(2026, 12, 20)) == date(2027, 1, 4)  # across the year end


def test_a_regions_dated_row_sets_its_own_deadline_from_its_effective_date():
    policy = with_rows('[[parameters]]\nregion = "120000"\neffective_from = 2027-01-01\n'
                       'source = "a test row"\nobjection_days = 30\n')
    assert objection_deadline(policy, TIANJIN, date(2026, 12, 31)) == date(2027, 1, 15)  # before the row: 15
    assert objection_deadline(policy, TIANJIN, date(2027, 1, 1)) == date(2027, 1, 31)
    assert objection_deadline(policy, BEIJING, date(2027, 1, 1)) == date(2027, 1, 16)  # other regions keep 15


def test_an_objection_is_accepted_up_to_the_deadline_and_refused_the_day_after():
    check_objection_in_time(date(2026, 12, 11), date(2026, 12, 11))
    with pytest.raises(RuleViolation) as err:
        check_objection_in_time(date(2026, 12, 11), date(2026, 12, 12))
    assert (err.value.code, err.value.params) == ("OBJECTION_TOO_LATE", {"day": date(2026, 12, 11)})


def test_a_record_notified_before_the_rule_began_counts_its_window_from_the_rules_start():
    start = POLICY.parameters(BEIJING, date(2026, 11, 26)).objection_days_counted_from
    assert start == date(2026, 11, 26)
    assert objection_deadline(POLICY, BEIJING, date(2025, 3, 1)) == date(2026, 12, 11)  # open when the rule began
    assert objection_deadline(POLICY, BEIJING, date(2026, 11, 30)) == date(2026, 12, 15)  # after: from the notice
