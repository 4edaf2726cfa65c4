"""Checks on new ledger entries. Each refusal is a RuleViolation with a stable code."""
from dataclasses import replace
from datetime import date

from points.errors import RuleViolation
from points.ledger import Ledger, RepairCredit, ReviewOutcome
from points.policy import Parameters, Policy, Violation
from points.timeline import Suspension, Timeline, derive


def check_record(policy: Policy, region: str, violation: str, points: int, decided_on: date,
                 today: date) -> Violation:
    if decided_on > today:
        raise RuleViolation(f"decision date {decided_on} is in the future", "DATE_IN_FUTURE", day=decided_on)
    found = policy.violation(violation, region, decided_on)
    found.check_points(points)
    return found


def check_review(violation: Violation, outcome: ReviewOutcome, points: int | None, decided_on: date,
                 recorded_on: date, today: date) -> None:
    if decided_on > today:
        raise RuleViolation(f"review date {decided_on} is in the future", "DATE_IN_FUTURE", day=decided_on)
    if decided_on < recorded_on:
        raise RuleViolation("a review cannot be decided before the record it reviews", "REVIEW_BEFORE_RECORD")
    if outcome is ReviewOutcome.CHANGE:
        if points is None:
            raise RuleViolation("a change needs the new points", "POINTS_REQUIRED")
        violation.check_points(points)
    elif points is not None:
        raise RuleViolation(f"a {outcome} review carries no points", "POINTS_NOT_ALLOWED", outcome=str(outcome))


def check_repair(ledger: Ledger, policy: Policy, credit: RepairCredit, today: date) -> None:
    """A repair is accepted only if it removes a point: the derivation with it (recorded last, so after the
    records and repairs already on its day) must count one more repaired point in its activity's year than the
    derivation without it. So it needs points recorded in that year by its activity date, and the year's cap
    (the granting region's) not yet reached."""
    on = credit.activity_date
    if on > today:
        raise RuleViolation(f"activity date {on} is in the future", "DATE_IN_FUTURE", day=on)
    params = policy.parameters(credit.region or ledger.region, on)
    if params.repair_cap_per_year <= 0:
        raise RuleViolation("point repair is not provided for in this region", "REPAIR_NOT_AVAILABLE")
    before = derive(ledger, policy).years.get(on.year)
    repaired = before.repaired if before else 0
    if repaired >= params.repair_cap_per_year:
        raise RuleViolation(f"repair cap of {params.repair_cap_per_year} points reached for {on.year}",
                            "REPAIR_CAP_REACHED", cap=params.repair_cap_per_year, year=on.year)
    last = replace(credit, id=1 + max((c.id for c in ledger.repairs), default=0))
    if derive(replace(ledger, repairs=ledger.repairs + (last,)), policy).years[on.year].repaired <= repaired:
        raise RuleViolation(f"no points to repair on {on}: a repair removes points already recorded in {on.year} "
                            "by its activity date", "NOTHING_TO_REPAIR", day=on, year=on.year)


def named_suspension(timeline: Timeline, trigger_record: int | None, year: int | None = None,
                     ordinal: int = 1) -> Suspension:
    """The current suspension triggered by `trigger_record`; or, for callers that still name it so, the
    `ordinal`-th of `year` as the timeline stands now."""
    if trigger_record is not None:
        found = next((s for s in timeline.suspensions if s.trigger_record == trigger_record), None)
    else:
        found = next((s for s in timeline.suspensions if (s.year, s.ordinal) == (year, ordinal)), None)
    if found is None:
        named = f"record {trigger_record}" if trigger_record is not None else f"#{ordinal} of {year}"
        raise RuleViolation(f"no current suspension triggered by {named}", "NO_SUSPENSION")
    return found


def check_suspension_decision(suspension: Suspension, params: Parameters, months: int, decided_on: date,
                              today: date) -> None:
    """1–6 months (the region's range), decided between the trigger's decision date and today. A later
    decision for the same suspension corrects the earlier one."""
    params.check_months(months)
    if not suspension.decided_on <= decided_on <= today:
        raise RuleViolation(f"decision date {decided_on} must lie between the trigger's decision date "
                            f"{suspension.decided_on} and today {today}", "DECISION_DATE_OUT_OF_RANGE",
                            day=decided_on, start=suspension.decided_on, today=today)


def check_registration(timeline: Timeline, starts_on: date) -> None:
    for t in timeline.terminations:
        if t.decided_on <= starts_on <= t.ban_ends_on:
            raise RuleViolation(
                f"re-registration barred until {t.ban_ends_on} (terminated {t.decided_on})", "REGISTRATION_BANNED",
                until=t.ban_ends_on, terminated=t.decided_on,
            )


def check_registration_end(starts_on: date, ends_on: date, today: date) -> None:
    """`ends_on` is the last registered day: on or after the first, and not after today (an end is recorded
    once it has happened; a planned departure is entered on or after its day)."""
    if ends_on < starts_on:
        raise RuleViolation(f"a registration that began {starts_on} cannot end on {ends_on}",
                            "REGISTRATION_END_BEFORE_START", starts=starts_on, ends=ends_on)
    if ends_on > today:
        raise RuleViolation(f"end date {ends_on} is after today ({today})", "REGISTRATION_END_IN_FUTURE",
                            ends=ends_on, today=today)
