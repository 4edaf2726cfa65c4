"""Identifiers of the rules in docs/rules.md that an eligibility answer or a refusal can cite."""
from enum import StrEnum


class Rule(StrEnum):
    NORMAL = "status.normal"
    REGISTRATION = "registration.required"
    SUSPEND = "threshold.suspend"
    TERMINATE = "threshold.terminate"
    BAN = "termination.ban"
    EMERGENCY = "settlement.emergency"


RULE_TEXT = {
    Rule.NORMAL: "No sanction is in force on the service date.",
    Rule.REGISTRATION: "Only registered (登记备案) staff can be paid for services.",
    Rule.SUSPEND: "Reaching the suspension threshold (9) in a points year suspends payment eligibility 1–6 months.",
    Rule.TERMINATE: "Reaching the termination threshold (12) in a points year terminates payment eligibility.",
    Rule.BAN: "After termination re-registration is barred 1 year (accumulated) or 3 years (12 in one record).",
    Rule.EMERGENCY: "Emergency and rescue care (急救、抢救) is settled during a suspension, and in any other state "
                    "the region's policy exempts (emergency_exempt_states).",
}
