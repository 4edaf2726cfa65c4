"""One named test per rule of shared/RULES.md, at day granularity."""
from datetime import date, datetime, timezone

import pytest

from points import (
    Reason,
    Registration,
    RepairCredit,
    Review,
    ReviewOutcome,
    Rule,
    Status,
    SuspensionDecision,
    derive,
    eligibility,
)
from points.checks import check_registration, check_repair, check_suspension_decision
from points.dates import add_months, points_year
from points.errors import RuleViolation
from tests.domain.helpers import POLICY, TIANJIN, ledger, rec

D = date


def status(lg, day):
    return derive(lg, POLICY).status_on(day).status


# --- Points year -----------------------------------------------------------------------------------------------

def test_points_year_is_the_calendar_year_in_china_time():
    assert points_year(datetime(2025, 12, 31, 15, 59, tzinfo=timezone.utc)) == 2025  # 23:59 in Beijing
    assert points_year(datetime(2025, 12, 31, 16, 0, tzinfo=timezone.utc)) == 2026   # 00:00 1 Jan in Beijing


def test_tally_clears_on_1_january_nothing_carries_over():
    t = derive(ledger(rec(1, 8, D(2025, 12, 31)), rec(2, 1, D(2026, 1, 1))), POLICY)
    assert (t.tally(2025), t.tally(2026)) == (8, 1)
    assert t.suspensions == ()


def test_points_count_in_the_year_of_the_decision_date():
    t = derive(ledger(rec(1, 5, D(2025, 12, 31)), rec(2, 4, D(2025, 12, 31))), POLICY)
    assert t.tally(2025) == 9 and len(t.suspensions) == 1


# --- Suspension at 9 -----------------------------------------------------------------------------------------------

def test_reaching_nine_suspends_from_the_day_after_the_decision():
    lg = ledger(rec(1, 5, D(2025, 3, 1)), rec(2, 4, D(2025, 3, 15)))
    assert status(lg, D(2025, 3, 15)) is Status.NORMAL   # the decision day itself is not counted
    assert status(lg, D(2025, 3, 16)) is Status.SUSPENDED


def test_last_day_of_a_suspension_and_the_day_after():
    lg = ledger(rec(1, 9, D(2025, 3, 15)), decisions=(SuspensionDecision(2025, 1, 2, D(2025, 3, 20)),))
    t = derive(lg, POLICY)
    assert t.status_on(D(2025, 5, 15)) == t.status_on(D(2025, 3, 16))
    assert t.status_on(D(2025, 5, 15)).until == D(2025, 5, 15)
    assert t.status_on(D(2025, 5, 16)).status is Status.NORMAL


def test_month_arithmetic_31_january_plus_one_month_is_the_month_end():
    assert add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2025, 8, 31), 6) == D(2026, 2, 28)
    t = derive(ledger(rec(1, 9, D(2025, 1, 31))), POLICY)
    assert (t.suspensions[0].starts_on, t.suspensions[0].ends_on) == (D(2025, 2, 1), D(2025, 2, 28))
    assert t.status_on(D(2025, 3, 1)).status is Status.NORMAL


def test_undecided_suspension_uses_the_default_length_until_the_decider_chooses():
    undecided = derive(ledger(rec(1, 9, D(2025, 3, 15))), POLICY).suspensions[0]
    assert (undecided.months, undecided.months_decided, undecided.ends_on) == (1, False, D(2025, 4, 15))
    decided = derive(ledger(rec(1, 9, D(2025, 3, 15)),
                            decisions=(SuspensionDecision(2025, 1, 6, D(2025, 3, 18)),)), POLICY).suspensions[0]
    assert (decided.months, decided.months_decided, decided.ends_on) == (6, True, D(2025, 9, 15))


def test_suspension_length_must_be_one_to_six_months():
    t = derive(ledger(rec(1, 9, D(2025, 3, 15))), POLICY)
    params = POLICY.parameters("110105", D(2025, 3, 15))
    for months in (0, 7):
        with pytest.raises(RuleViolation) as err:
            check_suspension_decision(t, params, 2025, 1, months)
        assert err.value.code == "MONTHS_OUT_OF_RANGE"
    check_suspension_decision(t, params, 2025, 1, 6)
    with pytest.raises(RuleViolation, match="no suspension"):
        check_suspension_decision(t, params, 2025, 2, 3)


def test_suspension_runs_to_its_end_across_1_january():
    lg = ledger(rec(1, 9, D(2025, 12, 10)), decisions=(SuspensionDecision(2025, 1, 3, D(2025, 12, 11)),))
    t = derive(lg, POLICY)
    assert t.tally(2026) == 0
    assert t.status_on(D(2026, 1, 1)).status is Status.SUSPENDED
    assert t.status_on(D(2026, 3, 10)).status is Status.SUSPENDED
    assert t.status_on(D(2026, 3, 11)).status is Status.NORMAL


def test_passing_nine_again_without_falling_below_creates_no_second_suspension():
    t = derive(ledger(rec(1, 9, D(2025, 2, 1)), rec(2, 1, D(2025, 6, 1))), POLICY)
    assert len(t.suspensions) == 1 and t.tally(2025) == 10


# --- Termination at 12 -----------------------------------------------------------------------------------------

def test_nine_then_three_more_points_suspended_then_terminated():
    lg = ledger(rec(1, 5, D(2025, 3, 10)), rec(2, 4, D(2025, 3, 10)), rec(3, 3, D(2025, 4, 20)),
                decisions=(SuspensionDecision(2025, 1, 6, D(2025, 3, 12)),))
    t = derive(lg, POLICY)
    assert t.status_on(D(2025, 4, 20)).status is Status.SUSPENDED
    assert t.status_on(D(2025, 4, 21)).status is Status.BANNED
    assert t.suspensions[0].ends_on == D(2025, 4, 20) and t.suspensions[0].cut_short_by == "termination"
    term = t.terminations[0]
    assert (term.single_record, term.ban_years, term.ban_ends_on) == (False, 1, D(2026, 4, 20))


def test_twelve_accumulated_bans_re_registration_for_one_year():
    t = derive(ledger(rec(1, 6, D(2025, 5, 1)), rec(2, 6, D(2025, 6, 30))), POLICY)
    assert t.terminations[0].ban_ends_on == D(2026, 6, 30)
    assert t.terminations[0].may_register_from == D(2026, 7, 1)


def test_twelve_in_one_record_bans_re_registration_for_three_years():
    t = derive(ledger(rec(1, 12, D(2025, 6, 30))), POLICY)
    term = t.terminations[0]
    assert (term.single_record, term.ban_years, term.ban_ends_on) == (True, 3, D(2028, 6, 30))
    assert t.suspensions == ()


def test_ten_points_after_two_is_accumulated_not_single_record():
    t = derive(ledger(rec(1, 2, D(2025, 1, 5)), rec(2, 10, D(2025, 2, 5))), POLICY)
    assert (t.terminations[0].single_record, t.terminations[0].ban_years) == (False, 1)


def test_ban_ending_on_29_february_rounds_to_28_february():
    t = derive(ledger(rec(1, 12, D(2024, 2, 29))), POLICY)
    assert t.terminations[0].ban_ends_on == D(2027, 2, 28)


def test_the_day_the_ban_ends_and_re_registration_the_day_after():
    t = derive(ledger(rec(1, 6, D(2025, 5, 1)), rec(2, 6, D(2025, 6, 30))), POLICY)
    with pytest.raises(RuleViolation) as err:
        check_registration(t, D(2026, 6, 30))
    assert err.value.code == "REGISTRATION_BANNED"
    check_registration(t, D(2026, 7, 1))


def test_termination_ends_only_by_a_new_registration_after_the_ban():
    first = Registration(1, "H11010500001", D(2020, 1, 1))
    base = ledger(rec(1, 12, D(2025, 6, 30)), registrations=(first,))
    t = derive(base, POLICY)
    last_banned, after_ban = t.status_on(D(2028, 6, 30)), t.status_on(D(2028, 7, 1))
    assert (last_banned.status, last_banned.until, last_banned.rule) == (Status.BANNED, D(2028, 6, 30), Rule.BAN)
    assert (after_ban.status, after_ban.until, after_ban.rule) == (Status.TERMINATED, None, Rule.TERMINATE)
    again = Registration(2, "H11010500002", D(2028, 9, 1))
    t2 = derive(ledger(rec(1, 12, D(2025, 6, 30)), registrations=(first, again)), POLICY)
    assert t2.status_on(D(2028, 8, 31)).status is Status.TERMINATED
    assert t2.status_on(D(2028, 9, 1)).status is Status.NORMAL


def test_old_registrations_do_not_revive_after_termination():
    t = derive(ledger(rec(1, 12, D(2025, 6, 30))), POLICY)
    assert not t.standing.registered_on(D(2030, 1, 1))


def test_points_after_termination_create_no_new_sanction_until_re_registration():
    t = derive(ledger(rec(1, 12, D(2025, 3, 1)), rec(2, 9, D(2025, 4, 1))), POLICY)
    assert (len(t.terminations), t.suspensions, t.tally(2025)) == (1, (), 21)


# --- Settlement effect and emergency exemption -----------------------------------------------------------------

def test_claim_during_suspension_is_not_eligible_with_reason_and_until():
    t = derive(ledger(rec(1, 9, D(2025, 3, 15))), POLICY)
    e = eligibility(t, D(2025, 4, 1))
    assert (e.eligible, e.status, e.reason, e.rule, e.until) == (
        False, Status.SUSPENDED, Reason.SUSPENDED, Rule.SUSPEND, D(2025, 4, 15))


def test_emergency_claim_during_suspension_is_eligible():
    t = derive(ledger(rec(1, 9, D(2025, 3, 15))), POLICY)
    e = eligibility(t, D(2025, 4, 1), emergency=True)
    assert (e.eligible, e.status, e.reason, e.rule) == (True, Status.SUSPENDED, Reason.EMERGENCY_EXEMPT, Rule.EMERGENCY)


def test_emergency_claim_during_termination_is_eligible_but_others_are_not():
    t = derive(ledger(rec(1, 12, D(2025, 3, 15))), POLICY)
    assert eligibility(t, D(2025, 5, 1), emergency=True).eligible
    e = eligibility(t, D(2025, 5, 1))
    assert (e.eligible, e.status, e.reason, e.until) == (False, Status.BANNED, Reason.TERMINATED, D(2028, 3, 15))
    after = eligibility(t, D(2028, 3, 16))
    assert (after.eligible, after.status, after.reason, after.until) == (False, Status.TERMINATED, Reason.TERMINATED,
                                                                         None)


def test_unregistered_staff_are_not_eligible_even_in_emergencies():
    lg = ledger(registrations=(Registration(1, "H11010500001", D(2025, 1, 1), D(2025, 6, 30)),))
    t = derive(lg, POLICY)
    assert eligibility(t, D(2024, 12, 31)).reason == Reason.UNREGISTERED
    assert eligibility(t, D(2025, 6, 30)).eligible
    assert not eligibility(t, D(2025, 7, 1), emergency=True).eligible


def test_status_is_per_person_across_all_institutions():
    regs = (Registration(1, "H11010500001", D(2020, 1, 1)), Registration(2, "H12010100003", D(2021, 1, 1)))
    lg = ledger(rec(1, 9, D(2025, 3, 15)), registrations=regs)
    t = derive(lg, POLICY)
    assert t.status_on(D(2025, 4, 1)).status is Status.SUSPENDED
    regs_one_left = (Registration(1, "H11010500001", D(2020, 1, 1), D(2025, 3, 31)), regs[1])
    assert derive(ledger(rec(1, 9, D(2025, 3, 15)), registrations=regs_one_left), POLICY).status_on(
        D(2025, 4, 1)).status is Status.SUSPENDED


# --- Review, annulment, repair -------------------------------------------------------------------------------

def test_annulment_restores_eligibility_from_the_start():
    five, four = rec(1, 5, D(2025, 3, 1)), rec(2, 4, D(2025, 3, 10))
    suspended = derive(ledger(five, four), POLICY)
    assert suspended.status_on(D(2025, 3, 20)).status is Status.SUSPENDED
    annulled = derive(ledger(five, four, reviews=(Review(1, 2, ReviewOutcome.ANNUL, D(2025, 4, 1)),)), POLICY)
    assert annulled.suspensions == () and annulled.tally(2025) == 5
    assert annulled.status_on(D(2025, 3, 20)).status is Status.NORMAL


def test_review_reducing_points_below_nine_lifts_the_suspension_and_confirm_keeps_it():
    records = (rec(1, 5, D(2025, 3, 1)), rec(2, 4, D(2025, 3, 10)))
    changed = derive(ledger(*records, reviews=(Review(1, 2, ReviewOutcome.CHANGE, D(2025, 4, 1), 3),)), POLICY)
    assert changed.tally(2025) == 8 and changed.suspensions == ()
    confirmed = derive(ledger(*records, reviews=(Review(1, 2, ReviewOutcome.CONFIRM, D(2025, 4, 1)),)), POLICY)
    assert len(confirmed.suspensions) == 1


def test_the_latest_review_of_a_record_wins():
    reviews = (Review(2, 1, ReviewOutcome.CHANGE, D(2025, 5, 1), 6), Review(1, 1, ReviewOutcome.ANNUL, D(2025, 4, 1)))
    assert derive(ledger(rec(1, 4, D(2025, 3, 1)), reviews=reviews), POLICY).tally(2025) == 6


def test_repair_dropping_below_nine_ends_the_suspension_the_day_after_the_activity():
    lg = ledger(rec(1, 9, D(2025, 3, 1)), region=TIANJIN, repairs=(RepairCredit(1, D(2025, 3, 10)),))
    t = derive(lg, POLICY)
    assert t.tally(2025) == 8
    assert t.status_on(D(2025, 3, 10)).status is Status.SUSPENDED
    assert t.status_on(D(2025, 3, 11)).status is Status.NORMAL
    assert t.suspensions[0].cut_short_by == "repair"


def test_repair_does_not_lift_a_termination():
    lg = ledger(rec(1, 12, D(2025, 3, 1)), region=TIANJIN, repairs=(RepairCredit(1, D(2025, 3, 10)),))
    assert status(lg, D(2025, 3, 11)) is Status.BANNED


def test_repair_is_capped_at_four_points_a_year():
    repairs = tuple(RepairCredit(i, D(2025, 4, i)) for i in range(1, 7))
    t = derive(ledger(rec(1, 8, D(2025, 3, 1)), region=TIANJIN, repairs=repairs), POLICY)
    assert (t.years[2025].repaired, t.tally(2025), t.years[2025].repair_left) == (4, 4, 0)
    params = POLICY.parameters(TIANJIN, D(2025, 5, 1))
    with pytest.raises(RuleViolation) as err:
        check_repair(t, params, D(2025, 5, 1), today=D(2025, 5, 1))
    assert err.value.code == "REPAIR_CAP_REACHED"


def test_repair_is_not_available_where_the_region_does_not_provide_it():
    t = derive(ledger(rec(1, 5, D(2025, 3, 1))), POLICY)
    with pytest.raises(RuleViolation) as err:
        check_repair(t, POLICY.parameters("110105", D(2025, 4, 1)), D(2025, 4, 1), today=D(2025, 4, 2))
    assert err.value.code == "REPAIR_NOT_AVAILABLE"


def test_repair_then_reaching_nine_again_suspends_again():
    lg = ledger(rec(1, 9, D(2025, 3, 1)), rec(2, 1, D(2025, 6, 1)), region=TIANJIN,
                repairs=(RepairCredit(1, D(2025, 5, 1)),))
    t = derive(lg, POLICY)
    assert [s.ordinal for s in t.suspensions] == [1, 2]
    assert t.status_on(D(2025, 6, 2)).status is Status.SUSPENDED


# --- Regional parameters ---------------------------------------------------------------------------------------

def test_talk_notice_at_six_points_only_where_the_region_provides_it():
    records = (rec(1, 4, D(2025, 3, 1)), rec(2, 2, D(2025, 3, 9)))
    tianjin = derive(ledger(*records, region=TIANJIN), POLICY)
    assert [(n.kind, n.on, n.tally) for n in tianjin.notices] == [("talk", D(2025, 3, 9), 6)]
    assert tianjin.status_on(D(2025, 3, 10)).status is Status.NORMAL  # a notice, not a sanction
    assert derive(ledger(*records), POLICY).notices == ()


def test_regional_default_suspension_length_by_tally():
    t = derive(ledger(rec(1, 4, D(2025, 3, 1)), rec(2, 6, D(2025, 3, 9)), region=TIANJIN), POLICY)
    assert (t.suspensions[0].tally, t.suspensions[0].months) == (10, 2)
