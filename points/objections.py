"""The objection deadline (异议申诉期限): a person may object to a record until `objection_days` after the day
they were notified of it (the day it was recorded, China time). The parameter in force in the person's region on
that day applies, so a later change of the policy never shortens a window already open; a record notified before
the rule began (`objection_days_counted_from`) has its window counted from that day."""
from datetime import date, timedelta

from points.errors import RuleViolation
from points.policy import Policy


def objection_deadline(policy: Policy, region: str, notified_on: date) -> date:
    """The last day on which an objection to a record notified on `notified_on` is accepted."""
    rule = policy.parameters(region, notified_on)
    opens = max(notified_on, rule.objection_days_counted_from or notified_on)
    return opens + timedelta(days=rule.objection_days)


def check_objection_in_time(deadline: date, today: date) -> None:
    if today > deadline:
        raise RuleViolation(f"the objection period ended on {deadline}", "OBJECTION_TOO_LATE", day=deadline)
