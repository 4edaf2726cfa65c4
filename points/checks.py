"""Checks on new ledger entries. Each refusal is a RuleViolation with a stable code."""
from datetime import date

from points.errors import RuleViolation
from points.ledger import ReviewOutcome
from points.policy import Parameters, Policy, Violation
from points.timeline import Timeline


def check_record(policy: Policy, region: str, violation: str, points: int, decided_on: date,
                 today: date) -> Violation:
    if decided_on > today:
        raise RuleViolation(f"decision date {decided_on} is in the future", "DATE_IN_FUTURE")
    found = policy.violation(violation, region, decided_on)
    found.check_points(points)
    return found


def check_review(violation: Violation, outcome: ReviewOutcome, points: int | None, decided_on: date,
                 recorded_on: date, today: date) -> None:
    if decided_on > today:
        raise RuleViolation(f"review date {decided_on} is in the future", "DATE_IN_FUTURE")
    if decided_on < recorded_on:
        raise RuleViolation("a review cannot be decided before the record it reviews", "REVIEW_BEFORE_RECORD")
    if outcome is ReviewOutcome.CHANGE:
        if points is None:
            raise RuleViolation("a change needs the new points", "POINTS_REQUIRED")
        violation.check_points(points)
    elif points is not None:
        raise RuleViolation(f"a {outcome} review carries no points", "POINTS_NOT_ALLOWED")


def check_repair(timeline: Timeline, params: Parameters, on: date, today: date) -> None:
    if on > today:
        raise RuleViolation(f"activity date {on} is in the future", "DATE_IN_FUTURE")
    if params.repair_cap_per_year <= 0:
        raise RuleViolation("point repair is not provided for in this region", "REPAIR_NOT_AVAILABLE")
    tally = timeline.years.get(on.year)
    if tally and tally.repaired >= params.repair_cap_per_year:
        raise RuleViolation(f"repair cap of {params.repair_cap_per_year} points reached for {on.year}",
                            "REPAIR_CAP_REACHED")
    if timeline.tally(on.year) <= 0:
        raise RuleViolation(f"no points to repair in {on.year}", "NOTHING_TO_REPAIR")


def check_suspension_decision(timeline: Timeline, params: Parameters, year: int, ordinal: int,
                              months: int) -> None:
    params.check_months(months)
    if not any(s.year == year and s.ordinal == ordinal for s in timeline.suspensions):
        raise RuleViolation(f"no suspension #{ordinal} in {year} to decide", "NO_SUSPENSION")


def check_registration(timeline: Timeline, starts_on: date) -> None:
    for t in timeline.terminations:
        if t.decided_on <= starts_on <= t.ban_ends_on:
            raise RuleViolation(
                f"re-registration barred until {t.ban_ends_on} (terminated {t.decided_on})", "REGISTRATION_BANNED"
            )
