from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from api.dates import Day
from points.privacy import has_id_number

MAX_CLAIMS = 10_000


class ClaimState(StrEnum):
    PAYABLE = "payable"    # eligible: may be settled
    BLOCKED = "blocked"    # not eligible and unpaid: held
    PAID = "paid"          # settled
    RECOVERY = "recovery"  # paid, then found ineligible: to be recovered (追回)


class ClaimIn(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"ref": "BJ-2026-000001", "institution_code": "H11010500001", "practitioner_code": "D110105000123", "service_date": "2026-03-01", "emergency": False, "amount": "268.50"}]}}

    ref: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$", description="your claim id")
    institution_code: str = Field(max_length=12, examples=["H11010500001"])
    practitioner_code: str = Field(max_length=32, examples=["D110105000123"])
    service_date: Day
    emergency: bool = False
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2, examples=["268.50"])

    @field_validator("ref")
    @classmethod
    def _no_id_number(cls, v: str) -> str:
        """Refused rather than masked: two refs masked alike would be taken for one claim."""
        if has_id_number(v):
            raise ValueError("a ref must not contain a national ID number")
        return v


class ClaimResult(BaseModel):
    ref: str
    state: ClaimState | None = None
    reason: str | None = None
    until: date | None = None
    duplicate: bool = Field(default=False, description="this ref was submitted before; its current state")
    error: dict | None = None


class ClaimPublic(BaseModel):
    ref: str
    institution_code: str
    practitioner_code: str
    service_date: date
    emergency: bool
    amount: Decimal
    state: ClaimState
    reason: str
    submitted_at: datetime
    paid_at: datetime | None
    updated_at: datetime
    checked_at: datetime = Field(description="when the verdict (state and reason) was reached: it is the answer of "
                                 "GET /v1/eligibility with known_at = checked_at")
