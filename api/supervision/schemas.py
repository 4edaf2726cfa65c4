from datetime import date

from pydantic import BaseModel, Field

from api.dates import Day
from api.db.models import FreeText, PractitionerBase, StaffCategory
from points import Responsibility, ReviewOutcome


class PractitionerRegister(PractitionerBase):
    """Register (登记备案) a person at an institution; creates the person on first registration."""

    category: StaffCategory
    institution_code: str = Field(max_length=12, examples=["H11010500001"])
    registered_on: Day

    model_config = {"json_schema_extra": {"examples": [{
        "code": "D110105000123", "name": "王伟", "category": "medical", "institution_code": "H11010500001",
        "registered_on": "2025-01-02"}]}}


class CasePerson(BaseModel):
    practitioner_code: str = Field(max_length=32)
    points: int = Field(ge=1, le=12)
    responsibility: Responsibility = Responsibility.MAIN


class CaseCreate(BaseModel):
    """One decision against an institution, with a record for each responsible person."""

    violation_code: str = Field(max_length=16, examples=["H01"])
    decision_date: Day = Field(description="记分时点: date of the penalty or agreement decision")
    case_number: FreeText = Field(min_length=1, max_length=100, examples=["京朝医保罚〔2026〕17号"])
    authority: FreeText = Field(min_length=1, max_length=200, examples=["北京市朝阳区医疗保障局"])
    institution_code: str = Field(max_length=12)
    people: list[CasePerson] = Field(min_length=1, max_length=50)

    model_config = {"json_schema_extra": {"examples": [{
        "violation_code": "H01", "decision_date": "2026-03-02", "case_number": "京朝医保罚〔2026〕17号",
        "authority": "北京市朝阳区医疗保障局", "institution_code": "H11010500001",
        "people": [{"practitioner_code": "D110105000123", "points": 5, "responsibility": "main"},
                   {"practitioner_code": "HY110105000042", "points": 4, "responsibility": "important"}]}]}}


class ReviewIn(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"outcome": "change", "points": 4, "decided_on": "2026-03-01", "reason": "复核: 情节较轻"}]}}

    outcome: ReviewOutcome
    points: int | None = Field(default=None, ge=1, le=12, description="the new points, for outcome=change")
    decided_on: Day
    reason: FreeText = Field(min_length=1, max_length=1000)
    supersedes: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                   description="to correct a record already reviewed: the id of its latest review")


class ReviewPublic(BaseModel):
    id: int
    record_id: int
    outcome: ReviewOutcome
    points: int | None
    decided_on: date
    reason: str
    reviewer: str
    objections_closed: list[int]
    status: str = Field(description="the person's status today, after the review")


class ObjectionIn(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"record_id": 42, "reason": "该处方并非本人开具"}]}}

    record_id: int = Field(ge=1, le=2**31 - 1)
    reason: FreeText = Field(min_length=1, max_length=2000)


class RepairPublic(BaseModel):
    """The repair and its year: the year of its activity date, where it counts and whose cap it uses."""

    id: int
    activity_date: date
    activity: str
    year: int = Field(description="the activity's year")
    points_in_year: int = Field(description="that year's points after repairs")
    repair_left_in_year: int = Field(description="repair still available in that year (the granting region's cap)")
    status: str = Field(description="the person's status today")
