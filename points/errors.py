"""Domain errors carry a stable machine-readable code and a human message."""
from points.privacy import mask_id_numbers


class DomainError(ValueError):
    code = "DOMAIN_ERROR"

    def __init__(self, message: str, code: str | None = None, **params):
        message = mask_id_numbers(message)  # messages quote inputs; an ID number typed there is not echoed
        super().__init__(message)
        self.message = message
        # the specifics a localised message fills in (api/web/texts/errors.py), masked as the message is
        self.params = {k: mask_id_numbers(v) if isinstance(v, str) else v for k, v in params.items()}
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
