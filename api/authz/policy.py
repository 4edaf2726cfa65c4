"""Per-action decisions on what was fetched (pure: no I/O). A write needs authority over what it changes:
- a review: the region of the authority that recorded the record, or a region above it;
- a suspension's length: the authority of its triggering record (same rule);
- a repair: a region whose rules provide repair, for a person registered at an institution in that region.
Registering a person somewhere grants reading their record, never changing what another region decided."""
from dataclasses import dataclass
from enum import StrEnum

from api.auth.tokens import Principal, Role
from api.errors import Forbidden
from points import regions


class Action(StrEnum):
    REVIEW = "review"
    DECIDE_SUSPENSION = "decide_suspension"
    REPAIR = "repair"


@dataclass(frozen=True)
class Target:
    authority_region: str = ""               # region of the authority that decided the thing changed
    registered_regions: frozenset[str] = frozenset()
    repair_provided: bool = False            # the caller's region's rules provide repair


def decide(who: Principal, action: Action, target: Target) -> tuple[str, str] | None:
    """None when allowed, else (code, message)."""
    if who.role is not Role.SUPERVISOR:
        return "ROLE_NOT_ALLOWED", f"role {who.role} may not {action}"
    if action in (Action.REVIEW, Action.DECIDE_SUSPENSION):
        if regions.covers(who.scope, target.authority_region):
            return None
        what = "review this record" if action is Action.REVIEW else "decide this suspension's length"
        return ("NOT_YOUR_DECISION", f"only the authority of region {target.authority_region} that decided it, "
                                     f"or one above it, may {what}; your region is {who.scope}")
    if action is Action.REPAIR:
        if not target.repair_provided:
            return "REPAIR_NOT_PROVIDED", f"the rules of region {who.scope} do not provide point repair"
        if not any(regions.covers(who.scope, r) for r in target.registered_regions):
            return ("NOT_REGISTERED_IN_REGION",
                    f"repairs are granted for people registered in region {who.scope} on the activity date")
        return None
    return "ACTION_UNKNOWN", f"unknown action {action}"


def require(who: Principal, action: Action, target: Target) -> None:
    denied = decide(who, action, target)
    if denied:
        raise Forbidden(denied[1], denied[0])
