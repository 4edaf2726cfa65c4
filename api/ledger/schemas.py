"""What callers send to the ledger service (and, later, to the API)."""
from datetime import date

from sqlmodel import Field, SQLModel

from api.db.models import FreeText, PointRecordBase
from points.ledger import ReviewOutcome


class PointRecordCreate(PointRecordBase):
    practitioner_code: str = Field(max_length=16)
    institution_code: str = Field(max_length=12)


class ReviewCreate(SQLModel):
    outcome: ReviewOutcome
    points: int | None = Field(default=None, ge=1, le=12)
    decided_on: date
    reason: FreeText = Field(min_length=1, max_length=1000)
    supersedes: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                   description="to correct a reviewed record: the id of its latest review")


class RepairCreate(SQLModel):
    model_config = {"json_schema_extra": {"examples": [{"activity_date": "2026-03-01", "activity": "参加医保政策宣传活动"}]}}

    activity_date: date
    activity: FreeText = Field(min_length=1, max_length=200, description="publicity, training or inspection work")


class SuspensionDecisionCreate(SQLModel):
    model_config = {"json_schema_extra": {"examples": [{"year": 2026, "ordinal": 1, "months": 3, "decided_on": "2026-03-01", "reason": "情节较重"}]}}

    year: int = Field(ge=2000, le=2099)
    ordinal: int = Field(default=1, ge=1, le=100)
    months: int = Field(ge=-1000, le=1000, description="1–6 (the region's range); checked against the policy")
    decided_on: date
    reason: FreeText = Field(default="", max_length=1000)


class RegistrationCreate(SQLModel):
    model_config = {"json_schema_extra": {"examples": [{"practitioner_code": "D110105000123", "institution_code": "H11010800002", "starts_on": "2026-03-01"}]}}

    practitioner_code: str = Field(max_length=16)
    institution_code: str = Field(max_length=12)
    starts_on: date
