"""Domain errors carry a stable machine-readable code and a human message."""
from points.privacy import mask_id_numbers


class DomainError(ValueError):
    code = "DOMAIN_ERROR"

    def __init__(self, message: str, code: str | None = None):
        message = mask_id_numbers(message)  # messages quote inputs; an ID number typed there is not echoed
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidCode(DomainError):
    code = "INVALID_CODE"


class RuleViolation(DomainError):
    """An input breaks a rule of docs/rules.md (points outside the band, months outside 1–6, ...)."""

    code = "RULE_VIOLATION"


class PolicyError(DomainError):
    """The policy data file is inconsistent or asks for something unknown."""

    code = "POLICY_ERROR"
