from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from points.privacy import has_id_number


class SubscriptionIn(BaseModel):
    url: str = Field(max_length=500, examples=["https://settlement.example.gov.cn/hooks/points"])

    model_config = {"json_schema_extra": {"examples": [{"url": "https://settlement.example.gov.cn/hooks/points"}]}}

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host")
        if has_id_number(v):  # refused rather than masked: a masked URL would deliver somewhere else
            raise ValueError("the URL must not contain a national ID number")
        return v


class SubscriptionPublic(BaseModel):
    id: int
    url: str
    region_prefix: str
    active: bool
    created_at: datetime


class SubscriptionCreated(SubscriptionPublic):
    secret: str = Field(description="shown once: verify X-Points-Signature with it")


class DeliveryPublic(BaseModel):
    id: int
    event_id: int
    batch_id: int | None = Field(description="the batch (one POST) that carries it; null until one is made")
    state: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None


EVENT_TYPES = {"effective": "status.changed", "decided": "sanction.decided", "corrected": "sanction.corrected",
               "lifted": "sanction.lifted"}


class StatusChange(BaseModel):
    """One change of someone's standing, as the status feed lists it and webhooks send it."""

    seq: int = Field(description="position in the feed: strictly increasing, in the order changes were committed")
    id: int = Field(description="the event's id (the same in webhook deliveries); unique, not always in feed order")
    type: Literal["status.changed", "sanction.decided", "sanction.corrected", "sanction.lifted"]
    kind: Literal["effective", "decided", "corrected", "lifted"] = Field(
        description="effective: the status changed on effective_on; decided / corrected / lifted: a sanction "
                    "(suspension or termination) was decided, had its length or dates changed, or was lifted")
    practitioner_code: str
    status: str = Field(description="effective: the new status; a sanction's events: the status it imposes "
                                    "(suspended, or banned for a termination)")
    previous_status: str = Field(description="the person's status when the change was recorded (before it)")
    starts_on: date | None = Field(description="first day of the new status, or of the sanction")
    until: date | None = Field(description="last day of the new status or of the sanction when it has one; "
                                           "for a lifted sanction, its new last day, or null when it does not run")
    effective_on: date = Field(description="effective: the day the status changed; a sanction's events: the day "
                                           "the change was recorded (China dates)")
    sanction_id: int | None = Field(description="the sanction a decided / corrected / lifted event is about")
    cause: str
    recorded_at: datetime = Field(description="when the change was written (UTC)")

    @classmethod
    def of(cls, event) -> "StatusChange":
        return cls(seq=event.seq, id=event.id, type=EVENT_TYPES[event.kind], kind=event.kind,
                   practitioner_code=event.practitioner_code, status=event.status,
                   previous_status=event.previous_status, starts_on=event.starts_on, until=event.until,
                   effective_on=event.effective_on, sanction_id=event.sanction_id, cause=event.cause,
                   recorded_at=event.created_at)
