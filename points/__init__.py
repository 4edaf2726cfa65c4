"""points: the pure domain core of payment-eligibility scoring (医保支付资格管理). No I/O, no framework."""
from points.eligibility import Eligibility, Reason, eligibility
from points.known_at import as_known_at
from points.ledger import (
                           Ledger,
                           PointRecord,
                           Registration,
                           RepairCredit,
                           Responsibility,
                           Review,
                           ReviewOutcome,
                           SuspensionDecision,
)
from points.policy import Parameters, Policy, Violation, parse_policy
from points.rules import Rule
from points.standing import Standing, Status, StatusAt
from points.timeline import Timeline, derive

__all__ = [
    "Eligibility", "Ledger", "Parameters", "PointRecord", "Policy", "Reason", "Registration", "RepairCredit",
    "Responsibility", "Review", "ReviewOutcome", "Rule", "Standing", "Status", "StatusAt", "SuspensionDecision", "Timeline", "Violation",
    "as_known_at", "derive", "eligibility", "parse_policy",
]
