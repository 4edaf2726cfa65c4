"""What callers send to the ledger service (and, later, to the API)."""
from pydantic import model_validator
from sqlmodel import Field, SQLModel

from api.dates import Day, Year
from api.db.models import FreeText, PointRecordBase
from points.ledger import ReviewOutcome


class PointRecordCreate(PointRecordBase):
    practitioner_code: str = Field(max_length=16)
    institution_code: str = Field(max_length=12)


class ReviewCreate(SQLModel):
    outcome: ReviewOutcome
    points: int | None = Field(default=None, ge=1, le=12)
    decided_on: Day
    reason: FreeText = Field(min_length=1, max_length=1000)
    supersedes: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                   description="to correct a reviewed record: the id of its latest review")


class RepairCreate(SQLModel):
    model_config = {"json_schema_extra": {"examples": [{"activity_date": "2026-03-01", "activity": "参加医保政策宣传活动"}]}}

    activity_date: Day
    activity: FreeText = Field(min_length=1, max_length=200, description="publicity, training or inspection work")


class SuspensionDecisionCreate(SQLModel):
    """A length for the suspension triggered by `trigger_record_id`; a later one corrects it. `year` and
    `ordinal` (instead of the trigger) are still accepted: they name the suspension as it stands now."""

    model_config = {"json_schema_extra": {"examples": [{"trigger_record_id": 42, "months": 3, "decided_on": "2026-03-01", "reason": "情节较重"}]}}

    trigger_record_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                          description="the record whose points crossed the threshold")
    year: Year | None = Field(default=None, description="deprecated: use trigger_record_id")
    ordinal: int = Field(default=1, ge=1, le=100, description="deprecated: with year")
    months: int = Field(ge=-1000, le=1000, description="1–6 (the region's range); checked against the policy")
    decided_on: Day = Field(description="between the trigger's decision date and today")
    reason: FreeText = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _names_one_suspension(self):
        if (self.trigger_record_id is None) == (self.year is None):
            raise ValueError("name the suspension by trigger_record_id (or, deprecated, by year and ordinal)")
        return self


class RegistrationCreate(SQLModel):
    model_config = {"json_schema_extra": {"examples": [{"practitioner_code": "D110105000123", "institution_code": "H11010800002", "starts_on": "2026-03-01"}]}}

    practitioner_code: str = Field(max_length=16)
    institution_code: str = Field(max_length=12)
    starts_on: Day


class RegistrationEnd(SQLModel):
    """End a registration (注销 when leaving; 变更 when moving: an end plus a new registration)."""

    model_config = {"json_schema_extra": {"examples": [{"ends_on": "2026-02-28", "reason": "注销: 离职"}]}}

    ends_on: Day = Field(description="the last registered day: not before it began, not after today")
    reason: FreeText = Field(min_length=1, max_length=1000, description="why: 注销 (left) or 变更 (moved)")
