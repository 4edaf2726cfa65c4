from datetime import date, datetime

from pydantic import BaseModel, Field

from points import Status


class ReviewView(BaseModel):
    id: int
    outcome: str
    points: int | None
    decided_on: date
    reason: str


class ObjectionView(BaseModel):
    id: int
    record_id: int
    state: str
    reason: str
    filed_at: datetime
    review_id: int | None


class RecordView(BaseModel):
    id: int
    violation_code: str
    violation_zh: str
    violation_en: str
    band: str
    points_recorded: int
    points: int = Field(description="after reviews; 0 when annulled")
    annulled: bool
    responsibility: str
    decision_date: date
    case_number: str
    authority: str
    authority_region: str = Field(description="region of the authority that recorded it: it, or a region above, "
                                              "reviews the record")
    institution_code: str
    reviews: list[ReviewView]
    objections: list[ObjectionView]
    objection_deadline: date = Field(description="the last day an objection is accepted (OBJECTION_TOO_LATE after): "
                                                 "objection_days after the day the record was recorded (China date)")


class SanctionView(BaseModel):
    kind: str
    year: int
    ordinal: int
    decided_on: date
    starts_on: date
    ends_on: date = Field(description="suspension: last suspended day; termination: last day of the ban")
    months: int | None
    months_decided: bool
    length_decided_by: str | None = Field(default=None, description="who decided the length (the latest decision)")
    length_decided_on: date | None = Field(default=None, description="the latest length decision's date")
    trigger_record_id: int = Field(description="the record whose points crossed the threshold; a length decision "
                                               "names the suspension by it")
    single_record: bool
    cut_short_by: str | None
    revoked: bool
    revoked_reason: str | None


class YearView(BaseModel):
    year: int
    recorded: int
    repaired: int
    net: int


class RegistrationView(BaseModel):
    id: int = Field(description="for POST /v1/registrations/{id}/end")
    institution_code: str
    starts_on: date
    ends_on: date | None = Field(description="last registered day; None while open")
    end_reason: str | None = Field(default=None, description="why it ended (注销 / 变更)")


class NoticeView(BaseModel):
    kind: str
    on: date
    tally: int


class NotificationView(BaseModel):
    kind: str
    message: str = Field(description="in Chinese, as written to the person (告知)")
    message_en: str | None = Field(None, description="the same in English; null for notices written before it was kept")
    created_at: datetime


class PersonView(BaseModel):
    code: str
    name: str
    category: str
    region: str
    as_of: date
    status: Status
    until: date | None = Field(description="last day of the current state, when it has a known end")
    eligible_again_on: date | None = Field(description="projected return: the day after a suspension ends")
    may_register_from: date | None = Field(description="after a termination: first day re-registration is allowed")
    year: int
    points_this_year: int
    repair_left_this_year: int
    years: list[YearView]
    records: list[RecordView]
    sanctions: list[SanctionView]
    notices: list[NoticeView]
    registrations: list[RegistrationView]
    notifications: list[NotificationView]


class StaffRow(BaseModel):
    code: str
    name: str
    category: str
    region: str
    status: Status
    until: date | None
    status_as_of: date | None
