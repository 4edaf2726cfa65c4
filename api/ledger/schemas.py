"""What callers send to the ledger service (and, later, to the API)."""
from datetime import date

from sqlmodel import Field, SQLModel

from api.db.models import PointRecordBase
from points.ledger import ReviewOutcome


class PointRecordCreate(PointRecordBase):
    practitioner_code: str = Field(max_length=16)
    institution_code: str = Field(max_length=12)


class ReviewCreate(SQLModel):
    outcome: ReviewOutcome
    points: int | None = Field(default=None, ge=1, le=12)
    decided_on: date
    reason: str = Field(min_length=1, max_length=1000)


class RepairCreate(SQLModel):
    activity_date: date
    activity: str = Field(min_length=1, max_length=200, description="publicity, training or inspection work")


class SuspensionDecisionCreate(SQLModel):
    year: int
    ordinal: int = Field(default=1, ge=1)
    months: int
    decided_on: date
    reason: str = Field(default="", max_length=1000)


class RegistrationCreate(SQLModel):
    practitioner_code: str = Field(max_length=16)
    institution_code: str = Field(max_length=12)
    starts_on: date
