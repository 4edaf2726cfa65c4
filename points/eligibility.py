"""May this person be paid for a service on this date? The answer carries its reason and rule."""
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from points.rules import Rule
from points.standing import Standing, Status
from points.timeline import Timeline


class Reason:
    ELIGIBLE = "ELIGIBLE"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"
    UNREGISTERED = "UNREGISTERED"
    EMERGENCY_EXEMPT = "EMERGENCY_EXEMPT"


_SANCTIONED = {Status.SUSPENDED: Reason.SUSPENDED, Status.BANNED: Reason.TERMINATED,
               Status.TERMINATED: Reason.TERMINATED}


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    status: Status
    reason: str
    rule: Rule
    until: date | None = None  # last day of the state when it has a known end


# Seed 003: "暂停期内提供服务发生的医保费用不予结算（急救、抢救除外）"; termination has no exception.
NATIONAL_EMERGENCY_EXEMPT = frozenset({Status.SUSPENDED})


def eligibility(of: Timeline | Standing, service_date: date, emergency: bool = False,
                exempt: Collection[Status] = NATIONAL_EMERGENCY_EXEMPT) -> Eligibility:
    """`emergency`: the service is emergency or rescue care (急救、抢救). `exempt`: the sanctioned states in which
    such care is still settled, i.e. the person's regional parameter on the service date,
    `policy.emergency_exempt(region, service_date)` (national: suspension only)."""
    state = of.status_on(service_date)
    if state.status is Status.NORMAL:
        return Eligibility(True, state.status, Reason.ELIGIBLE, state.rule)
    if state.status is Status.UNREGISTERED:
        return Eligibility(False, state.status, Reason.UNREGISTERED, state.rule)
    if emergency and state.status in exempt:
        return Eligibility(True, state.status, Reason.EMERGENCY_EXEMPT, Rule.EMERGENCY, state.until)
    return Eligibility(False, state.status, _SANCTIONED[state.status], state.rule, state.until)
