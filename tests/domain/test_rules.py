"""One named test per rule of docs/rules.md, at day granularity."""
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
from points.checks import check_registration, check_repair, check_suspension_decision, named_suspension
from points.dates import add_months, points_year
from points.errors import RuleViolation
from tests.domain.helpers import POLICY, TIANJIN, ledger, rec, with_rows

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
    lg = ledger(rec(1, 9, D(2025, 3, 15)), decisions=(SuspensionDecision(1, 1, 2, D(2025, 3, 20)),))
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
                            decisions=(SuspensionDecision(1, 1, 6, D(2025, 3, 18)),)), POLICY).suspensions[0]
    assert (decided.months, decided.months_decided, decided.ends_on) == (6, True, D(2025, 9, 15))


def test_suspension_length_must_be_one_to_six_months():
    t = derive(ledger(rec(1, 9, D(2025, 3, 15))), POLICY)
    params = POLICY.parameters("110105", D(2025, 3, 15))
    suspension = named_suspension(t, 1)
    for months in (0, 7):
        with pytest.raises(RuleViolation) as err:
            check_suspension_decision(suspension, params, months, D(2025, 3, 15), D(2025, 4, 1))
        assert err.value.code == "MONTHS_OUT_OF_RANGE"
    check_suspension_decision(suspension, params, 6, D(2025, 3, 15), D(2025, 4, 1))
    for trigger in (2, None):  # no record 2; no suspension #1 of 2024
        with pytest.raises(RuleViolation) as err:
            named_suspension(t, trigger, 2024, 1)
        assert err.value.code == "NO_SUSPENSION"


def test_suspension_runs_to_its_end_across_1_january():
    lg = ledger(rec(1, 9, D(2025, 12, 10)), decisions=(SuspensionDecision(1, 1, 3, D(2025, 12, 11)),))
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
                decisions=(SuspensionDecision(1, 2, 6, D(2025, 3, 12)),))  # record 2 reached 9
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


def test_claim_during_termination_is_not_eligible_even_in_emergencies():
    t = derive(ledger(rec(1, 12, D(2025, 3, 15))), POLICY)
    assert not eligibility(t, D(2025, 5, 1), emergency=True).eligible  # 郎溪县 press conference, 2025: no exception (see
    e = eligibility(t, D(2025, 5, 1))                                  # test_emergency_exemption.py)
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


REPAIR_ENDS_SUSPENSION = with_rows('[[parameters]]\nregion = "120000"\neffective_from = 2025-01-01\n'
                                   'repair_ends_suspension = true\n')


def test_repair_dropping_below_nine_ends_the_suspension_the_day_after_the_activity_where_a_region_says_so():
    lg = ledger(rec(1, 9, D(2025, 3, 1)), region=TIANJIN, repairs=(RepairCredit(1, D(2025, 3, 10)),))
    t = derive(lg, REPAIR_ENDS_SUSPENSION)
    assert t.tally(2025) == 8
    assert t.status_on(D(2025, 3, 10)).status is Status.SUSPENDED
    assert t.status_on(D(2025, 3, 11)).status is Status.NORMAL
    assert t.suspensions[0].cut_short_by == "repair"


def test_repair_does_not_lift_a_termination():
    lg = ledger(rec(1, 12, D(2025, 3, 1)), region=TIANJIN, repairs=(RepairCredit(1, D(2025, 3, 10)),))
    assert status(lg, D(2025, 3, 11)) is Status.BANNED


def test_repair_is_capped_at_four_points_a_year():
    repairs = tuple(RepairCredit(i, D(2025, 4, i)) for i in range(1, 7))
    lg = ledger(rec(1, 8, D(2025, 3, 1)), region=TIANJIN, repairs=repairs)
    t = derive(lg, POLICY)
    assert (t.years[2025].repaired, t.tally(2025), t.years[2025].repair_left) == (4, 4, 0)
    with pytest.raises(RuleViolation) as err:
        check_repair(lg, POLICY, RepairCredit(0, D(2025, 5, 1)), today=D(2025, 5, 1))
    assert err.value.code == "REPAIR_CAP_REACHED"


def test_repair_is_not_available_where_the_region_does_not_provide_it():
    with pytest.raises(RuleViolation) as err:
        check_repair(ledger(rec(1, 5, D(2025, 3, 1))), POLICY, RepairCredit(0, D(2025, 4, 1)), today=D(2025, 4, 2))
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


# --- Sanctions where the sources are thin (docs/rules.md: "No source: chosen") -----------------------------------

def test_a_decided_length_belongs_to_its_trigger_and_a_new_trigger_starts_undecided():
    records = (rec(1, 7, D(2025, 2, 1)), rec(2, 2, D(2025, 3, 1)), rec(3, 2, D(2025, 6, 1)))
    six_months = (SuspensionDecision(1, 2, 6, D(2025, 3, 5)),)
    [decided] = derive(ledger(*records, decisions=six_months), POLICY).suspensions
    assert (decided.trigger_record, decided.months, decided.months_decided) == (2, 6, True)
    annulled = ledger(*records, decisions=six_months, reviews=(Review(1, 2, ReviewOutcome.ANNUL, D(2025, 7, 1)),))
    [moved] = derive(annulled, POLICY).suspensions
    assert (moved.trigger_record, moved.months, moved.months_decided) == (3, 1, False)  # to decide, default length
    assert (moved.starts_on, moved.ends_on) == (D(2025, 6, 2), D(2025, 7, 1))


def test_the_latest_recorded_decision_wins_whatever_its_decision_date():
    nine = rec(1, 9, D(2025, 3, 15))
    later_date_first = (SuspensionDecision(1, 1, 6, D(2099, 1, 1)), SuspensionDecision(2, 1, 2, D(2025, 5, 1)))
    same_day = (SuspensionDecision(1, 1, 6, D(2025, 5, 1)), SuspensionDecision(2, 1, 2, D(2025, 5, 1)))
    for decisions in (later_date_first, same_day):
        [s] = derive(ledger(nine, decisions=decisions), POLICY).suspensions
        assert (s.months, s.ends_on) == (2, D(2025, 5, 15))


def test_a_decision_date_lies_between_the_triggers_decision_date_and_today():
    suspension = named_suspension(derive(ledger(rec(1, 9, D(2025, 3, 15))), POLICY), 1)
    params, today = POLICY.parameters("110105", D(2025, 3, 15)), D(2025, 6, 30)
    for day in (D(2020, 3, 15), D(2025, 3, 14), D(2025, 7, 1), D(2099, 1, 1)):
        with pytest.raises(RuleViolation) as err:
            check_suspension_decision(suspension, params, 2, day, today)
        assert err.value.code == "DECISION_DATE_OUT_OF_RANGE"
    for day in (D(2025, 3, 15), today):
        check_suspension_decision(suspension, params, 2, day, today)


def test_same_day_records_cross_by_the_days_closing_total_whatever_their_order():
    day = D(2025, 4, 1)
    for points in ((3, 6, 1), (1, 3, 6)):
        records = [rec(i, p, day) for i, p in enumerate(points, 1)]
        [s] = derive(ledger(*records, region=TIANJIN), POLICY).suspensions
        assert (s.tally, s.months, s.ends_on) == (10, 2, D(2025, 6, 1))  # Tianjin: 10 -> 2 months


def test_the_trigger_of_a_same_day_crossing_is_the_record_reaching_it_in_recorded_order():
    day = D(2025, 4, 1)
    assert derive(ledger(rec(1, 3, day), rec(2, 6, day), rec(3, 1, day)), POLICY).suspensions[0].trigger_record == 2
    assert derive(ledger(rec(1, 1, day), rec(2, 3, day), rec(3, 6, day)), POLICY).suspensions[0].trigger_record == 3
    # a record added later that day changes neither the trigger nor a decided length
    decided = (SuspensionDecision(1, 2, 4, D(2025, 4, 2)),)
    [s] = derive(ledger(rec(1, 3, day), rec(2, 6, day), rec(3, 2, day), decisions=decided), POLICY).suspensions
    assert (s.trigger_record, s.months, s.months_decided) == (2, 4, True)


def test_twelve_on_one_day_is_one_termination_single_only_for_a_record_of_twelve():
    day = D(2025, 4, 1)
    several = derive(ledger(rec(1, 9, day), rec(2, 3, day)), POLICY)
    assert several.suspensions == ()  # no suspension cut short the day it began: 12 was reached that day
    [term] = several.terminations
    assert (term.single_record, term.ban_years, term.trigger_record) == (False, 1, 2)
    [term] = derive(ledger(rec(1, 3, day), rec(2, 12, day)), POLICY).terminations
    assert (term.single_record, term.ban_years, term.trigger_record) == (True, 3, 2)


def test_a_record_of_twelve_while_terminated_bars_re_registration_three_years_from_its_own_decision():
    lg = ledger(rec(1, 6, D(2025, 5, 1)), rec(2, 6, D(2025, 6, 30)), rec(3, 12, D(2025, 9, 1)))
    t = derive(lg, POLICY)
    assert [(x.decided_on, x.single_record, x.ban_ends_on) for x in t.terminations] == [
        (D(2025, 6, 30), False, D(2026, 6, 30)), (D(2025, 9, 1), True, D(2028, 9, 1))]
    assert t.status_on(D(2027, 1, 1)).until == D(2028, 9, 1)
    with pytest.raises(RuleViolation) as err:
        check_registration(t, D(2026, 7, 1))
    assert err.value.code == "REGISTRATION_BANNED"
    check_registration(t, D(2028, 9, 2))
    # a shorter bar than the running one changes nothing: the later end wins
    t = derive(ledger(rec(1, 12, D(2025, 5, 1)), rec(2, 12, D(2025, 5, 1)), rec(3, 1, D(2025, 6, 1))), POLICY)
    assert len(t.terminations) == 1


def test_after_re_registration_only_points_decided_after_it_count():
    again = Registration(2, "H11010500002", D(2026, 7, 1))
    records = (rec(1, 6, D(2025, 5, 1)), rec(2, 6, D(2025, 6, 30)),  # terminated, barred until 2026-06-30
               rec(3, 8, D(2026, 2, 1)),                             # decided while terminated: shown only
               rec(4, 1, D(2026, 8, 1)), rec(5, 8, D(2026, 9, 1)))
    t = derive(ledger(*records, registrations=(Registration(1, "H11010500001", D(2020, 1, 1)), again)), POLICY)
    assert t.tally(2026) == 17 and len(t.terminations) == 1
    [s] = t.suspensions
    assert (s.trigger_record, s.tally, s.starts_on) == (5, 9, D(2026, 9, 2))
    assert t.status_on(D(2026, 8, 2)).status is Status.NORMAL


def test_a_repair_needs_points_recorded_in_its_year_by_its_activity_date():
    five = rec(1, 5, D(2025, 5, 1))
    lg = ledger(five, region=TIANJIN)
    with pytest.raises(RuleViolation) as err:
        check_repair(lg, POLICY, RepairCredit(0, D(2025, 3, 1)), today=D(2025, 6, 30))
    assert err.value.code == "NOTHING_TO_REPAIR"
    check_repair(lg, POLICY, RepairCredit(0, D(2025, 5, 1)), today=D(2025, 6, 30))  # same day: after the record
    early = derive(ledger(five, region=TIANJIN, repairs=(RepairCredit(1, D(2025, 3, 1)),)), POLICY)
    on_time = derive(ledger(five, region=TIANJIN, repairs=(RepairCredit(1, D(2025, 5, 1)),)), POLICY)
    assert (early.years[2025].repaired, on_time.years[2025].repaired) == (0, 1)


def test_a_repair_that_would_only_displace_a_later_one_is_refused():
    lg = ledger(rec(1, 1, D(2025, 3, 1)), region=TIANJIN, repairs=(RepairCredit(1, D(2025, 4, 1)),))
    with pytest.raises(RuleViolation) as err:
        check_repair(lg, POLICY, RepairCredit(0, D(2025, 3, 15)), today=D(2025, 6, 30))
    assert err.value.code == "NOTHING_TO_REPAIR"


def test_the_repair_cap_is_per_the_activitys_year():
    repairs = tuple(RepairCredit(i, D(2025, 4, i)) for i in range(1, 5))
    lg = ledger(rec(1, 8, D(2025, 3, 1)), rec(2, 3, D(2026, 1, 5)), region=TIANJIN, repairs=repairs)
    check_repair(lg, POLICY, RepairCredit(0, D(2026, 1, 6)), today=D(2026, 2, 1))
    with pytest.raises(RuleViolation) as err:
        check_repair(lg, POLICY, RepairCredit(0, D(2025, 12, 31)), today=D(2026, 2, 1))
    assert err.value.code == "REPAIR_CAP_REACHED"


def test_a_repair_does_not_end_a_running_suspension_by_default():
    assert not POLICY.parameters(TIANJIN, D(2025, 3, 10)).repair_ends_suspension
    assert not POLICY.parameters("110105", D(2025, 3, 10)).repair_ends_suspension
    t = derive(ledger(rec(1, 9, D(2025, 3, 1)), region=TIANJIN, repairs=(RepairCredit(1, D(2025, 3, 10)),)), POLICY)
    assert t.tally(2025) == 8 and t.suspensions[0].cut_short_by is None
    assert t.status_on(D(2025, 3, 11)).status is Status.SUSPENDED


def test_a_suspension_triggered_while_another_runs_starts_the_day_after_it_ends():
    lg = ledger(rec(1, 9, D(2025, 12, 10)), rec(2, 9, D(2026, 1, 15)),
                decisions=(SuspensionDecision(1, 1, 3, D(2025, 12, 11)),))
    first, second = derive(lg, POLICY).suspensions
    assert (first.starts_on, first.ends_on) == (D(2025, 12, 11), D(2026, 3, 10))
    assert (second.starts_on, second.ends_on) == (D(2026, 3, 11), D(2026, 4, 10))
    t = derive(lg, POLICY)
    assert t.status_on(D(2026, 3, 11)).status is Status.SUSPENDED and t.status_on(D(2026, 3, 11)).until == D(2026, 4, 10)
    assert t.status_on(D(2026, 4, 11)).status is Status.NORMAL
